"""A lock held in Redis, so that of all replicas one at a time renews a sign-in's Sentry token (Sentry may rotate
the refresh token on each use: two renewals at once would lose the grant).

Taking it is `SET lock:<key> <random> NX PX <lease>`; a replica that cannot take it polls until it can (the
call's own deadline bounds the wait). Releasing deletes the key only if it still holds our random value (a Lua
compare-and-delete), so a holder whose lease ran out never frees another's lock. The lease outlives any renewal
(one request to Sentry, bounded by its timeout): a replica killed while holding it blocks that sign-in's renewals
for the lease at most, never for good.
"""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import anyio

from .connection import SharedRedis, reaching

LEASE_S = 30.0
POLL_S = 0.05
_RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""


class RedisLocks:
    def __init__(self, redis: SharedRedis, lease_s: float = LEASE_S) -> None:
        self.redis = redis
        self.lease_ms = int(lease_s * 1000)
        self._release = redis.client.register_script(_RELEASE)

    @asynccontextmanager
    async def locked(self, key: str) -> AsyncIterator[None]:
        name = self.redis.key("lock", key)
        mine = secrets.token_hex(16)
        while True:
            with reaching():
                if await self.redis.client.set(name, mine, nx=True, px=self.lease_ms):
                    break
            await anyio.sleep(POLL_S)
        try:
            yield
        finally:
            with anyio.CancelScope(shield=True), reaching():
                await self._release(keys=[name], args=[mine])
