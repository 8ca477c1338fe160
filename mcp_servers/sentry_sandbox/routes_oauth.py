"""OAuth 2 routes as Sentry serves them (`sentry/web/frontend/oauth_authorize.py`, `oauth_token.py`); the state is
in `oauth.py`. Only the `sentry` and `sentry-legacy` flavors serve them.

* `GET /oauth/authorize/?response_type=code&client_id=&redirect_uri=&scope=&state=`: an unknown or missing
  `client_id` is a 400 HTML page ("Invalid client_id"), a `redirect_uri` not exactly one the application
  registered a 400 HTML page ("Invalid redirect_uri"), neither redirects; a missing `redirect_uri` is the
  application's first. Then a `response_type` other than `code` redirects with `error=unsupported_response_type`,
  a scope Sentry does not know with `error=invalid_scope` (with `state` when given). Otherwise: the consent page
  (200), naming the application and the scopes, whose form posts back here.
* `POST /oauth/authorize/` (form-encoded): the same checks on the same fields, then `op=deny` redirects (302)
  with `error=access_denied`; `op=approve` makes a grant and redirects (302) to `redirect_uri?code=...&state=...`.
  Sentry knows who approves from its browser session; the sandbox has none, so the form says it: `user`.
  An unknown `user` is a 400 page ("No such user"); any other `op` a 400 page ("Invalid op").
  The form's fields (names to post with httpx without reading the page): `user` (an id, email or username of
  the sandbox directory), `op` (`approve` or `deny`, two submit buttons), and hidden `client_id`,
  `redirect_uri`, `scope` (space-separated), `state`, `response_type`.
* `POST /oauth/token/` (form-encoded; the client as `client_id`/`client_secret` fields or HTTP Basic): bad or
  missing credentials are 401 `{"error": "invalid_client", "error_description": ...}`; then `grant_type`
  `authorization_code` (`code`, `redirect_uri`, missing: the application's first) or `refresh_token`
  (`refresh_token`) answer 200 `{"access_token", "refresh_token", "expires_in", "expires_at", "token_type":
  "bearer", "scope", "user": {"id", "name", "email"}}` (no `refresh_token` when the registry issues none), or
  400 `{"error": "invalid_grant", "error_description": ...}`; a missing `refresh_token` is 400 `invalid_request`,
  another grant type 400 `{"error": "unsupported_grant_type"}`.
"""

from __future__ import annotations

import base64
import binascii
from html import escape
from urllib.parse import parse_qsl, unquote, urlencode, urlsplit, urlunsplit

from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from .api_base import SandboxState, state_of
from .oauth import SENTRY_SCOPES, OAuthApp, OAuthError, OAuthToken, parse_scopes
from .times import iso, utcnow

PAGE = (
    "<!DOCTYPE html>\n<html>\n<head><title>{title} | Sentry</title></head>\n<body>\n<h1>{title}</h1>\n{body}\n"
    "</body>\n</html>\n"
)
FORM = (
    '<form method="post" action="/oauth/authorize/">\n'
    '<label>Signed in to Sentry as <input type="text" name="user" required></label>\n{hidden}\n'
    '<button type="submit" name="op" value="approve">Approve</button>\n'
    '<button type="submit" name="op" value="deny">Deny</button>\n</form>'
)
REQUEST_FIELDS = ("client_id", "redirect_uri", "scope", "state", "response_type")


class PageError(Exception):
    """An authorization refused with a 400 HTML page: nothing tells the application."""


def _page(title: str, body: str, status: int = 200) -> Response:
    return Response(PAGE.format(title=escape(title), body=body), status_code=status, media_type="text/html")


def _redirect(redirect_uri: str, params: dict[str, str | None]) -> Response:
    """Sentry's `redirect_response`: `params` (None dropped) appended to the redirect URI's query."""
    parts = urlsplit(redirect_uri)
    query = parse_qsl(parts.query, keep_blank_values=True) + [(k, v) for k, v in params.items() if v is not None]
    return RedirectResponse(urlunsplit(parts._replace(query=urlencode(query))), status_code=302)


def _checked(state: SandboxState, fields: dict[str, str]) -> tuple[OAuthApp, str]:
    """The application and redirect URI of an authorization request; raises PageError as Sentry's error page."""
    app = state.oauth.app(fields.get("client_id", ""))
    if app is None:
        raise PageError("Invalid client_id", "Missing or invalid <em>client_id</em> parameter.")
    redirect_uri = fields.get("redirect_uri") or app.default_redirect_uri
    if not app.accepts(redirect_uri):
        raise PageError("Invalid redirect_uri", "Missing or invalid <em>redirect_uri</em> parameter.")
    return app, redirect_uri


def _refusal(fields: dict[str, str], redirect_uri: str) -> Response | None:
    """The redirect of an unsupported response type or an unknown scope, or None."""
    if fields.get("response_type") != "code":
        return _redirect(redirect_uri, {"error": "unsupported_response_type", "state": fields.get("state")})
    if any(scope not in SENTRY_SCOPES for scope in parse_scopes(fields.get("scope", ""))):
        return _redirect(redirect_uri, {"error": "invalid_scope", "state": fields.get("state")})
    return None


