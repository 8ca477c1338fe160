"""The team server as an OAuth client of Sentry: the authorization-code grant and its refresh.

Sentry's endpoints: `/oauth/authorize/` (the user approves our OAuth application) and `/oauth/token/` (the code,
and later a refresh token, for an access token). On sentry.io, regional API hosts included, both are on
https://sentry.io; on a self-hosted Sentry, under SENTRY_URL. A token answer carries the user it acts as; Sentry
may rotate the refresh token on each use, so the answer's refresh token replaces the one sent.

Who the user is and whether they belong to an allowed organization is asked of the API with their new token:
`GET /api/0/` (`user`) and `GET /api/0/organizations/{org}/` for each allowed organization.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import quote, urlencode

import httpx

from ...base.config import Settings
from ...base.version import __version__

FULL_SCOPES = ("org:read", "project:read", "event:read", "event:write")
READ_SCOPES = ("org:read", "project:read", "event:read")
TIMEOUT_S = 15.0


class SignInFailed(Exception):
    """Sentry refused (`refused`: the grant is no good) or could not be asked (`refused` False: try again later)."""

    def __init__(self, message: str, *, refused: bool) -> None:
        super().__init__(message)
        self.message = message
        self.refused = refused


@dataclass(frozen=True)
class SentryUser:
    id: str
    name: str
    email: str

    @property
    def label(self) -> str:
        """How logs and the audit name the user: the email and Sentry's user id (never a token)."""
        return f"{self.email or self.name or 'user'} (Sentry user {self.id})"


@dataclass(frozen=True)
class SentryGrant:
    """What the server holds for a user: Sentry's tokens (kept encrypted) and when the access token expires."""

    access_token: str
    refresh_token: str | None
    expires_at: float | None  # epoch seconds; None: does not expire (an API token pasted on the sign-in page)
    scopes: tuple[str, ...]

    def expiring(self, now: float, margin_s: float = 60.0) -> bool:
        return self.expires_at is not None and self.expires_at - margin_s <= now

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SentryGrant:
        return cls(data["access_token"], data.get("refresh_token"), data.get("expires_at"), tuple(data["scopes"]))


def oauth_base(settings: Settings) -> str:
    return "https://sentry.io" if settings.is_saas else settings.url


class SentryOAuth:
    """Sentry's OAuth endpoints and the two API questions a sign-in asks."""

    def __init__(
        self,
        settings: Settings,
        client_id: str,
        client_secret: str,
        callback_url: str,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.settings = settings
        self.client_id = client_id
        self._secret = client_secret
        self.callback_url = callback_url
        self.base = oauth_base(settings)
        self._http = httpx.AsyncClient(
            timeout=TIMEOUT_S,
            headers={"User-Agent": f"sentry-error-monitor/{__version__}", "Accept": "application/json"},
            follow_redirects=False,
            transport=transport,
        )

    async def aclose(self) -> None:
        await self._http.aclose()

    def authorize_url(self, state: str, read_only: bool) -> str:
        query = {
            "response_type": "code",
            "client_id": self.client_id,
            "redirect_uri": self.callback_url,
            "scope": " ".join(READ_SCOPES if read_only else FULL_SCOPES),
            "state": state,
        }
        return f"{self.base}/oauth/authorize/?{urlencode(query)}"

    async def exchange(self, code: str) -> tuple[SentryGrant, SentryUser | None]:
        return await self._token({"grant_type": "authorization_code", "code": code, "redirect_uri": self.callback_url})

    async def refresh(self, refresh_token: str) -> SentryGrant:
        grant, _ = await self._token({"grant_type": "refresh_token", "refresh_token": refresh_token})
        return grant

    async def _token(self, form: dict[str, str]) -> tuple[SentryGrant, SentryUser | None]:
        form = {**form, "client_id": self.client_id, "client_secret": self._secret}
        try:
            response = await self._http.post(f"{self.base}/oauth/token/", data=form)
        except httpx.HTTPError as exc:
            raise SignInFailed(
                f"Sentry's token endpoint could not be reached: {type(exc).__name__}.", refused=False
            ) from None
        answer = _json(response)
        body: dict[str, Any] = answer if isinstance(answer, dict) else {}
        if response.status_code >= 500 or response.status_code == 429:
            raise SignInFailed(f"Sentry's token endpoint answered {response.status_code}.", refused=False)
        if response.status_code != 200 or not isinstance(body.get("access_token"), str):
            error = body.get("error") or f"HTTP {response.status_code}"
            raise SignInFailed(f"Sentry refused the grant ({error}).", refused=True)
        return _grant(body), _user(body.get("user"))

    async def whoami(self, token: str) -> SentryUser | None:
        """The user a token acts as (`GET /api/0/`), None for a token of no user."""
        body = await self._api(token, "")
        return _user(body.get("user")) if isinstance(body, dict) else None

    async def member_of(self, token: str, orgs: tuple[str, ...]) -> list[str]:
        """Which of `orgs` the token's user is a member of: `GET /api/0/organizations/{org}/` answers 200 to a
        member and 403 or 404 to anyone else. Asked of each organization, not read from the organization list,
        which on sentry.io covers one region only."""
        member = []
        for org in orgs:
            if await self._api(token, f"organizations/{quote(org, safe='')}/", absent_ok=True) is not None:
                member.append(org)
        return member

    async def _api(self, token: str, path: str, *, absent_ok: bool = False) -> Any:
        """The JSON answer; with `absent_ok`, None for a 403 or 404 (not this user's)."""
        try:
            response = await self._http.get(self.settings.api_base + path, headers={"Authorization": f"Bearer {token}"})
        except httpx.HTTPError as exc:
            raise SignInFailed(f"Sentry could not be reached: {type(exc).__name__}.", refused=False) from None
        if absent_ok and response.status_code in (403, 404):
            return None
        if response.status_code in (401, 403):
            raise SignInFailed(f"Sentry did not accept the token ({response.status_code}).", refused=True)
        if response.status_code != 200:
            raise SignInFailed(f"Sentry answered {response.status_code} to /api/0/{path}.", refused=False)
        return _json(response)


def _json(response: httpx.Response) -> Any:
    """The answer's JSON, None when it is not JSON."""
    try:
        return response.json()
    except ValueError:
        return None


def _grant(body: dict[str, Any]) -> SentryGrant:
    expires_at: float | None = None
    if isinstance(body.get("expires_in"), int | float):
        expires_at = time.time() + float(body["expires_in"])
    elif isinstance(body.get("expires_at"), str):
        try:
            expires_at = datetime.fromisoformat(body["expires_at"].replace("Z", "+00:00")).timestamp()
        except ValueError:
            expires_at = None
    refresh = body.get("refresh_token")
    scope = body.get("scope")
    scopes = tuple(sorted(scope.replace(",", " ").split())) if isinstance(scope, str) else ()
    refresh = refresh if isinstance(refresh, str) and refresh else None
    return SentryGrant(body["access_token"], refresh, expires_at, scopes)


def _user(data: Any) -> SentryUser | None:
    if not isinstance(data, dict) or data.get("id") is None:
        return None
    return SentryUser(str(data["id"]), str(data.get("name") or ""), str(data.get("email") or ""))
