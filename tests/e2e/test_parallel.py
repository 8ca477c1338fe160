"""64 tool calls at once over one stdio session: each answer is its own, and one connection pool serves them."""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

import anyio
import pytest
from mcp import ClientSession

from mcp_servers.framework.contracts import ModuleInput
from mcp_servers.sentry_monitor.src.sentry.client import POOL_SIZE
from mcp_servers.sentry_monitor.src.shared.results import records
from tests.conftest import sandbox_settings
from tests.e2e.test_stdio import open_session, server_env

if TYPE_CHECKING:
    from mcp_servers.sentry_sandbox import SandboxServer

pytestmark = pytest.mark.anyio
PARALLEL = 64


async def expected_answers(sandbox: SandboxServer) -> list[tuple[str, dict[str, Any], dict[str, Any]]]:
    """64 calls and their answers, made one at a time through the module API."""
    from mcp_servers.sentry_monitor.src.processor import SentryErrorMonitorModule

    calls: list[tuple[str, dict[str, Any]]] = []
    async with SentryErrorMonitorModule(sandbox_settings(sandbox)) as module:

        async def data(name: str, arguments: dict[str, Any]) -> dict[str, Any]:
            output = await module.execute(ModuleInput(operation=name, parameters=arguments))
            assert output.ok and output.data is not None, output.error
            return output.data

        issues = [
            issue["short_id"]
            for project in ("backend", "worker")
            for issue in records((await data("get-recent-issues", {"project_slug": project, "limit": 100}))["issues"])
        ]
        for index in range(PARALLEL):
            issue = issues[index % len(issues)]
            project = ("backend", "worker")[index % 2]
            kind = index % 4
            if kind == 0:
                calls.append(("get-issue-details", {"issue_id": issue}))
            elif kind == 1:
                calls.append(("get-error-events", {"issue_id": issue, "limit": 1 + index % 5}))
            elif kind == 2:
                calls.append(("get-recent-issues", {"project_slug": project, "limit": 1 + index % 7}))
            else:
                calls.append(("get-project-stats", {"project_slug": project, "period": ("24h", "7d")[index % 2]}))
        return [(name, arguments, await data(name, arguments)) for name, arguments in calls]


def comparable(name: str, data: dict[str, Any]) -> Any:
    """The part of an answer that identifies it (times like last_seen are the same either way)."""
    if name == "get-issue-details":
        return data["issue"]["short_id"], data["issue"]["count"], data["latest_event"]["event_id"]
    if name == "get-error-events":
        return [event["event_id"] for event in records(data["events"])]
    if name == "get-recent-issues":
        return [issue["id"] for issue in records(data["issues"])]
    return data["totals"], data["series"]


async def test_64_parallel_calls_get_their_own_answers_over_one_pool(sandbox: SandboxServer, tmp_path: Path) -> None:
    sandbox.reset()
    expected = await expected_answers(sandbox)
    answers: dict[int, dict[str, Any]] = {}
    stderr = tmp_path / "stderr.log"
    async for session in open_session(server_env(sandbox), stderr, "--log-level", "DEBUG"):

        async def one(index: int, name: str, arguments: dict[str, Any], client: ClientSession = session) -> None:
            result = await client.call_tool(name, arguments)
            assert not result.is_error and result.structured_content is not None, result.content
            answers[index] = result.structured_content["data"]

        with anyio.fail_after(60):
            async with anyio.create_task_group() as group:
                for index, (name, arguments, _) in enumerate(expected):
                    group.start_soon(one, index, name, arguments)
    assert len(answers) == PARALLEL
    for index, (name, arguments, data) in enumerate(expected):
        assert comparable(name, answers[index]) == comparable(name, data), (name, arguments)
    opened, peak = open_connections(stderr.read_text())
    print(f"64 parallel calls opened {opened} connections, at most {peak} at once")
    assert 1 <= peak <= POOL_SIZE and opened < PARALLEL, (opened, peak)


def open_connections(log: str) -> tuple[int, int]:
    """From httpcore's debug log: how many connections were opened, and the most open at one time.

    A connection the server closes is not logged, so the peak counted may be above the real one, never below.
    """
    opened = peak = now = 0
    for event in re.findall(r"\b(connect_tcp|close)\.complete\b", log):
        if event == "connect_tcp":
            opened += 1
            now += 1
            peak = max(peak, now)
        else:
            now -= 1
    return opened, peak


async def test_a_429_burst_is_absorbed_by_the_retry_policy(clean_sandbox: SandboxServer, tmp_path: Path) -> None:
    """Each issue endpoint lets 5 requests a second through (Sentry's limit on issue details); 64 calls at once.

    The first burst is answered 429; the client learns the limit and paces the rest, so no call fails
    and none waits past the deadline (the 128 requests need at least 12.8 s).
    """
    clean_sandbox.add_fault("throttle", r"/issues/[^/]+/$", rate=5)
    clean_sandbox.add_fault("throttle", r"/events/latest/$", rate=5)
    stderr = tmp_path / "stderr.log"
    outcomes: list[str] = []
    async for session in open_session(server_env(clean_sandbox), stderr):

        async def one(index: int, client: ClientSession = session) -> None:
            result = await client.call_tool("get-issue-details", {"issue_id": f"BACKEND-{1 + index % 8}"})
            assert result.structured_content is not None
            outcomes.append(result.structured_content["status"])

        with anyio.fail_after(90):
            async with anyio.create_task_group() as group:
                for index in range(PARALLEL):
                    group.start_soon(one, index)
    limited = sum(fault["hits"] for fault in clean_sandbox.fault_hits())
    print(f"{len(outcomes)} calls, {limited} answers were 429")
    assert outcomes == ["success"] * PARALLEL and limited > 0
