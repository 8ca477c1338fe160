"""What GlitchTip's Django answers outside its API: the web page's catch-all, 404, 405, 500 and CSRF pages.

GlitchTip's `glitchtip/urls.py` sends every path its API does not route and that matches `SPA_PATHS` to the
single-page app's `index.html`. The released image ships that page, so such a path answers 200 text/html
(`frontend=True`); without it, rendering fails (`TemplateDoesNotExist`) and Django answers its HTML 500.
The page view takes any method, but Django's CSRF check refuses a POST, PUT, PATCH or DELETE without a
CSRF token first (HTML 403). Other unrouted paths get Django's `APPEND_SLASH` redirect (301) when the path
with a slash is routed, else GlitchTip's HTML 404 page. A routed path asked with a method its view does not
take answers django-ninja's plain "Method not allowed".
"""

from __future__ import annotations

import json
import re
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response

# `re_path` patterns of glitchtip/urls.py, matched against the path without its leading slash.
SPA_PATHS = re.compile(
    r"^$|^(auth|login|register|(.*)/issues|(.*)/settings|(.*)/performance|(.*)/projects|(.*)/releases"
    r"|organizations|profile|(.*)/uptime-monitors|accept|reset-password|system-info).*$"
)
# A stand-in for the Angular app's index.html, as `../shared/glitchtip/up` installs (GT_FRONTEND=1).
INDEX_PAGE = "<!doctype html><html><head><title>GlitchTip</title></head><body><app-root></app-root></body></html>\n"
# GlitchTip's templates/404.html, without its inlined font and logo.
NOT_FOUND_PAGE = (
    "<!DOCTYPE html>\n<html>\n  <head>\n    <title>GlitchTip</title>\n  </head>\n  <body>\n"
    '    <div class="error-page__container">\n      <h2 class="heading-main">Page not found</h2>\n'
    "    </div>\n  </body>\n</html>\n"
)
HTML_ERROR_PAGE = (  # Django's, byte for byte (DEBUG off)
    '\n<!doctype html>\n<html lang="en">\n<head>\n  <title>Server Error (500)</title>\n</head>\n'
    "<body>\n  <h1>Server Error (500)</h1><p></p>\n</body>\n</html>\n"
)
CSRF_PAGE = (
    '<!DOCTYPE html>\n<html lang="en">\n<head>\n  <title>403 Forbidden</title>\n</head>\n<body>\n'
    "  <h1>Forbidden <span>(403)</span></h1>\n  <p>CSRF verification failed. Request aborted.</p>\n"
    "</body>\n</html>\n"
)
SAFE_METHODS = ("GET", "HEAD", "OPTIONS", "TRACE")
HTML = "text/html; charset=utf-8"


class ServerError(Exception):
    """What makes a GlitchTip view fail: answered with Django's HTML 500 (see `server_error`)."""


class GlitchtipJSON(JSONResponse):
    """JSON as django-ninja writes it: `json.dumps` defaults (spaces after separators, ASCII only)."""

    media_type = "application/json; charset=utf-8"

    def render(self, content: Any) -> bytes:
        return json.dumps(content).encode("utf-8")


def html(body: str, status: int) -> Response:
    return Response(body, status_code=status, headers={"content-type": HTML})


def server_error() -> Response:
    """Django's HTML 500 (DEBUG off), as for an exception in a view."""
    return html(HTML_ERROR_PAGE, 500)


def method_not_allowed() -> Response:
    return html("Method not allowed", 405)


def _is_routed(request: Request, path: str) -> bool:
    scope = {**request.scope, "path": path}
    return any(route.matches(scope)[0].value > 0 for route in request.app.router.routes)


def unrouted(request: Request, status: int, frontend: bool) -> Response:
    """The answer for a path no route serves (`status` 404) or a method its route lacks (405)."""
    if status == 405:
        return method_not_allowed()
    path = request.url.path
    if path == "/api/":
        return RedirectResponse("/profile/auth-tokens", status_code=302)
    if SPA_PATHS.match(path[1:]):
        if request.method not in SAFE_METHODS:
            return html(CSRF_PAGE, 403)
        return html(INDEX_PAGE, 200) if frontend else server_error()
    if not path.endswith("/") and _is_routed(request, path + "/"):
        query = request.url.query
        return RedirectResponse(path + "/" + (f"?{query}" if query else ""), status_code=301)
    return html(NOT_FOUND_PAGE, 404)
