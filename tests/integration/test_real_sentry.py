"""Read-only checks against a real Sentry, when a test token is given; writes only when allowed."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator

import pytest

from mcp_servers.framework.contracts import ModuleInput, ModuleOutput
from mcp_servers.sentry_monitor.src.base.config import load_settings
from mcp_servers.sentry_monitor.src.processor import SentryErrorMonitorModule
from mcp_servers.sentry_monitor.src.sentry import SentryApi
from mcp_servers.sentry_monitor.src.shared.results import records

pytestmark = pytest.mark.anyio
NEEDED = ("SENTRY_TEST_AUTH_TOKEN", "SENTRY_TEST_ORG", "SENTRY_TEST_PROJECT")
missing = [name for name in NEEDED if not os.environ.get(name)]
if missing:
    pytest.skip(
        f"real Sentry tests need {', '.join(missing)} (set them to run against a real Sentry)", allow_module_level=True
    )
PROJECT = os.environ["SENTRY_TEST_PROJECT"]


@pytest.fixture
async def module() -> AsyncIterator[SentryErrorMonitorModule]:
    settings = load_settings(
        {
            "SENTRY_AUTH_TOKEN": os.environ["SENTRY_TEST_AUTH_TOKEN"],
            "SENTRY_ORG": os.environ["SENTRY_TEST_ORG"],
            "SENTRY_URL": os.environ.get("SENTRY_TEST_URL", "https://sentry.io"),
        }
    )
    async with SentryErrorMonitorModule(settings) as opened:
        yield opened


async def run(module: SentryErrorMonitorModule, operation: str, **parameters: object) -> ModuleOutput:
    output = await module.execute(ModuleInput(operation=operation, parameters=parameters))
    assert output.ok, output.error
    assert output.data is not None
    return output


async def issue_to_change(module: SentryErrorMonitorModule) -> str:
    """The numeric id of the project's most recent unresolved issue, for a test that writes (skipped unless
    SENTRY_TEST_ALLOW_WRITES=1, or when the project has none)."""
    if os.environ.get("SENTRY_TEST_ALLOW_WRITES") != "1":
        pytest.skip("writes to real Sentry need SENTRY_TEST_ALLOW_WRITES=1")
    recent = await run(module, "get-recent-issues", project_slug=PROJECT, limit=1)
    issues = records(recent.data["issues"]) if recent.data else []
    if not issues:
        pytest.skip(f"project {PROJECT} has no unresolved issue to change")
    return str(issues[0]["id"])


async def test_real_reads(module: SentryErrorMonitorModule) -> None:
    recent = await run(module, "get-recent-issues", project_slug=PROJECT, limit=5, status="unresolved")
    await run(module, "get-project-stats", project_slug=PROJECT, period="24h")
    issues = records(recent.data["issues"]) if recent.data else []
    if not issues:
        pytest.skip(f"project {PROJECT} has no unresolved issues to read")
    details = await run(module, "get-issue-details", issue_id=issues[0]["short_id"] or issues[0]["id"])
    assert details.metadata.api_calls <= 3
    events = await run(module, "get-error-events", issue_id=issues[0]["id"], limit=3)
    if events.data and records(events.data["events"]):
        await run(
            module, "get-event", issue_id=issues[0]["id"], event_id=records(events.data["events"])[-1]["event_id"]
        )


async def test_real_discovery_and_analysis(module: SentryErrorMonitorModule) -> None:
    projects = await run(module, "list-projects")
    assert PROJECT in {project["slug"] for project in projects.data["projects"]}  # type: ignore[index]
    await run(module, "search-issues", query="is:unresolved", project_slug=PROJECT, limit=5)
    health = await run(module, "get-project-health", project_slug=PROJECT, period="7d")
    assert health.data is not None and health.data["verdict"] in ("healthy", "degraded", "critical")
    patterns = await run(module, "analyze-error-patterns", project_slug=PROJECT, period="7d", top=5)
    assert patterns.metadata.api_calls <= 22


async def test_real_status_changes_restore_the_issue(module: SentryErrorMonitorModule) -> None:
    issue_id = await issue_to_change(module)
    try:
        resolved = await run(module, "resolve-issue", issue_id=issue_id)
        assert resolved.data is not None and resolved.data["issue"]["status"] == "resolved"
        ignored = await run(module, "ignore-issue", issue_id=issue_id, until_escalating=True)
        assert ignored.data is not None and ignored.data["issue"]["status"] == "ignored"
        reopened = await run(module, "unresolve-issue", issue_id=issue_id)
        assert reopened.data is not None and reopened.data["issue"]["status"] == "unresolved"
    finally:
        client = module._client
        assert client is not None
        api = SentryApi(client)
        org = await api.organization()
        await api.put(["organizations", org, "issues", issue_id], body={"status": "unresolved"})


async def test_real_triage_reads(module: SentryErrorMonitorModule) -> None:
    """Who can be assigned, an issue's tag spread, a bulk dry run: nothing is written."""
    assignable = await run(module, "list-assignees", project_slug=PROJECT)
    assert assignable.data is not None and assignable.data["project"] == PROJECT
    dry = await run(module, "update-issues", project_slug=PROJECT, query="is:unresolved", status="resolved")
    assert dry.data is not None and dry.data["dry_run"] is True and dry.side_effects == []
    recent = await run(module, "get-recent-issues", project_slug=PROJECT, limit=1)
    issues = records(recent.data["issues"]) if recent.data else []
    if not issues:
        pytest.skip(f"project {PROJECT} has no unresolved issue to read the tags of")
    tags = await run(module, "get-issue-tags", issue_id=issues[0]["id"], top=3)
    assert tags.data is not None and tags.metadata.api_calls <= 2
    owners = await run(module, "get-recent-issues", project_slug=PROJECT, query="is:unassigned", limit=5)
    assert owners.ok


async def test_real_triage_writes_are_undone(module: SentryErrorMonitorModule) -> None:
    """A note (deleted afterwards), an assignment to the token's user and a bulk status change on one issue, each
    put back as it was."""
    issue_id = await issue_to_change(module)
    client = module._client
    assert client is not None
    api = SentryApi(client)
    org = await api.organization()
    before = (await api.issue(issue_id)).json_object("the issue")
    note_id: str | None = None
    try:
        added = await run(module, "add-issue-note", issue_id=issue_id, text="sentry-error-monitor test note")
        assert added.data is not None
        note_id = str(added.data["note_id"])
        details = await run(module, "get-issue-details", issue_id=issue_id)
        assert details.data is not None
        assert any("sentry-error-monitor test note" in note for note in details.data["issue"].get("notes", []))
        assigned = await run(module, "assign-issue", issue_id=issue_id, assignee="me")
        assert assigned.data is not None and assigned.side_effects
        changed = await run(module, "update-issues", issue_ids=[issue_id], status="resolved", dry_run=False)
        assert changed.data is not None and changed.data["issue_ids"] == [issue_id]
    finally:
        if note_id is not None:
            base = await client.region_base(api)
            path = ["organizations", org, "issues", issue_id, "notes", note_id]
            await client.send(api, "DELETE", base, path, retried=False)
        previous = before.get("assignedTo")
        restore = f"{previous['type']}:{previous['id']}" if isinstance(previous, dict) else ""
        await api.put(["organizations", org, "issues", issue_id], body={"status": "unresolved", "assignedTo": restore})
