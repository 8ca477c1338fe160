"""Fault tests: the module API against the local Sentry with faults injected into its real HTTP answers."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pytest
from tenacity.wait import wait_random_exponential

from mcp_servers.framework.contracts import ModuleInput, ModuleOutput
from mcp_servers.sentry_monitor.src.processor import SentryErrorMonitorModule
from mcp_servers.sentry_monitor.src.sentry import retry
from tests.conftest import sandbox_settings

if TYPE_CHECKING:
    from mcp_servers.sentry_sandbox import SandboxServer

RETRIES = 2  # so at most 3 requests per Sentry call


@dataclass
class Outcome:
    output: ModuleOutput
    seconds: float
    requests: list[dict[str, Any]]

    @property
    def code(self) -> str | None:
        return self.output.error.code if self.output.error else None

    def requests_to(self, path_part: str, method: str = "GET") -> int:
        return sum(1 for r in self.requests if path_part in r["path"] and r["method"] == method)


Run = Callable[..., Awaitable[Outcome]]


@pytest.fixture(autouse=True)
def quick_backoff(monkeypatch: pytest.MonkeyPatch) -> None:
    """Exponential backoff with jitter as in production, scaled down 50x so the suite stays fast."""
    monkeypatch.setattr(retry, "_BACKOFF", wait_random_exponential(multiplier=0.01, max=0.2))


@pytest.fixture
def faulty(clean_sandbox: SandboxServer) -> Iterator[SandboxServer]:
    """The seeded sandbox, faults cleared before and after, issues restored after.

    A hung request is logged only when its client has gone; wait for that, so it cannot show up in the
    next test's request log.
    """
    yield clean_sandbox
    hung = sum(fault["hits"] for fault in clean_sandbox.fault_hits() if fault["kind"] == "hang")
    deadline = time.monotonic() + 5
    while hung and time.monotonic() < deadline:
        if sum(1 for r in clean_sandbox.requests() if r.get("fault") == "hang") >= hung:
            break
        time.sleep(0.02)


@pytest.fixture
def run(faulty: SandboxServer) -> Run:
    """Run one operation in a fresh module (settings overridable) and collect what Sentry saw."""

    async def go(operation: str, settings: dict[str, Any] | None = None, **parameters: Any) -> Outcome:
        faulty.clear_requests()
        values = {"timeout": 5.0, "retry_attempts": RETRIES, **(settings or {})}
        started = time.monotonic()
        async with SentryErrorMonitorModule(sandbox_settings(faulty, **values)) as module:
            output = await module.execute(ModuleInput(operation=operation, parameters=parameters))
        return Outcome(output, time.monotonic() - started, faulty.requests())

    return go
