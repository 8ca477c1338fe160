"""The team server as an OAuth 2.1 authorization server for MCP clients: the SDK's provider protocol.

`mcp.server.auth` serves the endpoints (metadata, registration, /authorize, /token, /revoke) and checks what
the specs ask (PKCE S256, exact redirect URIs, single-use codes, client authentication); this provider keeps
what they need in the sign-in store. `/authorize` sends the user to our consent page (`pages.py`), which
sends them on to Sentry; when Sentry has said who they are, `pages.py` makes the sign-in and asks `issue_code`
for the code that goes back to the MCP client.

Tokens are opaque random strings, stored hashed, bound to this server's MCP URL (the resource); an access token
lives an hour, a refresh token 30 days, and each refresh replaces both. The access token's subject is the
sign-in, through which a tool call finds the user's Sentry token.
"""

from __future__ import annotations

import secrets
import time
from typing import Any

from mcp.server.auth.provider import (
    AccessToken,
    AuthorizationCode,
    AuthorizationParams,
    AuthorizeError,
    OAuthAuthorizationServerProvider,
    RefreshToken,
    TokenError,
)
from mcp.shared.auth import OAuthClientInformationFull, OAuthToken

from .signins import SignIn, SignIns
from .store import hashed

READ_SCOPE, WRITE_SCOPE = "sentry:read", "sentry:write"
SCOPES = [READ_SCOPE, WRITE_SCOPE]
ACCESS_TTL_S = 3600
REFRESH_TTL_S = 30 * 24 * 3600
CODE_TTL_S = 300
PENDING_TTL_S = 600
# A registration nobody signs in with is gone after a day (a flood of registrations cannot pile up); one that
# gets tokens lives a year after the last ones.
CLIENT_UNUSED_TTL_S = 24 * 3600
CLIENT_TTL_S = 365 * 24 * 3600
CLIENT, PENDING, CODE, ACCESS, REFRESH = "client", "pending", "code", "access", "refresh"
CONSENT_PATH = "/signin/consent"


