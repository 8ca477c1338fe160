"""Least privilege against the local Sentry: the project allow-list, read-only mode and scope errors."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

from mcp_servers.framework.contracts import ModuleInput, ModuleOutput
from mcp_servers.sentry_monitor.src.shared.results import records
from tests.integration.ops import Factory, run

if TYPE_CHECKING:
    from mcp_servers.sentry_sandbox import SandboxServer


pytestmark = pytest.mark.anyio
BACKEND_ONLY = frozenset({"backend"})


async def first_issue(make_module: Factory, project: str) -> dict[str, Any]:
    output = await run(make_module(), "get-recent-issues", project_slug=project, limit=1)
    assert output.ok and output.data is not None
    issue: dict[str, Any] = records(output.data["issues"])[0]
    return issue


def refused(output: ModuleOutput, project: str) -> None:
    assert output.error is not None and output.error.code == "PROJECT_NOT_ALLOWED", output.error
    assert output.status.value == "failure" and output.data is None
    assert output.error.details["project"] == project and output.error.details["allowed_projects"] == ["backend"]
    assert "SENTRY_MONITOR_ALLOWED_PROJECTS" in output.error.recovery_suggestion


SLUG_CALLS: list[tuple[str, dict[str, Any]]] = [
    ("get-recent-issues", {}),
    ("get-project-stats", {}),
    ("get-project-health", {}),
    ("analyze-error-patterns", {}),
    ("search-issues", {"query": "is:unresolved"}),
]
ISSUE_CALLS: list[tuple[str, dict[str, Any]]] = [
    ("get-issue-details", {}),
    ("get-issue-tags", {"keys": ["release"]}),
    ("get-error-events", {"limit": 250}),
    ("get-event", {"event_id": "latest"}),
    ("resolve-issue", {}),
    ("ignore-issue", {"until_escalating": True}),
    ("unresolve-issue", {}),
    ("add-issue-note", {"text": "not here"}),
]


@pytest.mark.parametrize(("operation", "extra"), SLUG_CALLS)
async def test_allow_list_refuses_other_projects_by_slug_before_any_request(
    make_module: Factory, clean_sandbox: SandboxServer, operation: str, extra: dict[str, Any]
) -> None:
    """Without SENTRY_ORG too: even finding the organization would be a request about a refused project."""
    for org in ("sandbox", None):
        module = make_module(allowed_projects=BACKEND_ONLY, org=org)
        output = await run(module, operation, project_slug="worker", **extra)
        refused(output, "worker")
        assert output.metadata.api_calls == 0
    assert clean_sandbox.requests() == []
    assert (await run(make_module(allowed_projects=BACKEND_ONLY), operation, project_slug="backend", **extra)).ok


@pytest.mark.parametrize(("operation", "extra"), ISSUE_CALLS)
@pytest.mark.parametrize("form", ["id", "short_id", "permalink"])
async def test_allow_list_refuses_issues_of_other_projects_in_every_form(
    make_module: Factory, clean_sandbox: SandboxServer, form: str, operation: str, extra: dict[str, Any]
) -> None:
    issue = await first_issue(make_module, "worker")
    clean_sandbox.clear_requests()
    heard: list[float] = []

    async def progress(done: float, total: float | None, message: str | None) -> None:
        heard.append(done)

    async with make_module(allowed_projects=BACKEND_ONLY) as module:
        request = ModuleInput(operation=operation, parameters={"issue_id": issue[form], **extra})
        output = await module.execute(request, progress=progress)
    refused(output, "worker")
    assert issue["title"] not in output.model_dump_json() and output.warnings == [] and heard == []
    # Only the issue itself was read, to learn its project: none of its events, and no change.
    assert [r["method"] for r in clean_sandbox.requests()] == ["GET"]
    assert (await first_issue(make_module, "worker"))["id"] == issue["id"]  # still unresolved


async def test_allow_list_lets_allowed_issues_through(make_module: Factory, clean_sandbox: SandboxServer) -> None:
    issue = await first_issue(make_module, "backend")
    details = await run(make_module(allowed_projects=BACKEND_ONLY), "get-issue-details", issue_id=issue["short_id"])
    events = await run(make_module(allowed_projects=BACKEND_ONLY), "get-error-events", issue_id=issue["id"])
    assert details.ok and events.ok and events.data is not None and records(events.data["events"])
    assert events.metadata.api_calls == 2  # the issue (for its project) first, then its events


async def test_read_only_mode_hides_and_refuses_writes_without_a_request(
    make_module: Factory, clean_sandbox: SandboxServer
) -> None:
    module = make_module(read_only=True)
    assert "resolve-issue" not in module.operations and "get-recent-issues" in module.operations
    assert "add-issue-note" not in module.operations
    for operation, extra in (("resolve-issue", {}), ("add-issue-note", {"text": "x"})):
        output = await run(make_module(read_only=True), operation, issue_id="BACKEND-1", **extra)
        assert output.error is not None and (output.error.code, output.status.value) == ("READ_ONLY", "failure")
        assert "SENTRY_MONITOR_READ_ONLY" in output.error.recovery_suggestion
        assert output.metadata.api_calls == 0 and clean_sandbox.requests() == []


async def test_invalid_token_says_invalid_or_expired(make_module: Factory) -> None:
    output = await run(make_module(auth_token="sntryu_" + "0" * 64), "get-project-stats", project_slug="backend")
    assert output.error is not None and output.error.code == "AUTH_FAILED"
    assert "invalid, expired or revoked" in output.error.message
