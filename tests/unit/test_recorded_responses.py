"""Real recorded Sentry responses (../shared/sentry-api/fixtures) must go through every operation."""

from __future__ import annotations

import json
from typing import Any

import pytest

from mcp_servers.framework.contracts import ModuleInput, ModuleOutput
from mcp_servers.sentry_monitor.src.sentry import models
from mcp_servers.sentry_monitor.src.shared.results import records
from tests.conftest import SHARED_API
from tests.fakes import ScriptedSentry, body_of

pytestmark = pytest.mark.anyio
FIXTURES = SHARED_API / "fixtures"
if not FIXTURES.is_dir():
    pytest.skip(
        f"recorded Sentry responses not found at {FIXTURES} (the shared/ folder beside the repo)",
        allow_module_level=True,
    )

ORG = "/api/0/organizations/acme/"


def fixture(name: str) -> Any:
    return json.loads((FIXTURES / f"{name}.json").read_text())


async def run(sentry: ScriptedSentry, operation: str, **parameters: Any) -> ModuleOutput:
    async with sentry.module() as module:
        output = await module.execute(ModuleInput(operation=operation, parameters=parameters))
        module.render(output)  # must render whatever came back
        return output


@pytest.mark.parametrize(
    "name",
    sorted(
        p.stem
        for p in FIXTURES.glob("*issue*.json")
        if "bulk" not in p.stem and "events" not in p.stem and "event-" not in p.stem
    ),
)
def test_every_recorded_issue_parses(name: str) -> None:
    data = fixture(name)
    for row in data if isinstance(data, list) else [data.get("group", data)]:
        issue = models.Issue.model_validate(row)
        assert issue.id and issue.count >= 0


@pytest.mark.parametrize("name", ["sentry-mcp__event", "spec-example__issue-event-detail"])
async def test_recorded_issue_and_event_render_as_details(name: str) -> None:
    sentry = ScriptedSentry().json("GET", "/events/latest/", fixture(name))
    sentry.json("GET", f"{ORG}issues/CLOUDFLARE-MCP-41/", fixture("sentry-mcp__issue"))
    output = await run(sentry, "get-issue-details", issue_id="cloudflare-mcp-41")
    assert output.status.value == "success", output.error
    assert output.data is not None
    issue, event = output.data["issue"], output.data["latest_event"]
    assert issue["short_id"] == "CLOUDFLARE-MCP-41" and issue["count"] == 25
    assert issue["count_24h"] is not None and issue["count_30d"] is not None
    assert event["exceptions"] and event["exceptions"][0]["frames"]
    assert event["breadcrumbs"] and event["request"].split(" ")[-1].startswith("http")
    assert "message" not in event  # an exception event's empty message says nothing
    assert output.metadata.api_calls == 2


async def test_recorded_issue_lists_parse() -> None:
    for name in ("spec-example__org-issues-list", "sentry-cli__get-issues"):
        sentry = ScriptedSentry().json("GET", "/projects/acme/backend/", fixture("spec-example__project-detail"))
        sentry.json("GET", f"{ORG}issues/", fixture(name), headers={"X-Hits": "3"})
        output = await run(sentry, "get-recent-issues", project_slug="backend")
        assert output.ok, output.error
        assert output.data is not None and len(records(output.data["issues"])) == len(fixture(name))


async def test_recorded_event_list_parses() -> None:
    sentry = ScriptedSentry().json("GET", "/events/", fixture("spec-example__issue-events-list"))
    output = await run(sentry, "get-error-events", issue_id="1")
    assert output.data is not None
    (event,) = records(output.data["events"])
    assert event["event_id"] == "9fac2ceed9344f2bbfdd1fdacb0ed9b1" and event["environment"] == "production"


async def test_recorded_stats_parse() -> None:
    sentry = ScriptedSentry().json("GET", "/projects/acme/backend/", fixture("spec-example__project-detail"))
    sentry.json("GET", f"{ORG}stats_v2/", fixture("spec-example__org-stats-v2"))
    output = await run(sentry, "get-project-stats", project_slug="backend", period="14d")
    assert output.data is not None
    assert output.data["totals"]["invalid"] == 165665 and output.data["totals"]["accepted"] == 0


async def test_recorded_resolve_round_trip() -> None:
    before = fixture("sentry-mcp__issue")
    sentry = ScriptedSentry().json("GET", f"{ORG}issues/{before['id']}/", before)
    sentry.json("PUT", f"{ORG}issues/{before['id']}/", dict(before, status="resolved", substatus=None))
    output = await run(sentry, "resolve-issue", issue_id=before["id"])
    assert output.data is not None and output.data["changed"] is True
    issue = output.data["issue"]
    assert issue == {"id": before["id"], "short_id": before["shortId"], "status": "resolved"}  # no substatus
    assert body_of(sentry.requests[-1]) == {"status": "resolved"}
    (change,) = output.side_effects
    assert change.before == {"status": "unresolved", "substatus": "ongoing"}


def test_recorded_organizations_and_projects_parse() -> None:
    for name in ("sentry-cli__get-organizations", "spec-example__organizations-list"):
        assert all(org["slug"] for org in fixture(name))
    for name in ("sentry-mcp__project", "spec-example__project-detail"):
        assert models.ProjectRef.model_validate(fixture(name)).id
