"""get-project-stats, get-project-health and analyze-error-patterns against GlitchTip's statistics and issues."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from .expected import errors_since, events_by_environment, first_release, first_seen_since, unhandled
from .glitchtip import GlitchTipApi
from .tools import Answer, Tools

pytestmark = pytest.mark.anyio
DAY, WEEK = timedelta(hours=24), timedelta(days=7)


async def test_stats_24h_total_is_glitchtips(tools: Tools, api: GlitchTipApi) -> None:
    answer = (await tools.call("get-project-stats", project_slug=api.project, period="24h")).ok()
    expected = errors_since(api, DAY)
    assert expected > 0
    assert answer.data["totals"]["accepted"] == expected
    assert sum(answer.data["series"]) == expected
    assert f"accepted {expected}" in answer.text


async def test_stats_24h_has_no_bucket_in_the_future(tools: Tools, api: GlitchTipApi) -> None:
    answer = (await tools.call("get-project-stats", project_slug=api.project, period="24h")).ok()
    now = datetime.now(UTC)
    start = datetime.fromisoformat(answer.data["series_start"].replace("Z", "+00:00"))
    last = start + timedelta(hours=len(answer.data["series"]) - 1)  # hourly buckets
    assert last <= now, (last, now)


async def test_stats_7d_total_is_glitchtips(tools: Tools, api: GlitchTipApi, sent_at: datetime) -> None:
    if sent_at.hour == 0:
        pytest.skip("the events arrived in the first hour of a UTC day, the one hour GlitchTip's 1d buckets count")
    answer = (await tools.call("get-project-stats", project_slug=api.project, period="7d")).ok()
    assert answer.data["totals"]["accepted"] == errors_since(api, WEEK) > 0


async def test_health_errors_and_unresolved_issues_are_glitchtips(tools: Tools, api: GlitchTipApi) -> None:
    answer = (await tools.call("get-project-health", project_slug=api.project, period="24h")).ok()
    assert answer.data["errors"]["current"] == errors_since(api, DAY)
    assert answer.data["issues"]["unresolved"] == len(api.issues())
    assert [row["id"] for row in answer.data["top_issues"]] == [row["id"] for row in api.issues(sort="-count")][:3]


async def test_health_counts_new_issues(tools: Tools, api: GlitchTipApi) -> None:
    answer = (await tools.call("get-project-health", project_slug=api.project, period="24h")).ok()
    expected = len(first_seen_since(api, DAY))
    assert expected > 0
    assert answer.data["issues"]["new"] == expected


async def patterns(tools: Tools, api: GlitchTipApi) -> Answer:
    return (await tools.call("analyze-error-patterns", project_slug=api.project, period="24h", top=10)).ok()


async def test_patterns_by_exception_type_are_glitchtips(tools: Tools, api: GlitchTipApi) -> None:
    answer = await patterns(tools, api)
    issues = api.issues()
    expected: dict[str, list[int]] = {}
    for row in issues:
        group = expected.setdefault(row["metadata"].get("type") or "(message)", [0, 0])
        group[0] += 1
        group[1] += int(row["count"])
    assert {row["key"]: [row["issues"], row["events"]] for row in answer.data["by_exception_type"]} == expected
    assert answer.data["events"] == sum(int(row["count"]) for row in issues)
    assert answer.data["coverage"]["analysed"] == answer.data["coverage"]["total"] == len(issues)


async def test_patterns_find_the_new_issues(tools: Tools, api: GlitchTipApi) -> None:
    answer = await patterns(tools, api)
    expected = sorted(row["id"] for row in first_seen_since(api, DAY))
    assert expected
    assert answer.data["new"]["total"] == len(expected)
    assert set(answer.data["new"]["issue_ids"]) <= set(expected)


async def test_patterns_split_handled_and_unhandled(tools: Tools, api: GlitchTipApi) -> None:
    answer = await patterns(tools, api)
    issues = api.issues()
    crashed = [row for row in issues if unhandled(api, str(row["id"]))]
    assert len(crashed) == 2  # the tier sends two exceptions through the SDK's excepthook
    split = answer.data["handled"]  # GlitchTip's issue list does not say which crashed: none is counted as such
    assert split.get("unknown_issues") == len(issues) and split["unhandled_issues"] == split["handled_issues"] == 0
    assert "unhandled crashes" in answer.data["coverage"]["not_read"]
    assert any("does not say which issues crashed unhandled" in warning for warning in answer.warnings)


async def test_patterns_events_per_environment(tools: Tools, api: GlitchTipApi) -> None:
    answer = await patterns(tools, api)
    expected = events_by_environment(api, api.issues())
    assert set(expected) == {"production", "staging"}
    # GlitchTip's counts ignore the environment filter: no per-environment events rather than wrong ones
    assert "by_environment" not in answer.data and "events per environment" in answer.data["coverage"]["not_read"]
    assert any("ignore the environment filter" in warning for warning in answer.warnings)
    assert "By environment: not read" in answer.text


async def test_patterns_issues_per_first_release(tools: Tools, api: GlitchTipApi) -> None:
    answer = await patterns(tools, api)
    expected = Counter(first_release(api, str(row["id"])) for row in api.issues())
    assert set(expected) == {"shop@1.0.0", "shop@1.1.0"}
    # the issues seen in one release only (their tags name one) are grouped under it; the others are not guessed
    single: Counter[str] = Counter()
    for row in api.issues():
        tags = api.get(f"issues/{row['id']}/tags/")
        releases: list[dict[str, Any]] = next((t["topValues"] for t in tags if t["key"] == "release"), [])
        if len(releases) == 1:
            single[str(releases[0]["value"])] += 1
    assert {row["key"]: row["issues"] for row in answer.data.get("by_release", [])} == dict(single)
