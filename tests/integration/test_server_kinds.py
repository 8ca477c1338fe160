"""What each kind of server is asked, against the local Sentry in every flavor: GlitchTip is identified and
asked the way it answers; an older Sentry gets the nearest answer it has, said; nothing is silently wrong."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any
from urllib.parse import unquote

import httpx
import pytest

from mcp_servers.framework.contracts import ModuleInput, ModuleOutput
from mcp_servers.sentry_monitor.src.processor import SentryErrorMonitorModule
from mcp_servers.sentry_monitor.src.sentry import capabilities
from mcp_servers.sentry_monitor.src.shared.results import records
from mcp_servers.sentry_sandbox import SandboxServer
from tests.conftest import SandboxPool, sandbox_settings

pytestmark = pytest.mark.anyio


async def run(sandbox: SandboxServer, operation: str, **parameters: Any) -> ModuleOutput:
    async with SentryErrorMonitorModule(sandbox_settings(sandbox)) as module:
        return await module.execute(ModuleInput(operation=operation, parameters=parameters))


def listed_event_ids(sandbox: SandboxServer, issue_id: str) -> list[str]:
    """The issue's event ids as GlitchTip's `issues/{id}/events/` lists them, every page."""
    ids: list[str] = []
    cursor = None
    with httpx.Client(base_url=f"{sandbox.url}/api/0/", headers={"Authorization": f"Bearer {sandbox.token}"}) as api:
        while True:
            page = api.get(
                f"issues/{issue_id}/events/", params={"limit": 100, **({"cursor": cursor} if cursor else {})}
            )
            ids += [str(row.get("eventID") or row.get("event_id")) for row in page.json()]
            found = re.search(r'<[^>]*cursor=([^&>]+)[^>]*>; rel="next"; results="true"', page.headers.get("link", ""))
            if not found:
                return ids
            cursor = unquote(found.group(1))


def busiest(sandbox: SandboxServer, project: str = "backend") -> str:
    project_id = sandbox.project_id(project)
    issues = [issue for issue in sandbox.store.issues() if issue.project_id == project_id]
    return str(max(issues, key=lambda issue: len(issue.events)).id)


@pytest.mark.parametrize(
    ("flavor", "kind"), [("sentry", "Sentry"), ("sentry-legacy", "Sentry"), ("glitchtip", "GlitchTip")]
)
async def test_each_flavor_is_identified_once(sandbox_pool: SandboxPool, flavor: str, kind: str) -> None:
    sandbox = sandbox_pool.get(flavor)
    capabilities.forget_server(f"{sandbox.url}/api/0/")
    assert (await run(sandbox, "get-recent-issues", project_slug="backend", limit=1)).ok
    known = capabilities.for_server(f"{sandbox.url}/api/0/").kind
    assert known is not None and known.name == kind


@pytest.mark.parametrize("flavor", ["sentry", "sentry-legacy", "glitchtip"])
async def test_oldest_and_recommended_events_work_on_every_flavor(sandbox_pool: SandboxPool, flavor: str) -> None:
    sandbox = sandbox_pool.get(flavor)
    issue_id = busiest(sandbox)
    events = sandbox.store.issue(int(issue_id)).events  # type: ignore[union-attr]
    stored = sorted(events, key=lambda e: e.timestamp)  # Sentry names the oldest and latest by their time
    if flavor == "glitchtip":  # GlitchTip's events list (newest received first) is where the oldest comes from
        listed = listed_event_ids(sandbox, issue_id)
        stored = [next(e for e in events if e.event_id == listed[-1]), *stored[1:-1], stored[-1]]
    oldest = await run(sandbox, "get-event", issue_id=issue_id, event_id="oldest")
    assert oldest.ok and oldest.data is not None, oldest.error
    assert oldest.data["event"]["event_id"] == stored[0].event_id
    recommended = await run(sandbox, "get-event", issue_id=issue_id, event_id="recommended")
    assert recommended.ok and recommended.data is not None, recommended.error
    lacks = flavor != "sentry"  # an older Sentry and GlitchTip name no recommended event: the latest, said
    assert any("no recommended event" in warning for warning in recommended.warnings) is lacks
    if lacks:
        assert recommended.data["event"]["event_id"] == stored[-1].event_id


async def test_glitchtip_searches_every_project_and_counts_new_issues(sandbox_pool: SandboxPool) -> None:
    sandbox = sandbox_pool.get("glitchtip")
    everywhere = await run(sandbox, "search-issues", query="is:unresolved", limit=100)
    found = records(everywhere.data["issues"]) if everywhere.data else []
    assert {issue["short_id"].split("-")[0] for issue in found} == {"BACKEND", "WORKER"}
    health = await run(sandbox, "get-project-health", project_slug="backend", period="24h")
    new = health.data["issues"]["new"] if health.data else None
    assert new is not None and new > 0, health.warnings
    assert "regressed" not in health.data["issues"] and any("no 'regressed'" in w for w in health.warnings)  # type: ignore[index]


async def test_glitchtip_statistics_count_every_stored_event_and_none_in_the_future(
    sandbox_pool: SandboxPool,
) -> None:
    sandbox = sandbox_pool.get("glitchtip")
    output = await run(sandbox, "get-project-stats", project_slug="backend", period="7d")
    data = output.data
    assert output.ok and data is not None
    start = datetime.fromisoformat(data["series_start"].replace("Z", "+00:00"))
    project_id = sandbox.project_id("backend")
    stored = sum(1 for e in sandbox.store.events() if e.project_id == project_id and e.timestamp >= start)
    assert data["totals"]["accepted"] == sum(data["series"]) == stored > 0
    assert start.timestamp() + 86400 * (len(data["series"]) - 1) <= datetime.now(UTC).timestamp()


def user_counts(value: Any) -> list[Any]:
    """Every user count in a result (table rows read back as dicts)."""
    if isinstance(value, dict) and "columns" in value and "rows" in value:
        value = records(value)
    if isinstance(value, dict):
        own = [value[key] for key in ("user_count", "users") if key in value]
        return own + [count for item in value.values() for count in user_counts(item)]
    if isinstance(value, list):
        return [count for item in value for count in user_counts(item)]
    return []


@pytest.mark.parametrize(
    ("tool", "arguments"),
    [
        ("get-recent-issues", {"project_slug": "backend"}),
        ("analyze-error-patterns", {"project_slug": "backend"}),
        ("get-project-health", {"project_slug": "backend"}),
    ],
)
async def test_glitchtip_lists_never_claim_a_user_count_they_do_not_have(
    sandbox_pool: SandboxPool, tool: str, arguments: dict[str, Any]
) -> None:
    output = await run(sandbox_pool.get("glitchtip"), tool, **arguments)
    assert output.ok and output.data is not None
    assert set(user_counts(output.data)) <= {None}, tool  # no user count at all rather than GlitchTip's 0
    assert any("counts no users" in warning for warning in output.warnings)
