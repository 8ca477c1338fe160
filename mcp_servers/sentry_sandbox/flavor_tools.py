"""Building blocks for the server flavors: what a flavor is (`Flavor`), and rewriting a response's JSON."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from .api_base import Handler

ApiRoute = tuple[str, str, tuple[str, ...], Handler]


@dataclass(frozen=True)
class Flavor:
    """Whose API a sandbox speaks: how it changes the sentry flavor's routes, and what else it serves.

    `adapt` takes and returns (path, method, scopes, handler) API routes; `public_routes` need no token;
    `unrouted(request, status)` answers a path no route serves (404) or a method its route lacks (405)
    (None: the sandbox's JSON answers); `redirect_slashes` adds the slash to a path routed only with it.
    """

    adapt: Callable[[list[ApiRoute]], list[ApiRoute]]
    public_routes: tuple[Route, ...] = ()
    unrouted: Callable[[Request, int], Response] | None = None
    redirect_slashes: bool = True


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
