"""Ending the stdio server well: on stdin EOF or a signal, within a second, never leaving a write half-known.

The SDK reads stdin in a worker thread that a cancellation cannot interrupt, so a signal would leave
the process waiting for a line that never comes. `stdin_lines` reads it on the event loop instead.
A call that changes Sentry gets a short grace period when it is cancelled (client gone, shutdown);
its outcome is logged either way.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import stat
from collections.abc import Awaitable, Callable
from typing import TypeVar

import anyio
from anyio.abc import TaskStatus

logger = logging.getLogger("sentry_monitor")
T = TypeVar("T")

SHUTDOWN_SIGNALS = (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)
WRITE_GRACE_S = 0.5
MAX_LINE_BYTES = 64 * 1024 * 1024


async def stop_on_signal(
    scope: anyio.CancelScope, *, task_status: TaskStatus[None] = anyio.TASK_STATUS_IGNORED
) -> None:
    """Cancel `scope` on the first SIGTERM, SIGINT or SIGHUP."""
    with anyio.open_signal_receiver(*SHUTDOWN_SIGNALS) as signals:
        task_status.started()
        async for signum in signals:
            logger.info("received %s: stopping", signal.Signals(signum).name)
            scope.cancel()
            return


class StdinLines:
    """stdin as an async iterator of text lines, read by the event loop so a cancellation ends it at once."""

    def __init__(self, reader: asyncio.StreamReader) -> None:
        self._reader = reader

    def __aiter__(self) -> StdinLines:
        return self

    async def __anext__(self) -> str:
        line = await self._reader.readline()
        if not line:
            raise StopAsyncIteration
        return line.decode("utf-8", "replace")


async def stdin_lines() -> StdinLines | None:
    """A cancellable reader of fd 0, or None where stdin is not a pipe or socket (the SDK's reader is used)."""
    try:
        mode = os.fstat(0).st_mode
    except OSError:
        return None
    if not (stat.S_ISFIFO(mode) or stat.S_ISSOCK(mode)):
        return None
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader(limit=MAX_LINE_BYTES)
    pipe = os.fdopen(os.dup(0), "rb", buffering=0)
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), pipe)
    return StdinLines(reader)


async def finish_or_report(run: Callable[[], Awaitable[T]], description: str, grace: float = WRITE_GRACE_S) -> T:
    """Await `run()`; if the caller is cancelled meanwhile, give it `grace` seconds more and log the outcome.

    Used for calls that change Sentry: the change either completes (and is logged as completed during
    shutdown) or is logged as possibly applied, so it is never silently half-known.
    """
    result: list[T] = []
    shield = anyio.CancelScope(shield=True)
    interrupted = False

    async def work() -> None:
        with shield:
            result.append(await run())
        if shield.cancelled_caught:
            logger.error(
                "%s was cut off at shutdown after a %.1f s grace: it may or may not have reached Sentry; "
                "check the issue's status.",
                description,
                grace,
            )
        elif interrupted:
            logger.warning("%s completed during shutdown.", description)
        group.cancel_scope.cancel()

    async def watch() -> None:
        nonlocal interrupted
        try:
            await anyio.sleep_forever()
        finally:
            if not result:
                interrupted = True
                shield.deadline = anyio.current_time() + grace

    async with anyio.create_task_group() as group:
        group.start_soon(work)
        group.start_soon(watch)
    return result[0]
