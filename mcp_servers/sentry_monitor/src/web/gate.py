"""What the HTTP server puts in front of every tool call: who calls, their limit, the result format, metrics.

The access log middleware opens a `RequestInfo` for each HTTP request; the tool handler, which the SDK runs
in a task started from that request, finds it through a context variable and writes the tool's name into it.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from dataclasses import dataclass

from mcp.server.auth.middleware.auth_context import get_access_token

from mcp_servers.framework.contracts import ModuleOutput

from ..base.errors import CallerBusy
from ..operations.registry import OPERATIONS
from ..processor import SentryErrorMonitorModule
from .metrics import Metrics

ANONYMOUS = "anonymous"  # never seen over HTTP, where every call has a key; in-process tests may call without


@dataclass
class RequestInfo:
    """One HTTP request as the access log tells it."""

    structured: bool | None = None  # the caller's choice of result format (?format=), None: the server's
    bad_format: bool = False  # ?format= named something else (answered 400 once the key is checked)
    tool: str | None = None


CURRENT: ContextVar[RequestInfo | None] = ContextVar("sentry_monitor_request", default=None)


def caller() -> str:
    """The key id of the caller of this request."""
    token = get_access_token()
    return token.client_id if token is not None else ANONYMOUS


class HttpGate:
    """A CallGate (see server.py): a caller's calls in flight are limited in each process."""

    def __init__(self, metrics: Metrics, limit: int) -> None:
        self.metrics = metrics
        self.limit = limit
        self._in_flight: Counter[str] = Counter()

    def structured(self, default: bool) -> bool:
        info = CURRENT.get()
        return default if info is None or info.structured is None else info.structured

    async def admit(
        self, module: SentryErrorMonitorModule, tool: str, run: Callable[[], Awaitable[ModuleOutput]]
    ) -> ModuleOutput:
        info = CURRENT.get()
        if info is not None:
            info.tool = tool
        who = caller()
        started = time.perf_counter()
        if self._in_flight[who] >= self.limit:
            output = module.refused(
                tool,
                CallerBusy(
                    f"This caller already has {self._in_flight[who]} calls running on this server, its limit: "
                    f"{tool} was not run.",
                    limit=self.limit,
                ),
            )
        else:
            self._in_flight[who] += 1
            self.metrics.in_flight.inc()
            try:
                output = await run()
            finally:
                self._in_flight[who] -= 1
                if not self._in_flight[who]:
                    del self._in_flight[who]
                self.metrics.in_flight.dec()
        self._count(tool, output, time.perf_counter() - started)
        return output

    def _count(self, tool: str, output: ModuleOutput, seconds: float) -> None:
        tool = tool if tool in OPERATIONS else "unknown"  # a caller's made-up names must not grow the label set
        self.metrics.calls.labels(tool, output.status.value).inc()
        self.metrics.latency.labels(tool).observe(seconds)
        if output.error is not None:
            self.metrics.errors.labels(tool, output.error.code).inc()
