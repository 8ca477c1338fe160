"""GlitchTip's list paging (`glitchtip/api/pagination.py` over `ninja_cursor_pagination`), on in-memory lists.

`limit` (default 50, at most 100) and an opaque `cursor`: base64 of a query string with the offset `o`,
`r=1` for a previous page, and the position `p`, the text of the ordering field of the item next to the
page. `Link` is a Python set literal around Sentry's two links; a link without results is the request's
own URL. `X-Hits` counts at most 1000, and only when there is another page (else the page's length).
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar
from urllib.parse import parse_qs, urlencode, urlsplit, urlunsplit

from starlette.requests import Request

from .api_base import ApiError
from .glitchtip_pages import GlitchtipJSON, ServerError

DEFAULT_LIMIT = 50
MAX_LIMIT = 100
OFFSET_CUTOFF = 100
MAX_HITS = 1000
T = TypeVar("T")


@dataclass(frozen=True)
class Cursor:
    offset: int = 0
    reverse: bool = False
    position: str | None = None


@dataclass(frozen=True)
class Ordering:
    """A list's order: `field` (with `-` when descending), the position text of an item and its sort value.

    `parse(position)` turns a position text back into a sort value, to compare with the items' values.
    """

    field: str
    position: Callable[[Any], str]
    value: Callable[[Any], Any]
    parse: Callable[[str], Any]

    @property
    def descending(self) -> bool:
        return self.field.startswith("-")


def _validation_error(loc: str, kind: str, msg: str, **ctx: Any) -> ApiError:
    item: dict[str, Any] = {"type": kind, "loc": ["query", loc], "msg": msg}
    if ctx:
        item["ctx"] = ctx
    return ApiError(422, {"detail": [item]})


def parse_cursor(raw: str | None) -> Cursor:
    """The cursor of `?cursor=`; 422 (as django-ninja) for one that is not base64 of a query string."""
    if raw is None:
        return Cursor()
    try:
        tokens = parse_qs(base64.b64decode(raw).decode(), keep_blank_values=True)
        offset = max(0, min(int(tokens.get("o", ["0"])[0]), OFFSET_CUTOFF))
        reverse = bool(int(tokens.get("r", ["0"])[0]))
    except (binascii.Error, UnicodeDecodeError, ValueError) as exc:
        message = "Invalid cursor."
        raise _validation_error("cursor", "value_error", f"Value error, {message}", error=message) from exc
    return Cursor(offset, reverse, tokens.get("p", [None])[0])


def parse_limit(raw: str | None) -> int:
    """`?limit=`: 422 when not an integer; 0 or absent means 50; clamped to 0..100."""
    if raw is None:
        return DEFAULT_LIMIT
    try:
        limit = int(raw)
    except ValueError as exc:
        msg = "Input should be a valid integer, unable to parse string as an integer"
        raise _validation_error("limit", "int_parsing", msg) from exc
    return max(0, min(limit or DEFAULT_LIMIT, MAX_LIMIT))


def _encode(cursor: Cursor, base_url: str) -> str:
    tokens = {}
    if cursor.offset != 0:
        tokens["o"] = str(cursor.offset)
    if cursor.reverse:
        tokens["r"] = "1"
    if cursor.position is not None:
        tokens["p"] = cursor.position
    encoded = base64.b64encode(urlencode(tokens).encode()).decode()
    scheme, netloc, path, query, fragment = urlsplit(base_url)
    params = parse_qs(query, keep_blank_values=True)
    params["cursor"] = [encoded]
    return urlunsplit((scheme, netloc, path, urlencode(sorted(params.items()), doseq=True), fragment))


def _ordered(items: Sequence[T], ordering: Ordering, reverse: bool) -> list[T]:
    return sorted(items, key=ordering.value, reverse=ordering.descending != reverse)


def _marker(page: list[Any], ordering: Ordering, compare: str | None) -> tuple[bool, int, str | None]:
    """Seek back through `page` for an item whose position differs from the one after it."""
    offset = 0
    for item in page:
        position = ordering.position(item)
        if position != compare:
            return True, offset, position
        compare = position
        offset += 1
    return False, offset, None


@dataclass
class _Links:
    has_next: bool
    has_previous: bool
    next_position: str | None
    previous_position: str | None


def _next_link(page: list[Any], cursor: Cursor, ordering: Ordering, limit: int, links: _Links, base: str) -> str:
    start = ordering.position(page[-1]) if page and cursor.reverse and cursor.offset else links.next_position
    unique, offset, position = _marker(list(reversed(page)), ordering, start)
    if page and not unique:
        if not links.has_previous:
            offset, position = limit, None
        elif cursor.reverse:
            offset, position = 0, links.previous_position
        else:
            offset, position = cursor.offset + limit, links.previous_position
    if not page:
        position = links.next_position
    return _encode(Cursor(offset, False, position), base)


def _previous_link(page: list[Any], cursor: Cursor, ordering: Ordering, limit: int, links: _Links, base: str) -> str:
    start = ordering.position(page[0]) if page and not cursor.reverse and cursor.offset else links.previous_position
    unique, offset, position = _marker(page, ordering, start)
    if page and not unique:
        if not links.has_next:
            offset, position = limit, None
        elif cursor.reverse:
            offset, position = cursor.offset + limit, links.next_position
        else:
            offset, position = 0, links.next_position
    if not page:
        position = links.previous_position
    return _encode(Cursor(offset, True, position), base)


def request_url(request: Request) -> str:
    """Django's `request.build_absolute_uri()`: the URL as asked, query string included."""
    query = request.scope.get("query_string", b"").decode("latin-1")
    return f"{request.url.scheme}://{request.url.netloc}{request.url.path}" + (f"?{query}" if query else "")


