"""Progress notifications: a call of several Sentry requests reports how far it has got, when asked to."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from mcp_servers.sentry_monitor.src.shared.results import records
from mcp_servers.sentry_sandbox.bulk import add_issues
from tests.e2e.test_stdio import open_session, server_env

if TYPE_CHECKING:
    from mcp_servers.sentry_sandbox import SandboxServer

pytestmark = pytest.mark.anyio


async def test_a_long_list_reports_each_page(clean_sandbox: SandboxServer, tmp_path: Path) -> None:
    add_issues(clean_sandbox.store, 300, project_slug="worker", events_per_issue=1)
    reports: list[tuple[float, float | None, str | None]] = []

    async def heard(progress: float, total: float | None, message: str | None) -> None:
        reports.append((progress, total, message))

    roomy = {**server_env(clean_sandbox), "SENTRY_MONITOR_MAX_RESULT_CHARS": "200000"}  # all 250 in the result
    async for session in open_session(roomy, tmp_path / "stderr.log"):
        result = await session.call_tool("get-recent-issues", {"project_slug": "worker", "limit": 250}, None, heard)
        assert not result.is_error and result.structured_content is not None
        assert len(records(result.structured_content["data"]["issues"])) == 250
        quiet = await session.call_tool("get-recent-issues", {"project_slug": "worker", "limit": 250})
        assert not quiet.is_error
    assert reports == [
        (100, 250, "read 100 of 250 issues"),
        (200, 250, "read 200 of 250 issues"),
        (250, 250, "read 250 of 250 issues"),
    ]


async def test_an_analysis_reports_each_request_done_in_order(sandbox: SandboxServer, tmp_path: Path) -> None:
    reports: list[tuple[float, float | None, str | None]] = []

    async def heard(progress: float, total: float | None, message: str | None) -> None:
        reports.append((progress, total, message))

    async for session in open_session(server_env(sandbox), tmp_path / "stderr.log"):
        for name in ("get-project-health", "analyze-error-patterns"):
            result = await session.call_tool(name, {"project_slug": "backend"}, None, heard)
            assert not result.is_error and result.structured_content is not None
            done = [report for report in reports if report[1] is not None and report[0] == report[1]]
            assert done, (name, reports)
            steps = [progress for progress, _total, _message in reports]
            assert steps == list(range(1, len(steps) + 1))  # one a finished request, always increasing
            assert result.meta is not None and result.meta["api_calls"] >= len(steps)
            reports.clear()
