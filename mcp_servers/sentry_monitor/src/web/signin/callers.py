"""Each signed-in user's calls run with their own Sentry token: one Sentry client per sign-in, over the server's one
connection pool, renewed with Sentry's refresh token before it expires.

Sentry may rotate the refresh token on each use, so two refreshes of one grant at once would lose it (the second
sends a refresh token the first made stale): refreshing is serialized per sign-in (across replicas, in Redis, when
they share one), and a call that waited uses the grant the first one got. A grant Sentry no longer honours ends the
sign-in, and the call answers NOT_AUTHENTICATED with where to sign in again.
"""

from __future__ import annotations

import logging
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import replace

from mcp.server.auth.provider import AccessToken

from ...base.errors import NotAuthenticated, SentryUnavailable
from ...processor import SentryErrorMonitorModule
from ...sentry import SentryClient
from .locks import LocalLocks, Locks
from .sentry_oauth import SentryGrant, SentryOAuth, SignInFailed
from .signins import API_TOKEN, SignIn, SignIns

logger = logging.getLogger("sentry_monitor.signin")
MAX_CLIENTS = 512  # users' clients kept (their organization, project ids and rate limits learned); LRU beyond
TOUCH_EVERY_S = 60.0


class SignedInCallers:
    def __init__(self, signins: SignIns, sentry: SentryOAuth, sign_in_url: str, locks: Locks | None = None) -> None:
        """`locks`: where renewals are serialized (Redis across replicas; default this process)."""
        self.signins = signins
        self.locks: Locks = locks or LocalLocks()
        self.sentry = sentry
        self.sign_in_url = sign_in_url
        self._clients: OrderedDict[str, SentryClient] = OrderedDict()
        self._touched: dict[str, float] = {}
        self._labels: dict[str, str] = {}  # who each kept client acts for (the audit log's names)
        self.count: Callable[[str], None] = lambda outcome: None  # the metrics' renewals (`report_to`)

    async def client(self, module: SentryErrorMonitorModule, token: AccessToken) -> SentryClient:
        """The caller's Sentry client, its token renewed first when it is about to expire (and by the client when
        Sentry refuses it)."""
        loaded = await self.signins.load(token.subject or "")
        if loaded is None:
            raise self._ended("it was signed out or revoked")
        signin, grant = loaded
        if grant is None:
            await self.signins.remove(signin.id)
            raise self._ended("its Sentry token can no longer be decrypted (SENTRY_MONITOR_SECRET_KEY changed)")
        if grant.expiring(time.time()):
            grant = await self._refresh(signin, grant.access_token)
        await self._touch(signin.id)
        return self._client_of(module, signin, grant)

    def _client_of(self, module: SentryErrorMonitorModule, signin: SignIn, grant: SentryGrant) -> SentryClient:
        client = self._clients.pop(signin.id, None)
        if client is None:

            async def renew(refused: SentryClient, stale: str) -> None:
                fresh = await self._refresh(signin, stale, force=True)
                refused.settings = replace(refused.settings, auth_token=fresh.access_token)

            client = module.client_for(
                grant.access_token, org=signin.org, renew=renew, rate_scope=f"user:{signin.user.id}"
            )
        elif client.settings.auth_token != grant.access_token:
            client.settings = replace(client.settings, auth_token=grant.access_token)
        self._clients[signin.id] = client
        self._labels[signin.id] = signin.user.label
        while len(self._clients) > MAX_CLIENTS:
            self._labels.pop(self._clients.popitem(last=False)[0], None)
        return client

    def label(self, signin_id: str) -> str | None:
        """Who a sign-in whose call just ran is (`user (email)`), from memory: the audit must not need the store."""
        return self._labels.get(signin_id)

    async def _refresh(self, signin: SignIn, stale: str, *, force: bool = False) -> SentryGrant:
        async with self.locks.locked("renew:" + signin.id):
            current = await self.signins.grant(signin.id)
            if current is None:
                raise self._ended("it was signed out or revoked")
            if not current.expiring(time.time()) and (current.access_token != stale or not force):
                return current  # still good, or another call renewed it while this one waited
            if signin.kind == API_TOKEN:
                await self._end(signin, "the API token was refused")
                raise self._ended("Sentry no longer accepts the API token you signed in with")
            if current.refresh_token is None:
                await self._end(signin, "Sentry gave no refresh token")
                raise self._ended("its Sentry token expired and Sentry gave no refresh token to renew it")
            try:
                fresh = await self.sentry.refresh(current.refresh_token)
            except SignInFailed as exc:
                self.count("refused" if exc.refused else "unavailable")
                if not exc.refused:
                    raise SentryUnavailable(f"Your Sentry token needs renewing and {exc.message}") from None
                await self._end(signin, exc.message)
                raise self._ended("Sentry refused to renew it (the app's access was revoked, or it expired)") from None
            self.count("renewed")
            if fresh.refresh_token is None:  # no new one given: the old one stays good
                fresh = replace(fresh, refresh_token=current.refresh_token)
            if not await self.signins.save_grant(signin.id, fresh):
                raise self._ended("it was signed out while being renewed")
            logger.info("renewed the Sentry token of %s (%s)", signin.user.label, signin.id)
            return fresh

    async def _end(self, signin: SignIn, why: str) -> None:
        await self.signins.remove(signin.id)
        self._clients.pop(signin.id, None)
        self._labels.pop(signin.id, None)
        logger.warning("sign-in %s of %s ended: %s", signin.id, signin.user.label, why)

    def _ended(self, why: str) -> NotAuthenticated:
        return NotAuthenticated(
            f"Your Sentry sign-in on this server has ended: {why}. Sign in again at {self.sign_in_url}.",
            sign_in=self.sign_in_url,
        )

    async def _touch(self, signin_id: str) -> None:
        now = time.monotonic()
        if now - self._touched.get(signin_id, -TOUCH_EVERY_S) >= TOUCH_EVERY_S:
            self._touched[signin_id] = now
            await self.signins.touch(signin_id)
