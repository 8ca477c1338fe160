"""analyze-error-patterns: the spike rule, groupings and findings on crafted issues, and the operation scripted."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from mcp_servers.framework.contracts import ModuleInput, ModuleOutput
from mcp_servers.sentry_monitor.src.analysis import pattern_findings
from mcp_servers.sentry_monitor.src.analysis.error_patterns import (
    AnalyzedIssue,
    SpikeRule,
    detect_spike,
    group_issues,
    handled_split,
    module_of,
)
from mcp_servers.sentry_monitor.src.operations.analyze_error_patterns import ErrorPatterns, render_error_patterns
from tests.fakes import ScriptedSentry

pytestmark = pytest.mark.anyio
RULE = SpikeRule()


@pytest.mark.parametrize(
    ("counts", "spike"),
    [
        ([1, 2, 1, 1, 30, 31, 29], (30.0, 1.0, 30.0)),
        ([0, 0, 0, 0, 12, 10, 8], (10.0, 0.0, None)),  # a baseline of 0: no ratio, the minimum still holds
        ([3, 3, 3, 3, 9, 9, 9], None),  # 3x the median, but under 10 events a bucket
        ([4, 4, 4, 4, 12, 12, 12], (12.0, 4.0, 3.0)),  # exactly 3x and at least 10: a spike
        ([5, 5, 5, 5, 14, 14, 14], None),  # under 3x
        ([40, 40, 40], None),  # no bucket before the window: no baseline
        ([], None),
    ],
)
def test_spike_rule(counts: list[int], spike: tuple[float, float, float | None] | None) -> None:
    found = detect_spike("1", counts, RULE)
    got = (found.recent_mean, found.baseline_median, found.ratio) if found else None
    assert got == spike
    if found:
        assert found.recent == counts[-3:]


def test_spike_thresholds_are_configurable() -> None:
    counts = [4, 4, 4, 4, 9, 9, 9]
    assert detect_spike("1", counts, RULE) is None
    assert detect_spike("1", counts, SpikeRule(factor=2.0, min_events=5)) is not None
    assert detect_spike("1", counts, SpikeRule(factor=2.5, min_events=5)) is None


def issue(ident: str, events: int, **fields: Any) -> AnalyzedIssue:
    values: dict[str, Any] = {
        "id": ident,
        "short_id": f"APP-{ident}",
        "title": f"ValueError: bad {ident}",
        "level": "error",
        "substatus": "ongoing",
        "events": events,
        "users": events // 2,
        "is_unhandled": False,
        "error_type": "ValueError",
        "culprit": "app.views in index",
    }
    return AnalyzedIssue(**{**values, **fields})


def test_groupings_order_by_events_and_split_handled() -> None:
    issues = [
        issue("1", 5),
        issue("2", 50, error_type="KeyError", culprit="app.cart in add", is_unhandled=True),
        issue("3", 7, error_type=None, culprit=None),
    ]
    by_type = group_issues(issues, lambda i: i.error_type or "(message)")
    assert [(g.key, g.issues, g.events, g.issue_ids) for g in by_type] == [
        ("KeyError", 1, 50, ["2"]),
        ("(message)", 1, 7, ["3"]),
        ("ValueError", 1, 5, ["1"]),
    ]
    assert [g.key for g in group_issues(issues, lambda i: module_of(i.culprit))] == [
        "app.cart",
        "(unknown)",
        "app.views",
    ]
    assert module_of("/books/new/") == "/books/new/" and module_of("Object.fetch(index)") == "Object.fetch(index)"
    split = handled_split(issues)
    assert (split.handled_issues, split.handled_events, split.unhandled_issues, split.unhandled_events) == (
        2,
        12,
        1,
        50,
    )
    assert group_issues([], lambda i: "x") == []


def test_findings_rank_by_events_then_urgency_and_name_the_release() -> None:
    issues = {
        "1": issue("1", 40, first_release="app@2.0"),
        "2": issue("2", 40, substatus="regressed", last_release="app@1.9"),
        "3": issue("3", 6, first_release="app@2.0"),
    }
    findings = pattern_findings.rank(pattern_findings.status_findings(["1", "3"], ["2"], [], issues))
    assert [(f.kind, f.issue_ids, f.impact_events) for f in findings] == [
        ("release", ["1", "3"], 46),
        ("regression", ["2"], 40),
        ("new_issue", ["1"], 40),
        ("new_issue", ["3"], 6),
    ]
    assert findings[0].summary == "app@2.0 introduced 2 new issue(s): APP-1, APP-3"
    assert findings[1].evidence == {"events": 40, "users": 20, "release": "app@1.9"}
    assert findings[1].summary == "APP-2 regressed, seen again in app@1.9: 40 events, 20 users in the period"
    assert "roll back" in pattern_findings.next_step(findings[0], issues)


def test_concentration_needs_several_issues_and_other_groups() -> None:
    issues = [issue("1", 30), issue("2", 30), issue("3", 40, error_type="KeyError")]
    groups = group_issues(issues, lambda i: i.error_type or "")
    (found,) = pattern_findings.concentrations(groups, 100, "exception type")
    assert found.summary == "exception type ValueError: 2 issues, 60% of the events"
    assert pattern_findings.concentrations(groups[:1], 100, "module") == []  # one group: nothing to compare
    assert pattern_findings.concentrations(groups, 0, "module") == []


# -- the operation against a scripted Sentry ----------------------------------------------------------


def row(ident: int, count: int, series: list[int] | None = None, **fields: Any) -> dict[str, Any]:
    return {
        "id": str(ident),
        "shortId": f"BACKEND-{ident}",
        "title": f"ValueError: bad {ident}",
        "culprit": "app.views in index",
        "level": "error",
        "status": "unresolved",
        "substatus": "ongoing",
        "count": str(count),
        "userCount": 2,
        "isUnhandled": False,
        "metadata": {"type": "ValueError", "value": "bad"},
        "stats": {"24h": [[1_700_000_000 + 3600 * i, n] for i, n in enumerate(series or [])]},
        **fields,
    }


def scripted(lists: dict[str, list[dict[str, Any]]], total: int | None = None) -> ScriptedSentry:
    def issues(request: httpx.Request) -> httpx.Response:
        params = request.url.params
        key = f"env:{params['environment']}" if "environment" in params else params["query"]
        body = lists.get(key, [])
        return httpx.Response(
            200, json=body, headers={"X-Hits": str(total if key == "is:unresolved" and total else len(body))}
        )

    sentry = ScriptedSentry().json("GET", "/projects/acme/backend/", {"id": "7"})
    sentry.json("GET", "/projects/acme/backend/environments/", [{"id": "1", "name": "production", "isHidden": False}])
    for rows in lists.values():
        for item in rows:
            release = {"version": f"backend@{item['id']}.0"}
            sentry.json("GET", f"/issues/{item['id']}/", {**item, "firstRelease": release, "lastRelease": release})
    return sentry.on("GET", "/organizations/acme/issues/", issues)


async def analyze(sentry: ScriptedSentry, **parameters: Any) -> ModuleOutput:
    async with sentry.module() as module:
        return await module.execute(
            ModuleInput(operation="analyze-error-patterns", parameters={"project_slug": "backend", **parameters})
        )


async def test_an_empty_project_analyses_nothing_and_says_where_to_look() -> None:
    output = await analyze(scripted({}))
    result = ErrorPatterns.model_validate(output.data)
    assert (result.coverage.analysed, result.events, result.findings, result.issues) == (0, 0, [], [])
    assert result.by_environment == [] and output.metadata.api_calls == 7  # project, 4 lists, environments, 1 each
    assert "No unresolved issues were seen in 24h" in output.recommendations[0]


async def test_a_sentry_without_the_environments_endpoint_still_gets_an_analysis() -> None:
    sentry = scripted({"is:unresolved": [row(1, 3, [1] * 24)]})
    sentry.routes.insert(1, ("GET", "/projects/acme/backend/environments/", [httpx.Response(404, json={})]))
    output = await analyze(sentry)
    result = ErrorPatterns.model_validate(output.data)
    assert output.status.value == "partial_success" and result.by_environment == [] and result.coverage.analysed == 1
    assert any(w.startswith("The breakdown by environment left out") for w in output.warnings)


async def test_spike_new_issue_and_its_release_are_found_with_bounded_calls() -> None:
    main = [row(n, 5, [1] * 24) for n in range(1, 12)]
    main[0] = row(1, 90, [1] * 21 + [20, 30, 25])
    new = row(20, 4, substatus="new")
    sentry = scripted(
        {"is:unresolved": main, "is:unresolved firstSeen:-24h": [new], "env:production": main, "is:regressed": []},
        total=500,
    )
    release = {"key": "release", "totalValues": 90, "uniqueValues": 2, "topValues": [{"value": "b@2", "count": 85}]}
    sentry.routes.insert(0, ("GET", "/issues/1/tags/", [httpx.Response(200, json=[release])]))
    output = await analyze(sentry, top=3)
    result = ErrorPatterns.model_validate(output.data)
    assert [(s.issue_id, s.recent_mean, s.ratio) for s in result.spikes] == [("1", 25.0, 25.0)]
    assert result.findings[0].kind == "spike" and result.findings[0].impact_events == 90
    assert result.new.issue_ids == ["20"] and result.top_by_events == ["1", "2", "3"]
    assert ("release", ["20"]) in [(f.kind, f.issue_ids) for f in result.findings]
    # the tags of the one issue with 10+ events, beside the 8 release lookups, within the cap of 21
    assert result.coverage.release_lookups == 8 and output.metadata.api_calls == 1 + 4 + 1 + 1 + 8 + 1
    (tags,) = [r for r in sentry.requests if r.url.path.endswith("/tags/")]
    assert tags.url.params.get_list("key") == ["release", "environment", "browser", "os", "url"]
    assert tags.url.params["limit"] == "1"
    (leaning,) = [f for f in result.findings if f.kind == "tag_concentration"]
    assert leaning.summary == "94% of BACKEND-1's events are in release b@2 (85 of 90)" and leaning.issue_ids == ["1"]
    assert "489 less busy unresolved issues" in result.coverage.left_out[0]
    lookups = [r.url.path for r in sentry.requests if r.url.path.rstrip("/").split("/")[-1].isdigit()]
    assert lookups[0].endswith("/issues/20/")  # the new issue's release is looked up first
    text = render_error_patterns(result)
    assert text.startswith("backend, last 24h: 11 of 500 unresolved issues analysed, 140 events.")
    assert "- spike: BACKEND-1 spiked to 25 events per hour over the last 3 hours, 25x the median of 1 before" in text


async def test_thirty_days_warn_that_series_span_fourteen_and_thresholds_apply() -> None:
    main = [row(1, 50, [2] * 11 + [9, 9, 9])]
    main[0]["stats"] = {"14d": main[0]["stats"]["24h"]}
    quiet = ErrorPatterns.model_validate((await analyze(scripted({"is:unresolved": main}), period="30d")).data)
    assert quiet.spikes == [] and quiet.bucket == "1d"
    sentry = scripted({"is:unresolved": main})
    output = await analyze(sentry, period="30d", spike_factor=4, spike_min_events=9)
    result = ErrorPatterns.model_validate(output.data)
    assert [s.ratio for s in result.spikes] == [4.5] and result.spike_thresholds.min_events == 9
    assert any("14 days at most" in warning for warning in output.warnings)
    lists = [r.url.params for r in sentry.requests if r.url.path.endswith("/organizations/acme/issues/")]
    main_list = [p for p in lists if p["query"] == "is:unresolved" and "environment" not in p]
    assert [(p["groupStatsPeriod"], p["statsPeriod"]) for p in main_list] == [("14d", "30d")]
    assert {p["query"] for p in lists} == {
        "is:unresolved",
        "is:unresolved firstSeen:-30d",
        "is:regressed",
        "is:escalating",
    }
