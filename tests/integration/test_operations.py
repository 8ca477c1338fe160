"""Each operation over real HTTP against the local Sentry, seeded by sentry-sdk."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

import pytest

from mcp_servers.framework.contracts import ModuleInput
from mcp_servers.sentry_monitor.src.shared.results import records
from tests.integration.ops import Factory, data, run

if TYPE_CHECKING:
    from mcp_servers.sentry_sandbox import SandboxServer


pytestmark = pytest.mark.anyio
_LEARNED: set[str] = set()


@pytest.fixture(scope="session")
def sandbox(flavored_sandbox: SandboxServer) -> SandboxServer:
    """Every test here runs against each flavor of the local Sentry: sentry, glitchtip, sentry-legacy."""
    return flavored_sandbox


@pytest.fixture(autouse=True)
async def capabilities_learned(sandbox: SandboxServer, make_module: Factory) -> None:
    """Each tool once per flavor first, so the request counts below are those of a server already known
    (how the fallbacks are learned, and what that costs, is tested in test_flavors.py)."""
    if sandbox.flavor in _LEARNED:
        return
    issue = (await all_issues(make_module))[0]
    for operation, parameters in [
        ("get-issue-details", {"issue_id": issue["id"]}),
        ("get-error-events", {"issue_id": issue["id"]}),
        ("get-project-stats", {"project_slug": "backend"}),
    ]:
        assert (await run(make_module(), operation, **parameters)).ok
    _LEARNED.add(sandbox.flavor)


def issue_ref(sandbox: SandboxServer, issue: dict[str, Any]) -> str:
    """The short id where the server looks issues up by short id (not GlitchTip), else the numeric id."""
    return str(issue["id"] if sandbox.flavor == "glitchtip" else issue["short_id"])


async def all_issues(make_module: Factory, **parameters: Any) -> list[dict[str, Any]]:
    issues = data(await run(make_module(), "get-recent-issues", project_slug="backend", limit=100, **parameters))
    return list(records(issues.get("issues")))


async def permalink_of(make_module: Factory, issue_id: str) -> str:
    return str(data(await run(make_module(), "get-issue-details", issue_id=issue_id))["issue"]["permalink"])


async def test_recent_issues_are_sorted_by_last_seen_and_complete(make_module: Factory) -> None:
    output = await run(make_module(), "get-recent-issues", project_slug="backend", limit=5)
    result = data(output)
    issues = records(result["issues"])
    assert 1 <= len(issues) <= 5
    assert [i["last_seen"] for i in issues] == sorted((i["last_seen"] for i in issues), reverse=True)
    for issue in issues:
        assert issue["status"] == "unresolved" and isinstance(issue["count"], int) and issue["count"] >= 1
        permalink = result["permalink_template"].replace("{id}", issue["id"])  # said once for the list
        assert issue["short_id"].startswith("BACKEND-") and permalink.startswith("http://127.0.0.1")
        assert issue["title"] and issue["first_seen"] <= issue["last_seen"]
    assert result["total_hits"] >= len(issues)
    assert output.recommendations and "get-issue-details" in output.recommendations[0]
    assert output.metadata.api_calls == 2  # project id lookup, then the list


async def test_paging_with_cursor_walks_every_issue_once(make_module: Factory) -> None:
    everything = await all_issues(make_module)
    seen: list[str] = []
    cursor = None
    async with make_module() as module:
        for _ in range(50):
            parameters: dict[str, Any] = {"project_slug": "backend", "limit": 2}
            if cursor:
                parameters["cursor"] = cursor
            page = data(await module.execute(ModuleInput(operation="get-recent-issues", parameters=parameters)))
            seen += [issue["id"] for issue in records(page["issues"])]
            cursor = page.get("next_cursor")
            if cursor is None:
                break
    assert len(everything) > 2
    assert sorted(seen) == sorted(issue["id"] for issue in everything)


async def test_sort_and_status_filters(make_module: Factory) -> None:
    by_count = await all_issues(make_module, sort="freq")
    assert [i["count"] for i in by_count] == sorted((i["count"] for i in by_count), reverse=True)
    by_first_seen = await all_issues(make_module, sort="new")
    assert [i["first_seen"] for i in by_first_seen] == sorted((i["first_seen"] for i in by_first_seen), reverse=True)
    assert await all_issues(make_module, status="resolved") == []


async def test_issue_details_by_id_short_id_and_url(make_module: Factory, sandbox: SandboxServer) -> None:
    issue = (await all_issues(make_module, sort="freq"))[0]
    answers = []
    refs = [issue["id"], await permalink_of(make_module, issue["id"])]
    if sandbox.flavor == "glitchtip":  # it looks issues up by numeric id only, and says so
        output = await run(make_module(), "get-issue-details", issue_id=issue["short_id"])
        assert output.error is not None and output.error.code == "UNSUPPORTED_BY_SERVER"
        assert output.error.details["capability"] == "issue lookup" and "numeric id" in output.error.recovery_suggestion
        assert output.metadata.api_calls <= 1  # at most the server's identification, never an issue route
    else:
        refs.append(issue["short_id"].lower())
    for ref in refs:
        output = await run(make_module(), "get-issue-details", issue_id=ref)
        answers.append(data(output))
        assert output.metadata.api_calls == (4 if sandbox.flavor == "glitchtip" else 2)  # GlitchTip: tags, comments
    assert all(answer == answers[0] for answer in answers)
    details = answers[0]
    assert details["issue"]["id"] == issue["id"] and details["issue"]["count"] == issue["count"]
    if sandbox.flavor != "glitchtip":  # GlitchTip has no 30-day series (its `stats` is {"24h": []})
        assert details["issue"]["count_30d"] is not None and details["issue"]["top_tags"]
    event = details["latest_event"]
    assert len(event["event_id"]) == 32 and event["exceptions"]
    raised = event["exceptions"][0]
    said = f"{raised['type']}: {raised['value']}" if "type" in raised else details["issue"]["title"]
    assert said.split(":")[0] == issue["title"].split(":")[0]  # left out only where the title says it
    assert raised["frames"] and re.search(r":\d+\)( \[in app\])?$", raised["frames"][-1])
    assert any(frame.endswith(" [in app]") for frame in raised["frames"]) and raised["crash_source"]


async def test_chained_exceptions_come_raised_first(make_module: Factory) -> None:
    for issue in await all_issues(make_module):
        details = data(await run(make_module(), "get-issue-details", issue_id=issue["id"]))
        exceptions = details["latest_event"]["exceptions"]
        if len(exceptions) > 1:
            assert "type" not in exceptions[0] and issue["title"].startswith(exceptions[1]["type"]) is False
            assert exceptions[1]["type"] and exceptions[1]["frames"]  # the cause keeps its own type
            return
    pytest.fail("the seed has no chained exception")


@pytest.mark.parametrize(
    ("project", "message", "logger"),
    [
        ("worker", "Job queue backlog above threshold: 5000 pending", None),  # sentry_sdk.capture_message
        ("backend", "Refund webhook from acme-pay rejected: bad signature (key whk_7)", "shop.refunds"),  # logging
    ],
)
async def test_message_events_show_their_message(
    make_module: Factory, sandbox: SandboxServer, project: str, message: str, logger: str | None
) -> None:
    listed = data(await run(make_module(), "get-recent-issues", project_slug=project, limit=100))
    issue = next(issue for issue in records(listed["issues"]) if issue["title"] == message)
    ref = issue_ref(sandbox, issue)
    if sandbox.flavor == "glitchtip":  # GlitchTip's events carry neither a level tag nor the logger
        level, logger = None, None
        line = f"Message: {message}"
    else:
        level = "error"
        line = f"Message [error]{f' {logger}' if logger else ''}: {message}"
    details = await run(make_module(), "get-issue-details", issue_id=ref)
    event = await run(make_module(), "get-event", issue_id=ref, event_id="latest")
    for said in (data(details)["latest_event"], data(event)["event"]):
        assert (said["message"], said.get("logger"), said.get("level")) == (message, logger, level)
        assert "exceptions" not in said
    for output in (details, event):
        assert line in make_module().render(output)
    listing = await run(make_module(), "get-error-events", issue_id=ref, limit=3)
    events = records(data(listing)["events"])
    assert len(events) == 3 and all(row["title"] == message and "message" not in row for row in events)
    assert make_module().render(listing).count(message) == 3  # the title says it, once per event


async def test_error_events_page_through_an_issue(make_module: Factory, sandbox: SandboxServer) -> None:
    issue = (await all_issues(make_module, sort="freq"))[0]
    ref = issue_ref(sandbox, issue)
    first = data(await run(make_module(), "get-error-events", issue_id=ref, limit=2))
    assert len(records(first["events"])) == 2 and first["next_cursor"]
    assert records(first["events"])[0]["timestamp"] >= records(first["events"])[1]["timestamp"]
    second = data(await run(make_module(), "get-error-events", issue_id=ref, limit=2, cursor=first["next_cursor"]))
    assert {e["event_id"] for e in records(first["events"])}.isdisjoint(
        e["event_id"] for e in records(second["events"])
    )
    event = records(first["events"])[0]
    assert event["environment"] and event["release"] and event["title"]


async def test_project_stats_count_every_outcome(make_module: Factory, sandbox: SandboxServer) -> None:
    day = data(await run(make_module(), "get-project-stats", project_slug="backend", period="24h"))
    assert day["interval"] == "1h" and len(day["series"]) in (24, 25)
    output = await run(make_module(), "get-project-stats", project_slug="backend", period="30d")
    month = data(output)
    assert month["interval"] == "1d" and len(month["series"]) in (30, 31)
    assert month["totals"]["accepted"] >= day["totals"]["accepted"] > 0
    assert month["totals"]["accepted"] == sum(month["series"]) and month["series_start"].endswith("Z")
    assert month["peak"]["accepted"] == max(month["series"])
    if sandbox.flavor == "glitchtip":  # no outcomes there: accepted only, and the result says so
        assert list(month["totals"]) == ["accepted"] and output.status.value == "success"
        assert output.warnings == [
            "This server has no per-outcome error statistics: totals are accepted (stored) events only; "
            "filtered, rate-limited and invalid events are not counted."
        ]
        return
    assert output.warnings == []
    assert month["totals"]["filtered"] > 0
    worker = data(await run(make_module(), "get-project-stats", project_slug="worker", period="30d"))
    assert worker["totals"]["rate_limited"] > 0
    outcomes = {**month["totals"], **worker["totals"]}
    assert outcomes.keys() >= {"accepted", "filtered", "rate_limited", "invalid"}


async def test_resolve_changes_state_and_records_the_side_effect(
    make_module: Factory, clean_sandbox: SandboxServer
) -> None:
    issue = (await all_issues(make_module))[0]
    output = await run(make_module(), "resolve-issue", issue_id=issue_ref(clean_sandbox, issue))
    assert data(output)["issue"]["status"] == "resolved"
    (change,) = output.side_effects
    assert change.kind == "issue_status_changed" and change.target == f"issue:{issue['short_id']}"
    assert change.before == {"status": "unresolved", "substatus": issue.get("substatus")}
    assert change.after is not None and change.after["status"] == "resolved"
    puts = [r for r in clean_sandbox.requests() if r["method"] == "PUT"]
    assert len(puts) == 1 and puts[0]["path"].endswith(f"/issues/{issue['id']}/")
    assert issue["id"] in [i["id"] for i in await all_issues(make_module, status="resolved")]
    again = await run(make_module(), "resolve-issue", issue_id=issue["id"])
    assert again.status.value == "success" and again.side_effects == [] and "already resolved" in again.warnings[0]
    assert len([r for r in clean_sandbox.requests() if r["method"] == "PUT"]) == 1


async def test_not_found_maps_to_codes(make_module: Factory, sandbox: SandboxServer) -> None:
    short_id_answer = "UNSUPPORTED_BY_SERVER" if sandbox.flavor == "glitchtip" else "ISSUE_NOT_FOUND"
    cases = [
        ("get-issue-details", {"issue_id": "999999999"}, "ISSUE_NOT_FOUND"),
        ("get-issue-details", {"issue_id": "BACKEND-ZZZZ"}, short_id_answer),
        ("get-error-events", {"issue_id": "999999999"}, "ISSUE_NOT_FOUND"),
        ("resolve-issue", {"issue_id": "999999999"}, "ISSUE_NOT_FOUND"),
        ("get-recent-issues", {"project_slug": "no-such-project"}, "PROJECT_NOT_FOUND"),
        ("get-project-stats", {"project_slug": "no-such-project"}, "PROJECT_NOT_FOUND"),
        ("get-project-health", {"project_slug": "no-such-project"}, "PROJECT_NOT_FOUND"),
        ("analyze-error-patterns", {"project_slug": "no-such-project"}, "PROJECT_NOT_FOUND"),
    ]
    for operation, parameters, code in cases:
        output = await run(make_module(), operation, **parameters)
        assert output.error is not None and output.error.code == code, (operation, output.error)
        assert output.status.value == "failure" and output.error.recovery_suggestion


async def test_wrong_token_is_auth_failed_and_never_echoed(make_module: Factory) -> None:
    token = "sntryu_" + "e" * 64
    output = await run(make_module(auth_token=token), "get-recent-issues", project_slug="backend")
    assert output.error is not None and (output.error.code, output.status.value) == ("AUTH_FAILED", "error")
    assert token not in output.model_dump_json()


async def test_token_without_event_write_cannot_resolve(make_module: Factory, clean_sandbox: SandboxServer) -> None:
    issue = (await all_issues(make_module))[0]
    output = await run(make_module(auth_token=clean_sandbox.read_only_token), "resolve-issue", issue_id=issue["id"])
    assert output.error is not None and output.error.code == "MISSING_SCOPE"
    assert output.error.details["required_scope"] == "event:write"
    assert "event:write" in output.error.recovery_suggestion
    assert issue["id"] in [i["id"] for i in await all_issues(make_module)]  # still unresolved


async def test_unknown_organization(make_module: Factory) -> None:
    output = await run(make_module(org="no-such-org"), "get-recent-issues", project_slug="backend")
    assert output.error is not None and output.error.code == "ORGANIZATION_NOT_FOUND"
    assert "no-such-org" in output.error.message and "SENTRY_ORG" in output.error.recovery_suggestion


async def test_organization_is_found_when_not_configured(make_module: Factory) -> None:
    output = await run(make_module(org=None), "get-project-stats", project_slug="backend")
    assert output.ok and output.metadata.api_calls == 3


async def test_one_module_context_shares_one_connection_pool(
    make_module: Factory, clean_sandbox: SandboxServer
) -> None:
    async with make_module() as module:
        for _ in range(3):
            output = await module.execute(
                ModuleInput(operation="get-recent-issues", parameters={"project_slug": "backend", "limit": 1})
            )
            assert output.ok
    lookups = [r for r in clean_sandbox.requests() if r["path"].startswith("/api/0/projects/")]
    assert len(lookups) == 1
