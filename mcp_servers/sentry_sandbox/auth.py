"""API tokens and scope checks (REFERENCE §8), and the DSN key check of the ingest endpoint."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from starlette.requests import Request

FULL_SCOPES = frozenset({"org:read", "project:read", "event:read", "event:write"})
READ_ONLY_SCOPES = frozenset({"org:read", "project:read", "event:read"})

# A route needs one of these scopes; a `:write`/`:admin` scope implies the matching `:read`.
ORG_READ = ("org:read", "org:write", "org:admin")
PROJECT_READ = ("project:read", "project:write", "project:admin")
EVENT_READ = ("event:read", "event:write", "event:admin")
EVENT_WRITE = ("event:write", "event:admin")

INVALID_TOKEN = {"detail": "Invalid token"}
NO_PERMISSION = {"detail": "You do not have permission to perform this action."}


def new_user_token() -> str:
    """A user auth token in Sentry's format: `sntryu_` + 64 hex characters."""
    return "sntryu_" + secrets.token_hex(32)


@dataclass(frozen=True)
class ApiToken:
    token: str
    scopes: frozenset[str]

    def allows(self, any_of: tuple[str, ...]) -> bool:
        return any(scope in self.scopes for scope in any_of)


class TokenRegistry:
    """The two tokens generated per sandbox start: full and read-only."""

    def __init__(self) -> None:
        self.full = ApiToken(new_user_token(), FULL_SCOPES)
        self.read_only = ApiToken(new_user_token(), READ_ONLY_SCOPES)

    def from_request(self, request: Request) -> ApiToken | None:
        """The token of `Authorization: Bearer <token>`, or None when missing or unknown."""
        scheme, _, value = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() not in ("bearer", "token"):
            return None
        value = value.strip()
        for token in (self.full, self.read_only):
            if secrets.compare_digest(token.token, value):
                return token
        return None


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
