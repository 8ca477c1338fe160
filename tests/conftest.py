"""Shared fixtures: one seeded local Sentry per test session, and modules pointed at it."""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from mcp import ClientSession

from mcp_servers.framework.contracts import ModuleInput, ModuleOutput
from mcp_servers.sentry_monitor.src.base.config import Settings
from mcp_servers.sentry_monitor.src.processor import SentryErrorMonitorModule
from tests.ledger import LEDGER

if TYPE_CHECKING:
    from mcp_servers.sentry_sandbox import SandboxServer

REPO = Path(__file__).resolve().parents[1]
SHARED_API = REPO.parent / "shared" / "sentry-api"


@pytest.fixture(scope="session")
def anyio_backend() -> str:
    return "asyncio"


FLAVORS = ("sentry", "glitchtip", "sentry-legacy")


class SandboxPool:
    """One seeded local Sentry per flavor, started at first use and stopped at the end of the session."""

    def __init__(self) -> None:
        self._servers: dict[str, SandboxServer] = {}

    def get(self, flavor: str) -> SandboxServer:
        from mcp_servers.sentry_sandbox import SandboxServer

        if flavor not in self._servers:
            server = SandboxServer(port=0, flavor=flavor).start()
            self._servers[flavor] = server
            server.seed()
            LEDGER.secrets.update({server.token, server.read_only_token})
        return self._servers[flavor]

    def close(self) -> None:
        for server in self._servers.values():
            server.stop()


@pytest.fixture(scope="session")
def sandbox_pool() -> Iterator[SandboxPool]:
    pool = SandboxPool()
    yield pool
    pool.close()


@pytest.fixture(scope="session")
def sandbox(sandbox_pool: SandboxPool) -> SandboxServer:
    """The local Sentry (sentry flavor) on 127.0.0.1, seeded through the official sentry-sdk once per session."""
    return sandbox_pool.get("sentry")


@pytest.fixture(scope="session", params=FLAVORS)
def flavored_sandbox(request: pytest.FixtureRequest, sandbox_pool: SandboxPool) -> SandboxServer:
    """The local Sentry of each flavor in turn (a test using it runs once per flavor)."""
    return sandbox_pool.get(str(request.param))


def issue_states(sandbox: SandboxServer) -> dict[int, tuple[str, str, str | None]]:
    """Every issue's numeric id -> (short id, status, substatus), read from the store."""
    store = sandbox.store
    return {issue.id: (store.short_id(issue), issue.status, issue.substatus) for issue in store.issues()}


def account_for_changes(sandbox: SandboxServer, before: dict[int, tuple[str, str, str | None]]) -> None:
    """Record issues changed without a write call naming them, and the faults the test injected."""
    after = issue_states(sandbox)
    LEDGER.changed_unasked({key: state[0] for key, state in after.items() if before.get(key) != state})
    for fault in sandbox.fault_hits():
        LEDGER.faults_injected[fault["kind"]] += fault["hits"]


@pytest.fixture
def clean_sandbox(sandbox: SandboxServer) -> Iterator[SandboxServer]:
    """The sandbox with its seeded state restored and no faults after the test (for tests that change issues).

    Before restoring, any issue changed without a write call naming it is recorded as an unasked change.
    """
    sandbox.clear_requests()
    sandbox.clear_faults()
    LEDGER.asked.clear()
    before = issue_states(sandbox)
    yield sandbox
    account_for_changes(sandbox, before)
    sandbox.reset()
    sandbox.clear_faults()


@pytest.fixture(autouse=True)
def watch_outputs(monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest) -> Iterator[None]:
    """Every tool output of the test goes through the ledger; a token in any of them fails the test."""
    original_execute = SentryErrorMonitorModule.execute
    original_call_tool = ClientSession.call_tool

    async def execute(self: SentryErrorMonitorModule, module_input: ModuleInput, **options: Any) -> ModuleOutput:
        output = await original_execute(self, module_input, **options)
        text = self.render(output)
        LEDGER.record_call(module_input.operation, module_input.parameters, output.model_dump(mode="json"), text)
        return output

    async def call_tool(self: ClientSession, name: str, arguments: Any = None, *args: Any, **kwargs: Any) -> Any:
        result = await original_call_tool(self, name, arguments, *args, **kwargs)
        text = "".join(getattr(block, "text", "") for block in result.content)
        LEDGER.record_call(name, arguments, result.structured_content or {"status": "no structured content"}, text)
        return result

    monkeypatch.setattr(SentryErrorMonitorModule, "execute", execute)
    monkeypatch.setattr(ClientSession, "call_tool", call_tool)
    leaks_before = len(LEDGER.leaks)
    logs: Path | None = request.getfixturevalue("tmp_path") if "tmp_path" in request.fixturenames else None
    yield
    for path in logs.rglob("*.log") if logs else ():
        LEDGER.scan_file(path)
    new_leaks = LEDGER.leaks[leaks_before:]
    assert not new_leaks, f"an auth token appeared in an output: {new_leaks}"


def pytest_sessionfinish(session: pytest.Session) -> None:
    target = os.environ.get("RELIABILITY_LEDGER")
    if target:
        Path(target).write_text(json.dumps(LEDGER.totals(), indent=2))


def sandbox_settings(sandbox: SandboxServer, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "auth_token": sandbox.token,
        "url": sandbox.url,
        "org": sandbox.org_slug,
        "timeout": 10.0,
        "retry_attempts": 1,
    }
    values.update(overrides)
    return Settings(**values)


@pytest.fixture
def make_module(sandbox: SandboxServer) -> Callable[..., SentryErrorMonitorModule]:
    def factory(**overrides: Any) -> SentryErrorMonitorModule:
        return SentryErrorMonitorModule(sandbox_settings(sandbox, **overrides))

    return factory


def coverage_env() -> dict[str, str]:
    """Variables a subprocess needs to be measured by coverage (the SDK's stdio client passes few on)."""
    return {key: value for key, value in os.environ.items() if key.startswith("COVERAGE_")}
