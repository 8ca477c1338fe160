"""A read of several pages cut off by a fault, the deadline or a cursor loop returns what it has, and says so."""

from __future__ import annotations

import pytest

from mcp_servers.sentry_monitor.src.operations import paging
from mcp_servers.sentry_monitor.src.shared.results import records
from mcp_servers.sentry_sandbox import SandboxServer
from tests.reliability.conftest import Run

pytestmark = pytest.mark.anyio
LIST = r"/organizations/sandbox/issues/$"
PAGE = 3  # a small page, so that the 8 unresolved backend issues take several pages


@pytest.fixture(autouse=True)
def small_pages(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(paging, "PAGE_MAX", PAGE)


async def test_pages_are_read_until_the_limit(run: Run) -> None:
    outcome = await run("get-recent-issues", project_slug="backend", limit=7)  # of 8 unresolved
    assert outcome.output.ok and outcome.output.status.value == "success"
    assert len(records(outcome.output.data["issues"])) == 7  # type: ignore[index]
    assert outcome.requests_to("/issues/") == 3 and outcome.output.data["next_cursor"]  # type: ignore[index]


async def test_a_failed_later_page_gives_a_partial_result_and_the_cursor(faulty: SandboxServer, run: Run) -> None:
    faulty.add_fault("html", LIST, query="cursor=", status=503)
    outcome = await run("get-recent-issues", project_slug="backend", limit=8)
    output = outcome.output
    assert output.status.value == "partial_success" and output.error is None
    assert output.data is not None and len(records(output.data["issues"])) == PAGE
    assert output.data["next_cursor"] == f"0:{PAGE}:0"
    assert any(f"Only {PAGE} of the 8 issues" in w and "SENTRY_UNAVAILABLE" in w for w in output.warnings)
    assert any("cursor='0:3:0'" in w for w in output.warnings)


async def test_the_deadline_cuts_a_long_read_short_but_keeps_what_was_read(faulty: SandboxServer, run: Run) -> None:
    faulty.add_fault("slow", LIST, query="cursor=", delay=10)
    outcome = await run("get-recent-issues", {"timeout": 2.0}, project_slug="backend", limit=8)
    output = outcome.output
    assert output.status.value == "partial_success" and len(records(output.data["issues"])) == PAGE  # type: ignore[index]
    assert any("past the operation deadline" in w for w in output.warnings)
    assert outcome.seconds < 2.0


async def test_a_failed_first_page_is_the_operation_failure(faulty: SandboxServer, run: Run) -> None:
    faulty.add_fault("html", r"/events/$", status=503)
    outcome = await run("get-error-events", issue_id="BACKEND-1")
    assert outcome.code == "SENTRY_UNAVAILABLE" and outcome.output.data is None


async def test_a_cursor_loop_stops_with_a_warning(faulty: SandboxServer, run: Run) -> None:
    faulty.add_fault("link_loop", LIST)
    outcome = await run("get-recent-issues", project_slug="backend", limit=8)
    output = outcome.output
    assert output.status.value == "partial_success" and output.data is not None
    assert len(records(output.data["issues"])) == PAGE and output.data.get("next_cursor") is None
    assert any("pagination loop" in w for w in output.warnings)
    assert outcome.requests_to("/issues/") == 2


async def test_a_progress_listener_that_fails_does_not_fail_the_read(faulty: SandboxServer) -> None:
    from mcp_servers.framework.contracts import ModuleInput
    from mcp_servers.sentry_monitor.src.processor import SentryErrorMonitorModule
    from tests.conftest import sandbox_settings

    heard: list[float] = []

    async def broken(done: float, total: float | None, message: str | None) -> None:
        heard.append(done)
        raise RuntimeError("the client went away")

    async with SentryErrorMonitorModule(sandbox_settings(faulty)) as module:
        request = ModuleInput(operation="get-recent-issues", parameters={"project_slug": "backend", "limit": 7})
        output = await module.execute(request, progress=broken)
    assert output.ok and len(records(output.data["issues"])) == 7 and heard == [3, 6, 7]  # type: ignore[index]
