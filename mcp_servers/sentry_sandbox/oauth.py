"""OAuth applications, their grants and the tokens they issue, kept as Sentry keeps them (routes in `routes_oauth.py`).

Sentry's `ApiApplication` has a client id and a client secret (64 hex characters each) and its redirect URIs.
Approving an authorization makes an `ApiGrant`: a code bound to the application, the redirect URI, the user and the
scopes, which lives 10 minutes and is used once (deleted on exchange). Exchanging it makes an `ApiToken` acting as
the user with the grant's scopes, expiring in 30 days, with a refresh token; refreshing (`ApiToken.refresh`) gives
the same token row a new token and a new refresh token, so both old ones stop working at once.

Here the access token is an `ApiToken` of the sandbox's `TokenRegistry` (so every API route treats it as that user,
see `access.py`) whose text is 64 hex characters, as Sentry's application tokens are; `OAuthRegistry` remembers which
application, user and refresh token each one belongs to. Test hooks: `token_lifetime_s` (seconds, for tokens issued
after a change), `code_lifetime_s`, `refresh_tokens` (False: no refresh token is issued, as for some Sentry apps),
`revoke_user` and `stats`.
"""

from __future__ import annotations

import dataclasses
import secrets
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from .auth import ApiToken, TokenRegistry
from .times import utcnow

# Sentry's `SENTRY_SCOPES`: what an application may ask for.
SENTRY_SCOPES = frozenset(
    {
        "org:read", "org:write", "org:admin", "org:integrations", "org:ci",
        "member:read", "member:write", "member:admin", "member:invite",
        "team:read", "team:write", "team:admin",
        "project:read", "project:write", "project:admin", "project:releases", "project:distribution",
        "event:read", "event:write", "event:admin", "alerts:read", "alerts:write",
        "openid", "profile", "email",
    }
)  # fmt: skip
DEFAULT_APP_NAME = "Sentry Error Monitor"
CODE_LIFETIME_S = 600.0  # ApiGrant: 10 minutes
TOKEN_LIFETIME_S = 30 * 86400.0  # ApiToken of an application: 30 days


class OAuthError(Exception):
    """A refused token request: `{"error": error, "error_description": description}` with `status`."""

    def __init__(self, error: str, description: str, status: int = 400) -> None:
        super().__init__(f"{error}: {description}")
        self.error = error
        self.description = description
        self.status = status


@dataclass(frozen=True)
class OAuthApp:
    """An OAuth application registered in Sentry."""

    client_id: str
    client_secret: str
    name: str
    redirect_uris: tuple[str, ...]

    @property
    def default_redirect_uri(self) -> str:
        """Sentry's `get_default_redirect_uri()`: the first one registered."""
        return self.redirect_uris[0]

    def accepts(self, redirect_uri: str) -> bool:
        """Whether `redirect_uri` is exactly one of those registered."""
        return redirect_uri in self.redirect_uris


@dataclass(frozen=True)
class Grant:
    """An approved authorization waiting to be exchanged (Sentry's `ApiGrant`)."""

    code: str
    client_id: str
    redirect_uri: str
    user_id: str
    scopes: frozenset[str]
    expires_at: datetime


@dataclass(frozen=True)
class OAuthToken:
    """An access token issued to an application, with its refresh token (None when the app gets none)."""

    client_id: str
    user_id: str
    access: ApiToken
    refresh_token: str | None

    @property
    def scopes(self) -> frozenset[str]:
        return self.access.scopes


@dataclass
class OAuthStats:
    """What the token endpoint did: codes exchanged, tokens refreshed, requests refused (any 4xx answer)."""

    code_exchanges: int = 0
    refreshes: int = 0
    refused: int = 0


def parse_scopes(raw: str) -> list[str]:
    """A `scope` parameter: scopes separated by spaces or commas, in order, without duplicates."""
    return list(dict.fromkeys(part for part in raw.replace(",", " ").split() if part))