def _consent(app: OAuthApp, redirect_uri: str, fields: dict[str, str]) -> Response:
    scopes = parse_scopes(fields.get("scope", ""))
    carried = {**fields, "redirect_uri": redirect_uri, "scope": " ".join(scopes)}
    hidden = "\n".join(
        f'<input type="hidden" name="{name}" value="{escape(carried.get(name, ""))}">' for name in REQUEST_FIELDS
    )
    listed = "".join(f"<li>{escape(scope)}</li>" for scope in scopes) or "<li>(no scopes)</li>"
    body = f"<p>{escape(app.name)} is requesting access to your Sentry account:</p>\n<ul>{listed}</ul>\n"
    return _page(f"Authorize {app.name}", body + FORM.format(hidden=hidden))


async def authorize_page(request: Request) -> Response:
    """`GET /oauth/authorize/`: the consent page, or why not."""
    fields = dict(request.query_params)
    try:
        app, redirect_uri = _checked(state_of(request), fields)
    except PageError as exc:
        return _page(exc.args[0], f"<p>{exc.args[1]}</p>", 400)
    return _refusal(fields, redirect_uri) or _consent(app, redirect_uri, fields)


async def authorize_decision(request: Request) -> Response:
    """`POST /oauth/authorize/`: approve (a code) or deny, for the user the form names."""
    state = state_of(request)
    fields = dict(parse_qsl((await request.body()).decode("utf-8", "replace"), keep_blank_values=True))
    try:
        app, redirect_uri = _checked(state, fields)
        refused = _refusal(fields, redirect_uri)
        if refused is not None:
            return refused
        if fields.get("op") == "deny":
            return _redirect(redirect_uri, {"error": "access_denied", "state": fields.get("state")})
        if fields.get("op") != "approve":
            raise PageError("Invalid op", "Approve or deny the authorization.")
        user = state.store.directory.user(fields.get("user", "")) if fields.get("user", "").strip() else None
        if user is None:
            raise PageError("No such user", "No user of this Sentry has that email or username.")
    except PageError as exc:
        return _page(exc.args[0], f"<p>{exc.args[1]}</p>", 400)
    grant = state.oauth.grant(app, redirect_uri, user.id, parse_scopes(fields.get("scope", "")))
    return _redirect(redirect_uri, {"code": grant.code, "state": fields.get("state")})


def _client_credentials(request: Request, fields: dict[str, str]) -> tuple[str, str]:
    """`client_id` and `client_secret` from HTTP Basic (RFC 6749 §2.3.1, form-encoded parts), else the form."""
    scheme, _, value = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() == "basic":
        try:
            decoded = base64.b64decode(value.strip(), validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            return "", ""
        client_id, _, client_secret = decoded.partition(":")
        return unquote(client_id.replace("+", " ")), unquote(client_secret.replace("+", " "))
    return fields.get("client_id", ""), fields.get("client_secret", "")


def _token_body(state: SandboxState, issued: OAuthToken) -> dict[str, object]:
    """Sentry's token answer."""
    expires_at = issued.access.expires_at or utcnow()
    user = state.store.directory.user_by_id(issued.user_id)
    body: dict[str, object] = {
        "access_token": issued.access.token,
        "refresh_token": issued.refresh_token,
        "expires_in": max(0, round((expires_at - utcnow()).total_seconds())),
        "expires_at": iso(expires_at),
        "token_type": "bearer",
        "scope": " ".join(sorted(issued.scopes)),
        "user": {"id": issued.user_id, "name": user.name if user else "", "email": user.email if user else ""},
    }
    if issued.refresh_token is None:
        del body["refresh_token"]
    return body


def _exchange(state: SandboxState, request: Request, fields: dict[str, str]) -> OAuthToken:
    app = state.oauth.authenticate(*_client_credentials(request, fields))
    grant_type = fields.get("grant_type", "")
    if grant_type == "authorization_code":
        redirect_uri = fields.get("redirect_uri") or app.default_redirect_uri
        return state.oauth.exchange_code(state.tokens, app, fields.get("code", ""), redirect_uri)
    if grant_type == "refresh_token":
        if not fields.get("refresh_token"):
            raise OAuthError("invalid_request", "missing refresh_token")
        return state.oauth.refresh(state.tokens, app, fields["refresh_token"])
    raise OAuthError("unsupported_grant_type", "")


async def token(request: Request) -> Response:
    """`POST /oauth/token/`: exchange a code or a refresh token for an access token."""
    state = state_of(request)
    fields = dict(parse_qsl((await request.body()).decode("utf-8", "replace"), keep_blank_values=True))
    try:
        issued = _exchange(state, request, fields)
    except OAuthError as exc:
        state.oauth.note_refused()
        body = {"error": exc.error, "error_description": exc.description} if exc.description else {"error": exc.error}
        return JSONResponse(body, status_code=exc.status)
    return JSONResponse(_token_body(state, issued), headers={"Cache-Control": "no-store", "Pragma": "no-cache"})


ROUTES = (
    Route("/oauth/authorize/", authorize_page, methods=["GET"]),
    Route("/oauth/authorize/", authorize_decision, methods=["POST"]),
    Route("/oauth/token/", token, methods=["POST"]),
)
