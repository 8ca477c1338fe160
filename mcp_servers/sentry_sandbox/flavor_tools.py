"""Building blocks for the server flavors: rewriting a request's query, a response's JSON and its `Link`."""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Callable
from typing import Any
from urllib.parse import quote, urlencode

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from .api_base import ApiError, Ctx, Handler

HTML_ERROR_PAGE = (
    '<!doctype html>\n<html lang="en">\n<head><title>Server Error (500)</title></head>\n'
    "<body>\n  <h1>Server Error (500)</h1><p></p>\n</body>\n</html>\n"
)
_SENTRY_LINK = re.compile(r'<([^>]*)>; rel="(\w+)"; results="(\w+)"; cursor="([^"]*)"')
_CAMEL = re.compile(r"(?<!^)(?=[A-Z])")


def with_query(ctx: Ctx, items: list[tuple[str, str]]) -> Ctx:
    """The same call with another query string (the body and path parameters stay)."""
    scope = {**ctx.request.scope, "query_string": urlencode(items).encode("latin-1")}
    return Ctx(Request(scope), ctx.state, ctx.token, ctx.body, ctx.now)


def rewrite_json(response: Response, change: Callable[[Any], Any], link: str | None = None) -> Response:
    """`response` with its JSON body passed through `change` (and its `Link` replaced); errors pass unchanged."""
    if not 200 <= response.status_code < 300 or not isinstance(response, JSONResponse):
        return response
    headers = {
        key: value
        for key, value in response.headers.items()
        if key.lower() not in ("content-length", "content-type") and (link is None or key.lower() != "link")
    }
    if link is not None:
        headers["Link"] = link
    return JSONResponse(change(json.loads(bytes(response.body))), status_code=response.status_code, headers=headers)


def snake_case(data: dict[str, Any]) -> dict[str, Any]:
    """Top-level keys in snake_case (`shortId` -> `short_id`, `eventID` -> `event_id`)."""
    renamed = {}
    for key, value in data.items():
        plain = key.replace("ID", "Id")
        renamed[_CAMEL.sub("_", plain).lower()] = value
    return renamed


def html_error(ctx: Ctx) -> Response:
    """A framework's HTML 500 page, as a server answers a route it does not really serve."""
    return Response(HTML_ERROR_PAGE, status_code=500, media_type="text/html")


def method_not_allowed(ctx: Ctx) -> Response:
    raise ApiError(405, {"detail": "Method Not Allowed"})


# -- opaque base64 cursors and the set-literal Link header (GlitchTip) ------------------------------


def encode_cursor(cursor: str) -> str:
    return base64.b64encode(f"o={cursor}".encode()).decode()


def decode_cursor(token: str | None) -> str | None:
    """The sandbox cursor inside an opaque one; 400 for one it did not hand out."""
    if not token:
        return None
    try:
        text = base64.b64decode(token, validate=True).decode()
    except (binascii.Error, UnicodeDecodeError) as exc:
        raise ApiError(400, {"detail": "Invalid cursor"}) from exc
    if not text.startswith("o="):
        raise ApiError(400, {"detail": "Invalid cursor"})
    return text[2:]


def opaque_link(request: Request, sentry_link: str | None, page_size_key: str) -> str:
    """GlitchTip's `Link`: wrapped like a Python set literal; the link without results carries no cursor."""
    base = f"{request.url.scheme}://{request.url.netloc}{request.url.path}"
    kept = [(k, v) for k, v in request.query_params.multi_items() if k not in ("cursor", page_size_key)]
    size = request.query_params.get(page_size_key)
    parts = []
    for _url, rel, results, cursor in _SENTRY_LINK.findall(sentry_link or ""):
        if results == "true":
            token = encode_cursor(cursor)
            query = urlencode([*kept, ("cursor", token), *([(page_size_key, size)] if size else [])], quote_via=quote)
            parts.append(f'<{base}?{query}>; rel="{rel}"; results="true"; cursor="{token}"')
        else:
            query = urlencode([*kept, *([(page_size_key, size)] if size else [])], quote_via=quote)
            parts.append(f'<{base}?{query}>; rel="{rel}"; results="false"')
    return "{'" + ", ".join(parts) + "'}"


def paged(handler: Handler, page_size_key: str, change: Callable[[Any], Any]) -> Handler:
    """A list route with opaque cursors in and out, a set-literal `Link`, and its items passed through `change`."""

    def answer(ctx: Ctx) -> Response:
        items = [(k, v) for k, v in ctx.params.multi_items() if k != "cursor"]
        cursor = decode_cursor(ctx.params.get("cursor"))
        if cursor:
            items.append(("cursor", cursor))
        response = handler(with_query(ctx, items))
        link = opaque_link(ctx.request, response.headers.get("link"), page_size_key)
        return rewrite_json(response, change, link)

    answer.__name__ = handler.__name__
    return answer
