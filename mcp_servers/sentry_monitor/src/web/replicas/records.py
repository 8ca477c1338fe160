"""Sign-ins, tokens, codes and client registrations in Redis, shared by every replica (`signin/store.py`'s
`Records`, as the SQLite store keeps them for one).

Each record is one string key, `rec:<kind>:<key>`, holding its JSON value, with the record's expiry as the key's
TTL: Redis forgets an expired token by itself, on every replica at once. Two small indexes serve what a key
lookup cannot: `own:<sign-in>`, the set of a sign-in's records (signing out deletes them all; it expires with
the longest of them), and `idx:<kind>`, the kinds listed whole (`sign-ins list`, sign-out by user), ordered by
when each record was first put; an index entry whose record has expired is dropped when next listed or swept.
A single-use code or refresh token is taken with GETDEL, so of two replicas exchanging it at once one gets it.
Changing some fields of a record (a renewed grant, when it was last used) writes the merged record only if it is
still the one read (a Lua compare-and-set, tried again otherwise), so a replica never writes back a field another
one changed meanwhile; a new expiry is a PEXPIRE alone.
"""

from __future__ import annotations

import json
import time
from typing import Any

from .connection import SharedRedis, reaching

# KEYS: the record. ARGV: the value read, the value to write instead. 1 when written (nobody wrote in between).
SWAP = """
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[1], ARGV[2], 'KEEPTTL')
return 1
"""


class RedisRecords:
    def __init__(self, redis: SharedRedis) -> None:
        self.redis = redis
        self._r = redis.client
        self._swap = redis.client.register_script(SWAP)

    def _record(self, kind: str, key: str) -> str:
        return self.redis.key("rec", kind, key)

    def _index(self, kind: str) -> str:
        return self.redis.key("idx", kind)

    def _owned(self, owner: str) -> str:
        return self.redis.key("own", owner)

    async def put(
        self, kind: str, key: str, value: dict[str, Any], *, ttl: float | None = None, owner: str | None = None
    ) -> None:
        ttl_ms = max(1, int(ttl * 1000)) if ttl is not None else None
        with reaching():
            async with self._r.pipeline(transaction=True) as pipe:
                pipe.set(self._record(kind, key), json.dumps(value), px=ttl_ms)
                pipe.zadd(self._index(kind), {key: time.time()}, nx=True)
                if owner is not None:
                    owned = self._owned(owner)
                    pipe.sadd(owned, f"{kind}:{key}")
                    if ttl_ms is None:
                        pipe.persist(owned)
                    else:  # the set lives as long as its longest-lived record
                        pipe.pexpire(owned, ttl_ms, nx=True)
                        pipe.pexpire(owned, ttl_ms, gt=True)
                await pipe.execute()

    async def merge(
        self, kind: str, key: str, changes: dict[str, Any], *, unless: dict[str, Any] | None = None
    ) -> bool:
        record = self._record(kind, key)
        with reaching():
            while True:  # read, merge here, and write only if nobody wrote in between; else again
                raw = await self._r.get(record)
                if raw is None:
                    return False
                value = json.loads(raw)
                if any(value.get(field) != held for field, held in (unless or {}).items()):
                    return False
                value.update(changes)
                if await self._swap(keys=[record], args=[raw, json.dumps(value)]):
                    return True

    async def expire(self, kind: str, key: str, ttl: float) -> bool:
        with reaching():
            return bool(await self._r.pexpire(self._record(kind, key), max(1, int(ttl * 1000))))

    async def get(self, kind: str, key: str) -> dict[str, Any] | None:
        with reaching():
            raw = await self._r.get(self._record(kind, key))
        return dict(json.loads(raw)) if raw is not None else None

    async def take(self, kind: str, key: str) -> dict[str, Any] | None:
        with reaching():
            raw = await self._r.getdel(self._record(kind, key))
            if raw is not None:
                await self._r.zrem(self._index(kind), key)
        return dict(json.loads(raw)) if raw is not None else None

    async def delete(self, kind: str, key: str) -> bool:
        with reaching():
            async with self._r.pipeline(transaction=True) as pipe:
                pipe.delete(self._record(kind, key))
                pipe.zrem(self._index(kind), key)
                deleted, _ = await pipe.execute()
        return bool(deleted)

    async def delete_owned(self, owner: str, kinds: tuple[str, ...]) -> int:
        with reaching():
            members = [_text(member) for member in await self._r.smembers(self._owned(owner))]
            mine = [member.split(":", 1) for member in members if member.split(":", 1)[0] in kinds]
            if not mine:
                return 0
            async with self._r.pipeline(transaction=True) as pipe:
                pipe.delete(*(self._record(kind, key) for kind, key in mine))
                pipe.srem(self._owned(owner), *(f"{kind}:{key}" for kind, key in mine))
                for kind, key in mine:
                    pipe.zrem(self._index(kind), key)
                deleted = (await pipe.execute())[0]
        return int(deleted)

    async def all(self, kind: str) -> list[tuple[str, dict[str, Any]]]:
        with reaching():
            keys = [_text(key) for key in await self._r.zrange(self._index(kind), 0, -1)]
            if not keys:
                return []
            values = await self._r.mget([self._record(kind, key) for key in keys])
            gone = [key for key, raw in zip(keys, values, strict=True) if raw is None]
            if gone:
                await self._r.zrem(self._index(kind), *gone)
        return [(key, json.loads(raw)) for key, raw in zip(keys, values, strict=True) if raw is not None]

    async def purge(self) -> int:
        """Drop index entries whose records Redis has expired; returns how many (the records expire by TTL)."""
        dropped = 0
        with reaching():
            async for index in self._r.scan_iter(match=self.redis.key("idx", "*"), count=100):
                keys = [_text(key) for key in await self._r.zrange(index, 0, -1)]
                kind = _text(index).rsplit(":", 1)[-1]
                for start in range(0, len(keys), 500):
                    batch = keys[start : start + 500]
                    present = await self._r.mget([self._record(kind, key) for key in batch])
                    gone = [key for key, raw in zip(batch, present, strict=True) if raw is None]
                    if gone:
                        dropped += int(await self._r.zrem(index, *gone))
        return dropped

    async def close(self) -> None:
        """The Redis pool is the replica's (`SharedRedis`), closed by whoever opened it."""


def _text(value: object) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)
