"""The lock that serializes renewing one sign-in's Sentry token: in this process (`LocalLocks`), or across
replicas in Redis (`replicas/lock.py`). Both are `Locks`."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Protocol

import anyio


class Locks(Protocol):
    def locked(self, key: str) -> AbstractAsyncContextManager[None]:
        """Hold the lock named `key` inside the block; waiters go in turn."""
        ...


class LocalLocks:
    def __init__(self) -> None:
        self._locks: dict[str, tuple[anyio.Lock, list[int]]] = {}

    @asynccontextmanager
    async def locked(self, key: str) -> AsyncIterator[None]:
        lock, users = self._locks.setdefault(key, (anyio.Lock(), [0]))
        users[0] += 1
        try:
            async with lock:
                yield
        finally:
            users[0] -= 1
            if not users[0]:
                del self._locks[key]
