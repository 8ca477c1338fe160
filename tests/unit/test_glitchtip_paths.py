"""A server identified as GlitchTip (scripted answers shaped like GlitchTip's, from its source at c264800f) is
asked the way it answers, and what it cannot tell is said: never a silent wrong answer."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from mcp_servers.framework.contracts import ModuleInput, ModuleOutput
from mcp_servers.sentry_monitor.src.sentry import capabilities
from mcp_servers.sentry_monitor.src.shared.results import records
from tests.fakes import ScriptedSentry

pytestmark = pytest.mark.anyio
SETTINGS = {"version": "5.2.0", "iPaidForGlitchTip": False, "glitchtipInstanceName": None, "billingEnabled": False}
ISSUE = {"id": "42", "shortId": "BACKEND-1", "title": "ValueError: bad", "count": "7", "userCount": 0}
EVENT = {"eventID": "a" * 32, "dateCreated": "2026-01-01T00:00:00Z", "entries": [], "tags": []}
COMMENTS = [  # GlitchTip's `CommentSchema`, newest first; a comment of a deleted user has none
    {
        "id": 8,
        "type": "note",
        "data": {"text": "second,\n newer"},
        "dateCreated": "2026-11-30T10:05:00.123456Z",
        "user": {"id": 1, "email": "ann@example.com"},
    },
    {"id": 7, "type": "note", "data": {"text": "first"}, "dateCreated": "2026-11-30T10:04:05Z", "user": None},
]
TAGS = [
    {"key": "user.id", "totalValues": 7, "uniqueValues": 3, "topValues": [{"value": "1", "count": 5}]},
    {"key": "user.email", "totalValues": 6, "uniqueValues": 2, "topValues": []},
    {"key": "release", "totalValues": 7, "uniqueValues": 2, "topValues": [{"value": "shop@1.1", "count": 4}]},
    {"key": "environment", "totalValues": 7, "uniqueValues": 1, "topValues": [{"value": "production", "count": 7}]},
]


async def run(sentry: ScriptedSentry, operation: str, server: str = "glitchtip", **parameters: Any) -> ModuleOutput:
    async with sentry.module(server=server) as module:
        return await module.execute(ModuleInput(operation=operation, parameters=parameters))


def glitchtip() -> ScriptedSentry:
    return ScriptedSentry().json("GET", "/api/settings/", SETTINGS).json("GET", "/projects/acme/backend/", {"id": "7"})


async def test_glitchtip_is_identified_once_and_taken_at_its_known_routes_without_a_failed_request() -> None:
    sentry = glitchtip().json("GET", "/api/0/issues/42/", ISSUE).json("GET", "/api/0/issues/42/events/latest/", EVENT)
    sentry.json("GET", "/api/0/issues/42/tags/", TAGS).json("GET", "/api/0/issues/42/comments/", COMMENTS)
    output = await run(sentry, "get-issue-details", server="auto", issue_id="42")
    assert output.ok, output.error
    assert sorted(sentry.paths()) == sorted(
        [
            "GET /api/settings/",
            "GET /api/0/issues/42/",
            "GET /api/0/issues/42/events/latest/",
            "GET /api/0/issues/42/tags/",
            "GET /api/0/issues/42/comments/",
        ]
    )
    assert output.data is not None and output.data["issue"]["notes"] == [
        "2026-11-30T10:05:00Z ann@example.com: second, newer",
        "2026-11-30T10:04:05Z (unknown): first",
    ]
    kind = capabilities.for_server("https://sentry.example.com/api/0/").kind
    assert kind is not None and kind.label == "GlitchTip 5.2.0"
    sentry.requests.clear()
    await run(sentry, "get-issue-details", server="auto", issue_id="42")
    assert "GET /api/settings/" not in sentry.paths()  # asked once per process


async def test_details_go_on_without_the_notes_when_the_comments_fail() -> None:
    sentry = glitchtip().json("GET", "/api/0/issues/42/", ISSUE).json("GET", "/api/0/issues/42/events/latest/", EVENT)
    sentry.json("GET", "/api/0/issues/42/tags/", TAGS)
    sentry.on("GET", "/api/0/issues/42/comments/", httpx.Response(503, text="<html>busy</html>"))
    output = await run(sentry, "get-issue-details", issue_id="42")
    assert output.ok and output.status.value == "partial_success" and output.data is not None
    assert "notes" not in output.data["issue"] and output.data["latest_event"]
    assert any(w.startswith("The issue's notes (comments) left out") for w in output.warnings)


async def test_a_server_that_does_not_answer_as_glitchtip_is_sentry_and_sentry_io_is_never_asked() -> None:
    sentry = ScriptedSentry().on("GET", "/api/settings/", httpx.Response(404, text="<html>Not Found</html>"))
    sentry.json("GET", "/projects/acme/backend/", {"id": "7"}).json("GET", "/organizations/acme/issues/", [ISSUE])
    output = await run(sentry, "get-recent-issues", server="auto", project_slug="backend")
    assert output.ok and records(output.data["issues"])[0]["user_count"] == 0  # type: ignore[index]
    assert sentry.paths().count("GET /api/settings/") == 1
    saas = ScriptedSentry().json("GET", "/projects/acme/backend/", {"id": "7"})
    saas.json("GET", "/organizations/acme/issues/", [])
    async with saas.module(server="auto", url="https://sentry.io") as module:
        await module.execute(ModuleInput(operation="get-recent-issues", parameters={"project_slug": "backend"}))
    assert not any("settings" in path for path in saas.paths())


async def test_search_everywhere_leaves_project_out_and_user_counts_are_not_a_silent_zero() -> None:
    sentry = glitchtip().json("GET", "/organizations/acme/issues/", [ISSUE])
    output = await run(sentry, "search-issues", query="is:unresolved")
    assert output.ok and "project" not in sentry.requests[-1].url.params
    issue = records(output.data["issues"])[0]  # type: ignore[index]
    assert "user_count" not in issue and any("counts no users per issue" in w for w in output.warnings)


async def test_an_issue_state_glitchtip_has_not_is_refused_not_answered_with_nothing() -> None:
    sentry = glitchtip().json("GET", "/organizations/acme/issues/", [])
    output = await run(sentry, "search-issues", query="is:regressed")
    assert output.error is not None and output.error.code == "UNSUPPORTED_BY_SERVER"
    assert "is:regressed" in output.error.message and "/organizations/acme/issues/" not in " ".join(sentry.paths())


async def test_a_first_seen_window_is_asked_as_start() -> None:
    sentry = glitchtip().json("GET", "/organizations/acme/issues/", [])
    await run(sentry, "get-recent-issues", project_slug="backend", query="firstSeen:-24h level:error")
    params = sentry.requests[-1].url.params
    start = datetime.fromisoformat(params["start"].replace("Z", "+00:00"))
    assert "firstSeen" not in params["query"] and "level:error" in params["query"]
    assert abs((datetime.now(UTC) - timedelta(hours=24) - start).total_seconds()) < 60


async def test_events_are_paged_by_limit() -> None:
    sentry = glitchtip().json("GET", "/api/0/issues/42/events/", [EVENT])
    await run(sentry, "get-error-events", issue_id="42", limit=2)
    params = sentry.requests[-1].url.params
    assert params["limit"] == "2" and "per_page" not in params


async def test_daily_statistics_are_summed_from_hours_and_no_bucket_lies_in_the_future() -> None:
    def stats(request: httpx.Request) -> httpx.Response:
        assert request.url.params["interval"] == "1h"  # GlitchTip's daily buckets count each day's first hour only
        start = datetime.fromisoformat(request.url.params["start"].replace("Z", "+00:00"))
        hours = [start + timedelta(hours=h) for h in range(7 * 24 + 25)]  # runs an hour past the end, and more
        intervals = [moment.strftime("%Y-%m-%dT%H:%M:%SZ") for moment in hours]
        return httpx.Response(
            200, json={"intervals": intervals, "groups": [{"series": {"sum(quantity)": [1] * len(hours)}}]}
        )

    sentry = glitchtip().on("GET", "/stats_v2/", stats)
    output = await run(sentry, "get-project-stats", project_slug="backend", period="7d")
    assert output.ok and output.data is not None
    series = output.data["series"]
    assert all(count == 24 for count in series[:-1]) and 0 < series[-1] <= 24  # today so far
    assert output.data["totals"]["accepted"] == sum(series)
    assert output.data["series_start"] <= datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


async def test_an_issue_gets_its_users_and_releases_from_its_tags_and_says_so() -> None:
    sentry = glitchtip().json("GET", "/api/0/issues/42/", ISSUE)
    sentry.json("GET", "/api/0/issues/42/events/latest/", {**EVENT, "tags": [{"key": "release", "value": "shop@1.1"}]})
    sentry.json("GET", "/api/0/issues/42/tags/", TAGS)
    output = await run(sentry, "get-issue-details", issue_id="42")
    issue = output.data["issue"]  # type: ignore[index]
    assert issue["user_count"] == 3 and issue["releases"] == {"shop@1.1": 4} and issue["last_release"] == "shop@1.1"
    assert issue["top_tags"]["user.id"] == 7
    assert any("counted from the issue's user tags (3)" in w for w in output.warnings)
    text = (await sentry.module(server="glitchtip").__aenter__()).render(output)
    assert "3 users" in text and "events per release: shop@1.1 (4)" in text


async def test_get_event_oldest_comes_from_the_events_list_and_recommended_is_the_latest() -> None:
    newest, oldest = {**EVENT, "eventID": "b" * 32}, {**EVENT, "eventID": "c" * 32}
    sentry = glitchtip().json("GET", "/api/0/issues/42/events/", [newest, oldest])
    sentry.json("GET", f"/api/0/issues/42/events/{'c' * 32}/", oldest)
    sentry.json("GET", "/api/0/issues/42/events/latest/", newest)
    first = await run(sentry, "get-event", issue_id="42", event_id="oldest")
    assert first.ok and first.data is not None and first.data["event"]["event_id"] == "c" * 32
    recommended = await run(sentry, "get-event", issue_id="42", event_id="recommended")
    assert recommended.ok and recommended.data["event"]["event_id"] == "b" * 32  # type: ignore[index]
    assert "no recommended event" in recommended.warnings[0]
    assert not any("/oldest/" in p or "/recommended/" in p for p in sentry.paths())


async def test_a_condition_glitchtip_would_drop_is_refused_before_any_write() -> None:
    sentry = glitchtip().json("GET", "/api/0/issues/42/", ISSUE)
    for parameters in ({"until_escalating": True}, {"count": 10}):
        output = await run(sentry, "ignore-issue", issue_id="42", **parameters)
        assert output.error is not None and output.error.code == "UNSUPPORTED_BY_SERVER", output.error
        assert "nothing was sent" in output.error.message
    output = await run(sentry, "resolve-issue", issue_id="42", in_next_release=True)
    assert output.error is not None and output.error.code == "UNSUPPORTED_BY_SERVER"
    assert not any(request.method == "PUT" for request in sentry.requests)


async def test_recommendations_name_only_what_glitchtip_does() -> None:
    resolved = {**ISSUE, "status": "resolved"}
    sentry = glitchtip().json("GET", "/api/0/issues/42/", ISSUE).json("PUT", "/organizations/acme/issues/42/", resolved)
    sentry.json("GET", "/api/0/issues/42/", {**ISSUE, "project": {"slug": "backend"}})
    output = await run(sentry, "resolve-issue", issue_id="42")
    assert output.ok and not any("is:regressed" in step for step in output.recommendations)
    assert any("reopens it (unresolved)" in step for step in output.recommendations)
