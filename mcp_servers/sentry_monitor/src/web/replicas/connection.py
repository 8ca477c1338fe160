"""The one Redis connection pool of a replica, and what a Redis failure becomes: SHARED_STATE_UNAVAILABLE.

Every command has a short timeout (connect and read), and a dropped connection is tried once more (a Redis that
restarted leaves the pool's connections dead; the retry opens a new one). So a Redis that is down answers a
call in at most a few seconds with a clear error, never a hang, and calls work again as soon as it is back.
Keys are prefixed (`sentry-monitor:`), so one Redis can serve other things too.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import urlsplit

from redis.asyncio import Redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisError
from redis.exceptions import TimeoutError as RedisTimeoutError

from ...base.errors import SharedStateUnavailable

PREFIX = "sentry-monitor:"
NEEDED = (7, 0)  # PEXPIRE ... NX / GT (a sign-in's set of records); GETDEL needs 6.2
TIMEOUT_S = 2.0


class SharedRedis:
    def __init__(self, url: str, *, timeout_s: float = TIMEOUT_S, prefix: str = PREFIX) -> None:
        self.prefix = prefix
        self.where = shown_url(url)
        self.client: Redis = Redis.from_url(
            url,
            socket_timeout=timeout_s,
            socket_connect_timeout=timeout_s,
            retry=Retry(NoBackoff(), 1, supported_errors=(RedisConnectionError, RedisTimeoutError)),
            health_check_interval=30,
        )

    def key(self, *parts: str) -> str:
        return self.prefix + ":".join(parts)

    async def ping(self) -> bool:
        """Whether Redis answers now (for /readyz)."""
        try:
            return bool(await self.client.ping())
        except RedisError:
            return False

    async def version(self) -> tuple[int, ...] | None:
        """Redis's version (`INFO server`), None when it does not answer or does not say."""
        try:
            info = await self.client.info("server")
        except RedisError:
            return None
        found = str(info.get("redis_version", ""))
        return tuple(int(part) for part in found.split(".") if part.isdigit()) or None

    async def aclose(self) -> None:
        await self.client.aclose()


@contextmanager
def reaching() -> Iterator[None]:
    """Turn any Redis failure inside into SharedStateUnavailable (the URL, which may hold a password, not said)."""
    try:
        yield
    except RedisError as exc:
        raise SharedStateUnavailable(
            f"This server's shared state (Redis) did not answer: {type(exc).__name__}.", reason=type(exc).__name__
        ) from None


def shown_url(url: str) -> str:
    """The URL as logs may show it: scheme, host, port and database, never a user or password."""
    parts = urlsplit(url)
    if parts.scheme == "unix":
        return f"unix://{parts.path}"
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{parts.hostname}{port}{parts.path}"
