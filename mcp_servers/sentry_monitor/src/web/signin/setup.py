"""Putting sign-ins together for the app: the store, the vault, Sentry's OAuth, the provider, pages and callers."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from urllib.parse import urlsplit

import anyio
import httpx
from mcp.server.auth.provider import ProviderTokenVerifier
from mcp.server.auth.routes import build_resource_metadata_url, create_auth_routes, create_protected_resource_routes
from mcp.server.auth.settings import AuthSettings, ClientRegistrationOptions, RevocationOptions
from pydantic import AnyHttpUrl
from starlette.routing import Route

from ...base.config import Settings
from ...base.errors import InvalidConfiguration, SharedStateUnavailable
from ..metrics import Metrics
from ..replicas.connection import SharedRedis
from ..replicas.lock import RedisLocks
from ..replicas.records import RedisRecords
from ..settings import HttpSettings
from .callers import SignedInCallers
from .pages import SignInPages, SignInPolicy
from .provider import SCOPES, SignInProvider
from .sentry_oauth import SentryOAuth
from .signins import SignIns
from .store import Records, SignInStore, default_path
from .vault import Vault

CALLBACK_PATH = "/signin/callback"
SWEEP_EVERY_S = 600.0
logger = logging.getLogger("sentry_monitor.signin")


@dataclass
class SignIn:
    routes: list[Route]
    verifier: ProviderTokenVerifier
    callers: SignedInCallers
    resource: str
    resource_metadata_url: AnyHttpUrl
    sentry: SentryOAuth
    store: Records
    pages: SignInPages

    def report_to(self, metrics: Metrics) -> None:
        """Count sign-ins and renewals of users' Sentry tokens in `metrics`."""
        self.pages.count = metrics.signed_in
        self.callers.count = metrics.renewed

    async def sweep(self, every_s: float = SWEEP_EVERY_S) -> None:
        """Delete expired tokens, codes, sign-ins and abandoned sign-in attempts, now and every `every_s`."""
        while True:
            try:
                swept = await self.store.purge()
            except SharedStateUnavailable as exc:  # Redis is down: /readyz says so; sweep at the next turn
                logger.warning("could not sweep expired sign-ins: %s", exc.message)
            else:
                if swept:
                    logger.debug("swept %d expired sign-in record(s)", swept)
            await anyio.sleep(every_s)

    async def aclose(self) -> None:
        await self.sentry.aclose()
        await self.store.close()


def build_sign_in(
    http: HttpSettings,
    settings: Settings,
    transport: httpx.AsyncBaseTransport | None = None,
    shared: SharedRedis | None = None,
) -> SignIn:
    """`shared`: the Redis replicas share (sign-ins and the renewal lock there); None: the SQLite state file and a
    lock of this process. Raises InvalidConfiguration (a bad secret key, no organization to allow)."""
    assert http.public_url is not None
    parts = urlsplit(http.public_url)
    base = f"{parts.scheme}://{parts.netloc}"
    allowed = http.allowed_orgs or ((settings.org.lower(),) if settings.org else ())
    if not allowed:
        raise InvalidConfiguration(
            "Sign-ins need the organizations whose members may sign in: set SENTRY_MONITOR_ALLOWED_ORGS or SENTRY_ORG.",
            variable="SENTRY_MONITOR_ALLOWED_ORGS",
        )
    store: Records = RedisRecords(shared) if shared else SignInStore(http.state_file or default_path())
    signins = SignIns(store, Vault(http.secret_key))
    sentry = SentryOAuth(
        settings, http.oauth_client_id or "", http.oauth_client_secret or "", base + CALLBACK_PATH, transport
    )
    provider = SignInProvider(signins, base, http.public_url)
    policy = SignInPolicy(
        mode=http.auth,
        allowed_orgs=allowed,
        server=http.public_url,
        sentry=settings.host,
        secure_cookies=parts.scheme == "https",
    )
    pages = SignInPages(provider, sentry, policy)
    # The SDK's settings model keeps a path-less issuer without a trailing slash (RFC 8414 compares it exactly).
    urls = AuthSettings(issuer_url=base, resource_server_url=http.public_url, validate_token_resource=True)
    issuer, resource = urls.issuer_url, urls.resource_server_url
    assert resource is not None
    routes = [
        *create_auth_routes(
            provider,
            issuer_url=issuer,
            client_registration_options=ClientRegistrationOptions(
                enabled=True, valid_scopes=SCOPES, default_scopes=SCOPES
            ),
            revocation_options=RevocationOptions(enabled=True),
        ),
        *create_protected_resource_routes(
            resource, [issuer], scopes_supported=SCOPES, resource_name="Sentry Error Monitor"
        ),
        *pages.routes(),
    ]
    return SignIn(
        routes=routes,
        verifier=ProviderTokenVerifier(provider),
        callers=SignedInCallers(signins, sentry, http.public_url, RedisLocks(shared) if shared else None),
        resource=http.public_url,
        resource_metadata_url=build_resource_metadata_url(resource),
        sentry=sentry,
        store=store,
        pages=pages,
    )
