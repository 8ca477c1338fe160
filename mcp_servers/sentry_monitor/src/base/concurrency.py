"""Running requests side by side without losing which one failed."""

from __future__ import annotations

from collections.abc import Awaitable, Sequence
from typing import TypeVar

import anyio

A = TypeVar("A")
B = TypeVar("B")
T = TypeVar("T")


async def gather_two(first: Awaitable[A], second: Awaitable[B]) -> tuple[A | Exception, B | Exception]:
    """Await both concurrently; each slot holds its result or the exception it raised.

    Unlike a bare task group, a failure of one does not cancel the other, and the caller gets the
    exception itself rather than an ExceptionGroup.
    """
    results: list[object] = [None, None]

    async def run(index: int, awaitable: Awaitable[object]) -> None:
        try:
            results[index] = await awaitable
        except Exception as exc:  # handed to the caller, who decides
            results[index] = exc

    async with anyio.create_task_group() as group:
        group.start_soon(run, 0, first)
        group.start_soon(run, 1, second)
    return results[0], results[1]  # type: ignore[return-value]


async def gather_all(awaitables: Sequence[Awaitable[T]], *, limit: int | None = None) -> list[T | Exception]:
    """Await all concurrently (at most `limit` at a time); each slot holds its result or its exception.

    `gather_two` for many awaitables of one type: no failure cancels the others, no ExceptionGroup.
    """
    slots: list[object] = [None] * len(awaitables)
    limiter = anyio.CapacityLimiter(limit) if limit else None

    async def run(index: int, awaitable: Awaitable[T]) -> None:
        try:
            if limiter is None:
                slots[index] = await awaitable
            else:
                async with limiter:
                    slots[index] = await awaitable
        except Exception as exc:  # handed to the caller, who decides
            slots[index] = exc

    async with anyio.create_task_group() as group:
        for index, awaitable in enumerate(awaitables):
            group.start_soon(run, index, awaitable)
    return slots  # type: ignore[return-value]
