"""API tokens and scope checks (REFERENCE §8), and the DSN key check of the ingest endpoint.

A token acts as a user (`user_id`), as Sentry's user auth tokens do, or as no user (`user_id` None), like an
organization-bound integration token; what it may then read is worked out in `access.py`. A token issued through
OAuth (`oauth.py`) has an `expires_at`: Sentry's `TokenAuthentication` refuses it once passed (401 "Token expired");
the other tokens never expire. A revoked token is forgotten, so it is an unknown one (401 "Invalid token").
"""

from __future__ import annotations

import secrets
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from starlette.requests import Request

FULL_SCOPES = frozenset({"org:read", "project:read", "event:read", "event:write", "member:read"})
READ_ONLY_SCOPES = frozenset({"org:read", "project:read", "event:read", "member:read"})
OWNER_USER_ID = "1"  # the sandbox organization's owner (see `directory.default_directory`)

# A route needs one of these scopes; a `:write`/`:admin` scope implies the matching `:read`.
ORG_READ = ("org:read", "org:write", "org:admin")
PROJECT_READ = ("project:read", "project:write", "project:admin")
MEMBER_READ = ("member:read", "member:write", "member:admin")
EVENT_READ = ("event:read", "event:write", "event:admin")
EVENT_WRITE = ("event:write", "event:admin")
EVENT_ADMIN = ("event:admin",)

INVALID_TOKEN = {"detail": "Invalid token"}
TOKEN_EXPIRED = {"detail": "Token expired"}
NO_PERMISSION = {"detail": "You do not have permission to perform this action."}


def new_user_token() -> str:
    """A user auth token in Sentry's format: `sntryu_` + 64 hex characters."""
    return "sntryu_" + secrets.token_hex(32)


@dataclass(frozen=True)
class ApiToken:
    token: str
    scopes: frozenset[str]
    user_id: str | None = OWNER_USER_ID
    label: str = ""
    expires_at: datetime | None = None  # None: never expires

    def allows(self, any_of: tuple[str, ...]) -> bool:
        return any(scope in self.scopes for scope in any_of)

    def expired(self, now: datetime) -> bool:
        return self.expires_at is not None and now >= self.expires_at


class TokenRegistry:
    """The tokens of one sandbox: full and read-only (both the owner's), and any `issue()` adds later."""

    def __init__(self) -> None:
        self.full = ApiToken(new_user_token(), FULL_SCOPES, label="sandbox")
        self.read_only = ApiToken(new_user_token(), READ_ONLY_SCOPES, label="sandbox read-only")
        self._issued: list[ApiToken] = []
        self._lock = threading.Lock()

    def issue(
        self,
        user_id: str | None,
        scopes: Iterable[str],
        label: str = "",
        *,
        value: str | None = None,
        expires_at: datetime | None = None,
    ) -> ApiToken:
        """A new token acting as `user_id` (None: no user, like an integration token) with `scopes`.

        `value` is the token's text (default: a user auth token's, see `new_user_token`); with `expires_at` None
        it never expires.
        """
        token = ApiToken(value or new_user_token(), frozenset(scopes), user_id, label, expires_at)
        with self._lock:
            self._issued.append(token)
        return token

    def revoke(self, value: str) -> bool:
        """Forget the issued token whose value is `value`; False when there was none."""
        with self._lock:
            kept = [token for token in self._issued if not secrets.compare_digest(token.token, value)]
            revoked = len(kept) < len(self._issued)
            self._issued = kept
        return revoked

    def all(self) -> list[ApiToken]:
        """Every token, in the order made (full, read-only, then the issued ones)."""
        with self._lock:
            return [self.full, self.read_only, *self._issued]

    def find(self, value: str) -> ApiToken | None:
        """The token whose value is `value`, or None."""
        found = None
        for token in self.all():
            if secrets.compare_digest(token.token, value):
                found = token
        return found

    def from_request(self, request: Request) -> ApiToken | None:
        """The token of `Authorization: Bearer <token>`, or None when missing or unknown."""
        scheme, _, value = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() not in ("bearer", "token"):
            return None
        return self.find(value.strip())


def sentry_key_from_request(request: Request) -> str | None:
    """The DSN public key from `X-Sentry-Auth`, `Authorization: Sentry ...` or `?sentry_key=`."""
    for header in ("x-sentry-auth", "authorization"):
        value = request.headers.get(header, "")
        if not value.lower().startswith("sentry "):
            continue
        for part in value[7:].split(","):
            key, _, item = part.strip().partition("=")
            if key.strip() == "sentry_key" and item.strip():
                return item.strip()
    return request.query_params.get("sentry_key") or None
