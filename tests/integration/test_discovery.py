"""list-projects, search-issues and get-event against the local Sentry."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from mcp_servers.sentry_monitor.src.shared.results import records
from tests.integration.ops import Factory, data, run

if TYPE_CHECKING:
    from mcp_servers.sentry_sandbox import SandboxServer


pytestmark = pytest.mark.anyio


async def test_list_projects_finds_slugs_and_filters(make_module: Factory, sandbox: SandboxServer) -> None:
    listed = data(await run(make_module(), "list-projects"))
    slugs = {project["slug"]: project for project in listed["projects"]}
    assert set(slugs) == {"backend", "worker"} and listed["total"] == 2
    assert slugs["backend"]["id"] == sandbox.project_id("backend") and slugs["backend"]["platform"] == "python"
    assert slugs["backend"]["has_sessions"] is True and slugs["backend"]["latest_release"]
    only = data(await run(make_module(), "list-projects", query="WORK"))
    assert [p["slug"] for p in only["projects"]] == ["worker"]
    allowed = await run(make_module(allowed_projects=frozenset({"worker"})), "list-projects")
    assert [p["slug"] for p in data(allowed)["projects"]] == ["worker"] and allowed.warnings


async def test_search_issues_across_the_organization_and_in_one_project(make_module: Factory) -> None:
    everywhere = data(await run(make_module(), "search-issues", query="is:unresolved", limit=100))
    prefixes = {issue["short_id"].split("-")[0] for issue in records(everywhere["issues"])}
    assert prefixes == {"BACKEND", "WORKER"}
    unhandled = data(
        await run(make_module(), "search-issues", query="is:unresolved error.unhandled:true", project_slug="backend")
    )
    assert records(unhandled["issues"]) and all(
        i["is_unhandled"] and i["short_id"].startswith("BACKEND") for i in records(unhandled["issues"])
    )
    resolved = data(await run(make_module(), "search-issues", query="is:resolved", limit=100))
    assert all(issue["status"] == "resolved" for issue in records(resolved["issues"]))


async def test_search_issues_keeps_to_the_allowed_projects(make_module: Factory, sandbox: SandboxServer) -> None:
    sandbox.clear_requests()
    found = data(await run(make_module(allowed_projects=frozenset({"worker"})), "search-issues", query="is:unresolved"))
    assert records(found["issues"]) and all(
        issue["short_id"].startswith("WORKER") for issue in records(found["issues"])
    )
    listing = next(r for r in sandbox.requests() if r["path"].endswith("/issues/"))
    assert f"project={sandbox.project_id('worker')}" in listing["query"] and "project=-1" not in listing["query"]


async def test_get_event_shows_a_chosen_event_like_the_latest(make_module: Factory) -> None:
    events = records(data(await run(make_module(), "get-error-events", issue_id="BACKEND-6", limit=3))["events"])
    older = events[-1]["event_id"]
    output = await run(make_module(), "get-event", issue_id="BACKEND-6", event_id=older.upper())
    event = data(output)["event"]
    assert event["event_id"] == older and event["exceptions"][0]["type"] == "ConnectionError"
    assert event["exceptions"][0]["frames"] and output.metadata.api_calls == 1
    oldest = data(await run(make_module(), "get-event", issue_id="BACKEND-6", event_id="oldest"))["event"]
    assert oldest["timestamp"] <= event["timestamp"]
    text = make_module().render(output)
    assert text.startswith(f"Event of BACKEND-6 {older}") and "Raised: ConnectionError" in text


@pytest.mark.parametrize(
    ("parameters", "code", "field"),
    [
        ({"issue_id": "BACKEND-6", "event_id": "not-an-id"}, "INVALID_PARAMETER", "event_id"),
        ({"issue_id": "BACKEND-6", "event_id": "0" * 32}, "EVENT_NOT_FOUND", None),
    ],
)
async def test_get_event_failures(
    make_module: Factory, parameters: dict[str, str], code: str, field: str | None
) -> None:
    output = await run(make_module(), "get-event", **parameters)
    assert output.error is not None and output.error.code == code
    assert output.error.details.get("field") == field


async def test_search_issues_skips_an_allowed_project_that_does_not_exist(make_module: Factory) -> None:
    output = await run(
        make_module(allowed_projects=frozenset({"worker", "gone"})), "search-issues", query="is:unresolved"
    )
    assert output.ok and records(data(output)["issues"]) and any("'gone' does not exist" in w for w in output.warnings)
    nothing = await run(make_module(allowed_projects=frozenset({"gone"})), "search-issues", query="is:unresolved")
    assert nothing.error is not None and nothing.error.code == "PROJECT_NOT_FOUND"