class OAuthRegistry:
    """The OAuth state of one sandbox: applications, pending grants, issued tokens, counters. Thread-safe."""

    def __init__(self) -> None:
        self.token_lifetime_s = TOKEN_LIFETIME_S
        self.code_lifetime_s = CODE_LIFETIME_S
        self.refresh_tokens = True
        self._apps: dict[str, OAuthApp] = {}
        self._grants: dict[str, Grant] = {}
        self._tokens: list[OAuthToken] = []
        self._stats = OAuthStats()
        self._lock = threading.Lock()

    def add_app(self, redirect_uris: Iterable[str], name: str = DEFAULT_APP_NAME) -> OAuthApp:
        """Register an application; raises ValueError without a redirect URI."""
        uris = tuple(redirect_uris)
        if not uris:
            raise ValueError("an OAuth application needs at least one redirect URI")
        app = OAuthApp(secrets.token_hex(32), secrets.token_hex(32), name, uris)
        with self._lock:
            self._apps[app.client_id] = app
        return app

    def app(self, client_id: str) -> OAuthApp | None:
        with self._lock:
            return self._apps.get(client_id)

    def authenticate(self, client_id: str, client_secret: str) -> OAuthApp:
        """The application with these credentials; raises OAuthError `invalid_client` (401)."""
        app = self.app(client_id) if client_id else None
        if app is None or not secrets.compare_digest(app.client_secret.encode(), client_secret.encode()):
            raise OAuthError("invalid_client", "invalid client_id or client_secret", 401)
        return app

    def grant(self, app: OAuthApp, redirect_uri: str, user_id: str, scopes: Iterable[str]) -> Grant:
        """Approve an authorization: a single-use code (32 random bytes, hex) living `code_lifetime_s`."""
        expires_at = utcnow() + timedelta(seconds=self.code_lifetime_s)
        grant = Grant(secrets.token_hex(32), app.client_id, redirect_uri, user_id, frozenset(scopes), expires_at)
        with self._lock:
            self._grants[grant.code] = grant
        return grant

    def exchange_code(self, tokens: TokenRegistry, app: OAuthApp, code: str, redirect_uri: str) -> OAuthToken:
        """Sentry's `authorization_code` grant; raises OAuthError `invalid_grant` for a code that is unknown,
        spent, expired, of another application or given with another redirect URI. Only a success spends it."""
        with self._lock:
            grant = self._grants.get(code) if code else None
            if grant is None or grant.client_id != app.client_id:
                raise OAuthError("invalid_grant", "invalid grant")
            if utcnow() >= grant.expires_at:
                raise OAuthError("invalid_grant", "grant expired")
            if grant.redirect_uri != redirect_uri:
                raise OAuthError("invalid_grant", "invalid redirect URI")
            del self._grants[code]
            issued = self._issue(tokens, app, grant.user_id, grant.scopes)
            self._stats.code_exchanges += 1
        return issued

    def refresh(self, tokens: TokenRegistry, app: OAuthApp, refresh_token: str) -> OAuthToken:
        """Sentry's `refresh_token` grant: a new access token and a new refresh token replace the old ones."""
        with self._lock:
            found = next(
                (
                    t
                    for t in self._tokens
                    if t.refresh_token is not None and secrets.compare_digest(t.refresh_token, refresh_token)
                ),
                None,
            )
            if found is None or found.client_id != app.client_id:
                raise OAuthError("invalid_grant", "invalid refresh token")
            self._forget(tokens, found)
            issued = self._issue(tokens, app, found.user_id, found.scopes)
            self._stats.refreshes += 1
        return issued

    def revoke_user(self, tokens: TokenRegistry, user_id: str) -> int:
        """Revoke every access and refresh token issued to `user_id`; returns how many tokens there were."""
        with self._lock:
            mine = [t for t in self._tokens if t.user_id == user_id]
            for token in mine:
                self._forget(tokens, token)
        return len(mine)

    def note_refused(self) -> None:
        with self._lock:
            self._stats.refused += 1

    def stats(self) -> OAuthStats:
        """A copy of the counters."""
        with self._lock:
            return dataclasses.replace(self._stats)

    def _issue(self, tokens: TokenRegistry, app: OAuthApp, user_id: str, scopes: frozenset[str]) -> OAuthToken:
        expires_at = utcnow() + timedelta(seconds=self.token_lifetime_s)
        value = secrets.token_hex(32)  # an application's token has no `sntryu_` prefix
        access = tokens.issue(user_id, scopes, f"oauth ({app.name})", value=value, expires_at=expires_at)
        refresh = secrets.token_hex(32) if self.refresh_tokens else None
        issued = OAuthToken(app.client_id, user_id, access, refresh)
        self._tokens.append(issued)
        return issued

    def _forget(self, tokens: TokenRegistry, token: OAuthToken) -> None:
        tokens.revoke(token.access.token)
        self._tokens.remove(token)
