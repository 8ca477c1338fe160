"""The browser side of signing in: our consent page, Sentry's callback, the API-token form and sign-out.

The flow, for an MCP client that got `/authorize?...` from the SDK's handler (`provider.authorize`):

    GET  /signin/consent?request=R   names the client; sets a cookie binding R to this browser
    POST /signin/consent             approve (full or read-only) or deny; with Sentry's OAuth: on to Sentry's
                                     /oauth/authorize/ (state R); with API tokens: the token is checked here
    GET  /signin/callback?code&state Sentry's answer: our code exchanged for the user's grant, the user's
                                     organizations checked, the sign-in made, back to the client with our code

The cookie makes sure the browser that comes back from Sentry is the one that approved on our page, so nobody
can attach their victim's Sentry account to a client of theirs (the confused deputy of the MCP security notes).
Sign-out (`/signin/signout`) proves who the user is the same way (Sentry, or their token), then removes every
sign-in of theirs.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from mcp.server.auth.provider import AuthorizationParams, construct_redirect_uri
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Route

from . import html
from .provider import PENDING, PENDING_TTL_S, READ_SCOPE, SignInProvider
from .sentry_oauth import SentryGrant, SentryOAuth, SentryUser, SignInFailed
from .signins import API_TOKEN, SENTRY_OAUTH
from .store import hashed

logger = logging.getLogger("sentry_monitor.signin")
SIGNOUT = "signout"
HEADERS = {
    "Cache-Control": "no-store",
    "X-Frame-Options": "DENY",
    # No form-action: browsers apply it to the redirects after a form (on to Sentry, back to any client's URI).
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'",
    "Referrer-Policy": "no-referrer",
}


@dataclass(frozen=True)
class SignInPolicy:
    mode: str  # "oauth" (Sentry's OAuth) or "user-token" (the user's own API token, for GlitchTip)
    allowed_orgs: tuple[str, ...]
    server: str  # our public URL, shown on the consent page
    sentry: str  # Sentry's host, shown to the user
    secure_cookies: bool

    @property
    def asks_token(self) -> bool:
        return self.mode == "user-token"


class SignInPages:
    def __init__(self, provider: SignInProvider, sentry: SentryOAuth, policy: SignInPolicy) -> None:
        self.count: Callable[[str], None] = lambda outcome: None  # the metrics' sign_ins (`report_to`)
        self.provider = provider
        self.sentry = sentry
        self.policy = policy
        self.signins = provider.signins
        self.store = provider.store

    def routes(self) -> list[Route]:
        return [
            Route("/signin/consent", self.consent_page, methods=["GET"]),
            Route("/signin/consent", self.consent, methods=["POST"]),
            Route("/signin/callback", self.callback, methods=["GET"]),
            Route("/signin/signout", self.sign_out_page, methods=["GET"]),
            Route("/signin/signout", self.sign_out, methods=["POST"]),
        ]

    # -- consent ---------------------------------------------------------------------------------

    async def consent_page(self, request: Request) -> Response:
        request_id = request.query_params.get("request", "")
        found = await self.provider.pending(request_id)
        if found is None:
            return _expired()
        record, params = found
        client = await self.provider.get_client(record["client_id"])
        if client is None:
            return _expired()
        page = html.consent(
            request_id=request_id,
            client_name=client.client_name or "An unnamed MCP client",
            client_id=record["client_id"],
            redirect_host=urlsplit(str(params.redirect_uri)).netloc,
            server=self.policy.server,
            sentry=self.policy.sentry,
            read_only_forced=_asks_read_only(params),
            ask_token=self.policy.asks_token,
            token_help=f"Make one in {self.policy.sentry} under your profile's API tokens, with the scopes "
            "org:read project:read event:read (and event:write to change issues). It is kept encrypted.",
        )
        response = _html(page)
        await self.store.merge(PENDING, request_id, {"nonce": self._bind_to_browser(response, request_id)})
        return response

    async def consent(self, request: Request) -> Response:
        form = await request.form()
        request_id = str(form.get("request", ""))
        record = await self._bound(request, request_id)
        if isinstance(record, Response) or record.get("purpose") == SIGNOUT:
            return record if isinstance(record, Response) else _expired()
        params = AuthorizationParams.model_validate(record["params"])
        if form.get("action") != "approve":
            await self.store.delete(PENDING, request_id)
            self.count("denied")
            return _back(params, error="access_denied", error_description="The user denied access.")
        read_only = form.get("access") != "full" or _asks_read_only(params)
        if self.policy.asks_token:
            token = str(form.get("token", "")).strip()
            if not token:
                return _html(html.message("No token", "Give your API token to sign in."), 400)
            return await self._finish(request_id, record, params, read_only, token=token)
        await self.store.merge(PENDING, request_id, {"approved": True, "read_only": read_only})
        return RedirectResponse(self.sentry.authorize_url(request_id, read_only), status_code=303, headers=HEADERS)

    async def callback(self, request: Request) -> Response:
        request_id = request.query_params.get("state", "")
        record = await self._bound(request, request_id)
        if isinstance(record, Response):
            return record
        if not record.get("approved"):
            return _html(html.message("Not approved", "This sign-in was not approved on this server's page."), 400)
        code = request.query_params.get("code")
        if record.get("purpose") == SIGNOUT:
            return await self._sign_out_with(request_id, code=code)
        params = AuthorizationParams.model_validate(record["params"])
        if not code:
            await self.store.delete(PENDING, request_id)
            self.count("denied")
            return _back(params, error="access_denied", error_description="Sentry did not approve the sign-in.")
        try:
            grant, user = await self.sentry.exchange(code)
        except SignInFailed as exc:
            return self._failed(exc)
        return await self._finish(request_id, record, params, bool(record.get("read_only")), grant=grant, user=user)

    # -- the end of a sign-in --------------------------------------------------------------------

    async def _finish(
        self,
        request_id: str,
        record: dict[str, Any],
        params: AuthorizationParams,
        read_only: bool,
        *,
        token: str | None = None,
        grant: SentryGrant | None = None,
        user: SentryUser | None = None,
    ) -> Response:
        if token is not None:
            grant = SentryGrant(token, None, None, ())
        assert grant is not None
        try:
            user = user or await self.sentry.whoami(grant.access_token)
            allowed = await self.sentry.member_of(grant.access_token, self.policy.allowed_orgs) if user else []
        except SignInFailed as exc:
            return self._failed(exc)
        if user is None:
            self.count("refused")
            return _html(
                html.message(
                    "Not a user's token",
                    f"{self.policy.sentry} did not recognise this as a user's own API token.",
                    "Check it, or make one under your profile's API tokens, and try again.",
                ),
                400,
            )
        if not allowed:
            self.count("not_member")
            logger.warning("sign-in refused: %s is in none of %s", user.label, ", ".join(self.policy.allowed_orgs))
            return _html(
                html.message(
                    "Not a member",
                    f"{user.email or user.name} is not a member of the organization this server serves "
                    f"({', '.join(self.policy.allowed_orgs)}), so you cannot sign in here.",
                    "Ask an owner of the organization to invite you, then try again."
                    + (" Or your token lacks the org:read scope: make one with it." if self.policy.asks_token else ""),
                ),
                403,
            )
        if await self.store.take(PENDING, request_id) is None:
            return _expired()
        client = await self.provider.get_client(record["client_id"])
        name = (client.client_name if client else None) or record["client_id"]
        kind = API_TOKEN if token is not None else SENTRY_OAUTH
        signin = await self.signins.create(user, (record["client_id"], name), read_only, kind, allowed[0], grant)
        logger.info("signed in: %s with %s (%s, %s)", user.label, name, "read-only" if read_only else "full", signin.id)
        self.count("signed_in")
        response = _back(params, code=await self.provider.issue_code(signin, params))
        response.delete_cookie(_cookie(request_id), path="/signin")
        return response

    # -- sign-out --------------------------------------------------------------------------------

    async def sign_out_page(self, request: Request) -> Response:
        return _html(html.sign_out_form(self.policy.sentry, self.policy.asks_token))

    async def sign_out(self, request: Request) -> Response:
        if self.policy.asks_token:
            form = await request.form()
            token = str(form.get("token", "")).strip()
            try:
                user = await self.sentry.whoami(token) if token else None
            except SignInFailed as exc:
                return self._failed(exc)
            return await self._signed_out(user)
        request_id = secrets.token_urlsafe(32)
        response = RedirectResponse(self.sentry.authorize_url(request_id, read_only=True), 303, headers=HEADERS)
        nonce = self._bind_to_browser(response, request_id)
        await self.store.put(
            PENDING, request_id, {"purpose": SIGNOUT, "approved": True, "nonce": nonce}, ttl=PENDING_TTL_S
        )
        return response

    async def _sign_out_with(self, request_id: str, *, code: str | None) -> Response:
        await self.store.delete(PENDING, request_id)
        if not code:
            return _html(html.message("Not signed out", "Sentry did not confirm who you are; nothing changed."), 400)
        try:
            grant, user = await self.sentry.exchange(code)
            user = user or await self.sentry.whoami(grant.access_token)
        except SignInFailed as exc:
            return self._failed(exc)
        return await self._signed_out(user)

    async def _signed_out(self, user: SentryUser | None) -> Response:
        if user is None:
            return _html(html.message("Not signed out", "Sentry did not say who you are; nothing changed."), 400)
        mine = [signin for signin in await self.signins.all() if signin.user.id == user.id]
        for signin in mine:
            await self.signins.remove(signin.id)
        logger.info("signed out: %s, %d sign-in(s) removed", user.label, len(mine))
        self.count("signed_out")
        return _html(html.message("Signed out", f"{len(mine)} sign-in(s) of {user.email or user.name} removed."))

    def _failed(self, exc: SignInFailed) -> Response:
        self.count("refused" if exc.refused else "unavailable")
        return _failure_page(exc)

    def _bind_to_browser(self, response: Response, request_id: str) -> str:
        """Set the cookie that ties `request_id` to this browser; returns what the pending record keeps of it."""
        nonce = secrets.token_urlsafe(32)
        response.set_cookie(
            _cookie(request_id), nonce, max_age=PENDING_TTL_S, path="/signin", secure=self.policy.secure_cookies,
            httponly=True, samesite="lax",
        )  # fmt: skip
        return hashed(nonce)

    # -- checks ----------------------------------------------------------------------------------

    async def _bound(self, request: Request, request_id: str) -> dict[str, Any] | Response:
        """The pending request, if this browser is the one that opened it (the cookie of the consent page)."""
        record = await self.store.get(PENDING, request_id) if request_id else None
        if record is None:
            return _expired()
        cookie = request.cookies.get(_cookie(request_id), "")
        if not cookie or not secrets.compare_digest(hashed(cookie), str(record.get("nonce", ""))):
            return _html(
                html.message(
                    "Not this browser",
                    "This sign-in was started in another browser, or its page was not opened here.",
                    "Start again from your MCP client.",
                ),
                403,
            )
        return record


def _asks_read_only(params: AuthorizationParams) -> bool:
    return params.scopes is not None and set(params.scopes) == {READ_SCOPE}


def _cookie(request_id: str) -> str:
    return "sem_signin_" + hashed(request_id)[:16]


def _html(text: str, status: int = 200) -> HTMLResponse:
    return HTMLResponse(text, status_code=status, headers=HEADERS)


def _expired() -> Response:
    return _html(
        html.message(
            "Sign-in expired",
            "This sign-in request is unknown or has expired (they last 10 minutes).",
            "Start again from your MCP client.",
        ),
        400,
    )


def _failure_page(exc: SignInFailed) -> Response:
    next_step = "Start again from your MCP client." if exc.refused else "Try again in a minute."
    return _html(html.message("Sign-in failed", exc.message, next_step), 403 if exc.refused else 502)


def _back(params: AuthorizationParams, **query: str | None) -> Response:
    """Back to the MCP client's redirect URI (checked exactly by the SDK at /authorize)."""
    url = construct_redirect_uri(str(params.redirect_uri), state=params.state, **query)
    return RedirectResponse(url, status_code=302, headers={"Cache-Control": "no-store"})