def paginate(request: Request, items: Sequence[T], ordering: Ordering) -> tuple[list[T], dict[str, str]]:
    """One page of `items` for the request's `limit` and `cursor`, and its `Link`, `X-Hits`, `X-Max-Hits`."""
    limit = parse_limit(request.query_params.get("limit"))
    cursor = parse_cursor(request.query_params.get("cursor"))
    ordered = _ordered(items, ordering, cursor.reverse)
    if cursor.position is not None:
        try:
            marker = ordering.parse(cursor.position)
        except ValueError as exc:
            raise ServerError(f"invalid cursor position {cursor.position!r}") from exc
        below = cursor.reverse != ordering.descending
        ordered = [i for i in ordered if (ordering.value(i) < marker if below else ordering.value(i) > marker)]
    results = ordered[cursor.offset : cursor.offset + limit + 1]
    page = results[:limit]
    following = ordering.position(results[-1]) if len(results) > len(page) else None
    if cursor.reverse:
        page.reverse()
        has_next = cursor.position is not None or cursor.offset > 0
        links = _Links(has_next, following is not None, cursor.position if has_next else None, following)
    else:
        has_previous = cursor.position is not None or cursor.offset > 0
        links = _Links(following is not None, has_previous, following, cursor.position if has_previous else None)
    base = request_url(request)
    parts = []
    for rel, present, build in (
        ("previous", links.has_previous, _previous_link),
        ("next", links.has_next, _next_link),
    ):
        if present:
            url = build(page, cursor, ordering, limit, links, base)
            token = parse_qs(urlsplit(url).query).get("cursor", [""])[0]
            parts.append(f'<{url}>; rel="{rel}"; results="true"; cursor="{token}"')
        else:
            parts.append(f'<{base}>; rel="{rel}"; results="false"')
    hits = min(len(items), MAX_HITS) if links.has_next or links.has_previous else len(page)
    headers = {"Link": "{" + repr(", ".join(parts)) + "}", "X-Max-Hits": str(MAX_HITS), "X-Hits": str(hits)}
    return page, headers


def paged_response(
    request: Request, items: Sequence[T], ordering: Ordering, render: Callable[[T], Any]
) -> GlitchtipJSON:
    """A JSON list of the page's items passed through `render`, with the paging headers."""
    page, headers = paginate(request, items, ordering)
    return GlitchtipJSON([render(item) for item in page], headers=headers)