class SignInProvider(OAuthAuthorizationServerProvider[AuthorizationCode, RefreshToken, AccessToken]):
    """The SDK's provider over the sign-in store (the jwt-bearer grant stays the SDK's: unsupported)."""

    def __init__(self, signins: SignIns, base_url: str, resource: str) -> None:
        self.signins = signins
        self.store = signins.store
        self.base_url = base_url  # where our pages are, e.g. https://mcp.example.com
        self.resource = resource  # the MCP URL tokens are bound to, e.g. https://mcp.example.com/mcp

    # -- clients (dynamic registration) ------------------------------------------------------------

    async def get_client(self, client_id: str) -> OAuthClientInformationFull | None:
        data = await self.store.get(CLIENT, client_id)
        return OAuthClientInformationFull.model_validate(data) if data else None

    async def register_client(self, client_info: OAuthClientInformationFull) -> None:
        assert client_info.client_id is not None
        data = client_info.model_dump(mode="json", exclude_none=True)
        await self.store.put(CLIENT, client_info.client_id, data, ttl=CLIENT_UNUSED_TTL_S)

    # -- /authorize: on to our consent page ------------------------------------------------------

    async def authorize(self, client: OAuthClientInformationFull, params: AuthorizationParams) -> str:
        if params.resource is not None and not _same_resource(params.resource, self.resource):
            raise AuthorizeError("invalid_target", f"This server issues tokens for {self.resource} only.")
        request_id = secrets.token_urlsafe(32)
        await self.store.put(
            PENDING,
            request_id,
            {"client_id": client.client_id, "params": params.model_dump(mode="json")},
            ttl=PENDING_TTL_S,
        )
        return f"{self.base_url}{CONSENT_PATH}?request={request_id}"

    async def pending(self, request_id: str) -> tuple[dict[str, Any], AuthorizationParams] | None:
        record = await self.store.get(PENDING, request_id)
        if record is None:
            return None
        return record, AuthorizationParams.model_validate(record["params"])

    async def issue_code(self, signin: SignIn, params: AuthorizationParams) -> str:
        """The authorization code the MCP client exchanges for our tokens (single use, 5 minutes)."""
        code = secrets.token_urlsafe(32)
        scopes = [READ_SCOPE] if signin.read_only else list(SCOPES)
        grant = AuthorizationCode(
            code=hashed(code),
            scopes=scopes,
            expires_at=time.time() + CODE_TTL_S,
            client_id=signin.client_id,
            code_challenge=params.code_challenge,
            redirect_uri=params.redirect_uri,
            redirect_uri_provided_explicitly=params.redirect_uri_provided_explicitly,
            resource=self.resource,
            subject=signin.id,
        )
        await self.store.put(CODE, hashed(code), grant.model_dump(mode="json"), ttl=CODE_TTL_S, owner=signin.id)
        return code

    # -- /token ----------------------------------------------------------------------------------

    async def load_authorization_code(
        self, client: OAuthClientInformationFull, authorization_code: str
    ) -> AuthorizationCode | None:
        data = await self.store.get(CODE, hashed(authorization_code))
        code = AuthorizationCode.model_validate(data) if data else None
        return code if code is not None and code.client_id == client.client_id else None

    async def exchange_authorization_code(
        self, client: OAuthClientInformationFull, authorization_code: AuthorizationCode
    ) -> OAuthToken:
        if await self.store.take(CODE, authorization_code.code) is None:  # another request got it first
            raise TokenError("invalid_grant", "authorization code has already been used")
        assert authorization_code.subject is not None
        return await self._issue(authorization_code.subject, authorization_code.client_id, authorization_code.scopes)

    async def load_refresh_token(self, client: OAuthClientInformationFull, refresh_token: str) -> RefreshToken | None:
        data = await self.store.get(REFRESH, hashed(refresh_token))
        if data is None or data["client_id"] != client.client_id:
            return None
        return RefreshToken(
            token=hashed(refresh_token),
            client_id=data["client_id"],
            scopes=data["scopes"],
            expires_at=int(data["expires_at"]),
            resource=data["resource"],
            subject=data["signin"],
        )

    async def exchange_refresh_token(
        self, client: OAuthClientInformationFull, refresh_token: RefreshToken, scopes: list[str]
    ) -> OAuthToken:
        if await self.store.take(REFRESH, refresh_token.token) is None:
            raise TokenError("invalid_grant", "refresh token has already been used")
        assert refresh_token.subject is not None
        await self.store.delete_owned(refresh_token.subject, (ACCESS,))  # the old access token ends with its refresh
        return await self._issue(refresh_token.subject, refresh_token.client_id, scopes or refresh_token.scopes)

    async def _issue(self, signin_id: str, client_id: str, scopes: list[str]) -> OAuthToken:
        if not await self.signins.extend(signin_id):  # a sign-in lives as long as its newest refresh token
            raise TokenError("invalid_grant", "the sign-in has ended; sign in again")
        access, refresh = "sem_at_" + secrets.token_urlsafe(32), "sem_rt_" + secrets.token_urlsafe(32)
        now = time.time()
        common = {"client_id": client_id, "scopes": scopes, "resource": self.resource, "signin": signin_id}
        await self.store.put(
            ACCESS, hashed(access), {**common, "expires_at": now + ACCESS_TTL_S}, ttl=ACCESS_TTL_S, owner=signin_id
        )
        await self.store.put(
            REFRESH, hashed(refresh), {**common, "expires_at": now + REFRESH_TTL_S}, ttl=REFRESH_TTL_S, owner=signin_id
        )
        await self.store.expire(CLIENT, client_id, CLIENT_TTL_S)
        return OAuthToken(
            access_token=access,
            token_type="Bearer",
            expires_in=ACCESS_TTL_S,
            scope=" ".join(scopes),
            refresh_token=refresh,
        )

    # -- every MCP request -----------------------------------------------------------------------

    async def load_access_token(self, token: str) -> AccessToken | None:
        data = await self.store.get(ACCESS, hashed(token))
        if data is None:
            return None
        return AccessToken(
            token=hashed(token),  # the request's token itself is not kept around
            client_id=data["client_id"],
            scopes=data["scopes"],
            expires_at=int(data["expires_at"]),
            resource=data["resource"],
            subject=data["signin"],
        )

    async def revoke_token(self, token: AccessToken | RefreshToken) -> None:
        """Sign-out: revoking either token ends the whole sign-in (its Sentry grant and all its tokens)."""
        if token.subject is not None:
            await self.signins.remove(token.subject)


def _same_resource(given: str, ours: str) -> bool:
    return given.rstrip("/").lower() == ours.rstrip("/").lower()
