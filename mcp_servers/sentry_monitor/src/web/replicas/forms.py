"""The route forms and server kind learned per Sentry server, shared by replicas: `RedisForms`.

One Redis hash per server (its API base URL), a field per capability name (its form) and one for the kind
(`sentry/capabilities.py`). It expires FORMS_TTL_S after the last form was written, so a server upgraded
since is learned anew by replicas started after that.
"""

from __future__ import annotations

from ...sentry.capabilities import FormsMemory
from .connection import SharedRedis, reaching

FORMS_TTL_S = 24 * 3600


class RedisForms(FormsMemory):
    """A `FormsMemory` in Redis; raises SharedStateUnavailable when Redis does not answer."""

    def __init__(self, shared: SharedRedis) -> None:
        self._redis = shared

    async def recall(self, server: str, field: str) -> str | None:
        with reaching():
            value = await self._redis.client.hget(self._redis.key("forms", server), field)
        return value.decode() if isinstance(value, bytes) else value

    async def remember(self, server: str, field: str, value: str) -> None:
        key = self._redis.key("forms", server)
        with reaching():
            async with self._redis.client.pipeline(transaction=True) as both:
                both.hset(key, field, value)
                both.expire(key, FORMS_TTL_S)
                await both.execute()
