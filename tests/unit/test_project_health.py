"""get-project-health: each verdict rule on crafted numbers, and the operation against a scripted Sentry."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from mcp_servers.framework.contracts import ModuleInput, ModuleOutput
from mcp_servers.sentry_monitor.src.analysis import health_verdict
from mcp_servers.sentry_monitor.src.analysis.health_verdict import HealthThresholds, Reason
from mcp_servers.sentry_monitor.src.operations.get_project_health import ProjectHealth, render_project_health
from tests.fakes import ScriptedSentry

pytestmark = pytest.mark.anyio
DEFAULTS = HealthThresholds(
    critical_crash_free_pct=95,
    degraded_crash_free_pct=99,
    critical_error_increase_pct=100,
    degraded_error_increase_pct=25,
)


@pytest.mark.parametrize(
    ("crash_free", "severity"),
    [
        (None, "healthy"),
        (94.99, "critical"),
        (95.0, "degraded"),
        (98.99, "degraded"),
        (99.0, "healthy"),
        (100, "healthy"),
    ],
)
def test_crash_free_rule_at_its_boundaries(crash_free: float | None, severity: str) -> None:
    reason = health_verdict.crash_free_reason(crash_free, DEFAULTS)
    assert reason.severity == severity and reason.value == crash_free
    if crash_free is None:
        assert "not applied" in reason.text and reason.threshold is None


@pytest.mark.parametrize(
    ("current", "previous", "severity", "change"),
    [
        (20, 10, "critical", 100.0),
        (19, 10, "degraded", 90.0),
        (125, 100, "degraded", 25.0),
        (124, 100, "healthy", 24.0),
        (5, 50, "healthy", -90.0),
        (0, 0, "healthy", None),
        (7, 0, "degraded", None),
        (None, None, "healthy", None),
    ],
)
def test_error_trend_rule(current: int | None, previous: int | None, severity: str, change: float | None) -> None:
    reason = health_verdict.error_trend_reason(current, previous, "24h", DEFAULTS)
    assert (reason.severity, reason.value) == (severity, change)
    if previous == 0 and current:
        assert reason.text == "7 errors vs 0 in the previous 24h: errors appeared"


def test_thresholds_can_be_moved() -> None:
    lenient = HealthThresholds(
        critical_crash_free_pct=90,
        degraded_crash_free_pct=92,
        critical_error_increase_pct=300,
        degraded_error_increase_pct=200,
    )
    assert health_verdict.crash_free_reason(94.0, lenient).severity == "healthy"
    assert health_verdict.crash_free_reason(91.0, lenient).severity == "degraded"
    assert health_verdict.error_trend_reason(30, 10, "7d", lenient).severity == "degraded"
    assert health_verdict.error_trend_reason(29, 10, "7d", lenient).severity == "healthy"


def test_verdict_is_the_worst_reason_and_reasons_come_worst_first() -> None:
    reasons = [
        health_verdict.issue_reason("new_issues", 0, "24h"),
        health_verdict.issue_reason("regressed_issues", 2, "24h"),
        health_verdict.crash_free_reason(90.0, DEFAULTS),
    ]
    verdict, ordered = health_verdict.judge(reasons)
    assert verdict == "critical"
    assert [r.rule for r in ordered] == ["crash_free_sessions", "regressed_issues", "new_issues"]
    assert health_verdict.judge([health_verdict.issue_reason("new_issues", None, "7d")])[0] == "healthy"
    assert health_verdict.judge([])[0] == "healthy"


# -- the operation against a scripted Sentry ----------------------------------------------------------


def sessions(crash_free: float | None, count: int) -> dict[str, Any]:
    totals = {
        "crash_free_rate(session)": crash_free,
        "crash_free_rate(user)": crash_free,
        "sum(session)": count,
        "count_unique(user)": count // 2,
    }
    return {"start": "x", "end": "y", "intervals": [], "groups": [{"by": {}, "totals": totals, "series": {}}]}


def stats(series: list[int]) -> dict[str, Any]:
    intervals = [f"2026-01-{day + 1:02d}T00:00:00Z" for day in range(len(series))]
    group = {
        "by": {"outcome": "accepted"},
        "totals": {"sum(quantity)": sum(series)},
        "series": {"sum(quantity)": series},
    }
    return {"intervals": intervals, "groups": [group]}


ISSUE = {"id": "11", "shortId": "BACKEND-B", "title": "KeyError: 'x'", "count": "40", "userCount": 4, "level": "error"}
HITS = {"is:unresolved": "12", "is:unresolved firstSeen:-24h": "0", "is:regressed": "0", "is:escalating": "3"}


def issues_answer(request: httpx.Request) -> httpx.Response:
    query = request.url.params["query"]
    body = [ISSUE] if query == "is:unresolved" else []
    return httpx.Response(200, json=body, headers={"X-Hits": HITS.get(query, "0")})


def scripted(sessions_body: Any, stats_body: Any) -> ScriptedSentry:
    sentry = ScriptedSentry().json("GET", "/projects/acme/backend/", {"id": "7"})
    sentry.on("GET", "/organizations/acme/sessions/", httpx.Response(200, json=sessions_body))
    sentry.on("GET", "/organizations/acme/stats_v2/", httpx.Response(200, json=stats_body))
    return sentry.on("GET", "/organizations/acme/issues/", issues_answer)


async def health(sentry: ScriptedSentry, **parameters: Any) -> ModuleOutput:
    async with sentry.module(retry_attempts=0) as module:
        return await module.execute(
            ModuleInput(operation="get-project-health", parameters={"project_slug": "backend", **parameters})
        )


async def test_health_makes_six_requests_after_the_project_id_and_judges() -> None:
    sentry = scripted(sessions(0.995, 400), stats([10] * 24 + [12] * 24))
    output = await health(sentry)
    assert output.status.value == "success" and output.metadata.api_calls == 7
    result = ProjectHealth.model_validate(output.data)
    assert result.sessions.crash_free_sessions_pct == 99.5 and result.sessions.sessions == 400
    assert (result.errors and (result.errors.current, result.errors.previous, result.errors.change_pct)) == (
        288,
        240,
        20.0,
    )
    assert result.issues.model_dump() == {"unresolved": 12, "new": 0, "regressed": 0, "escalating": 3}
    assert result.verdict == "healthy" and [t.short_id for t in result.top_issues] == ["BACKEND-B"]
    requests = {r.url.path.split("/")[-2]: r.url.params for r in sentry.requests}
    assert requests["stats_v2"]["statsPeriod"] == "48h" and requests["stats_v2"]["project"] == "7"
    assert requests["sessions"].get_list("field")[0] == "crash_free_rate(session)"
    issue_queries = sorted(r.url.params["query"] for r in sentry.requests if r.url.path.endswith("/issues/"))
    assert issue_queries == sorted(HITS)
    assert "get-issue-details(issue_id='BACKEND-B')" in output.recommendations[0]


async def test_no_sessions_means_null_rates_a_warning_and_no_crash_free_rule() -> None:
    output = await health(scripted(sessions(None, 0), stats([0] * 48)))
    result = ProjectHealth.model_validate(output.data)
    assert result.sessions.crash_free_sessions_pct is None and result.sessions.crash_free_users_pct is None
    assert any("no sessions" in warning for warning in output.warnings)
    crash_free = next(r for r in result.reasons if r.rule == "crash_free_sessions")
    assert crash_free.value is None and "not applied" in crash_free.text


async def test_errors_after_none_degrade_and_an_empty_project_is_healthy() -> None:
    appeared = ProjectHealth.model_validate((await health(scripted(sessions(None, 0), stats([0] * 47 + [6])))).data)
    assert appeared.verdict == "degraded" and appeared.errors is not None and appeared.errors.change_pct is None
    empty = ProjectHealth.model_validate((await health(scripted({"groups": []}, {"intervals": [], "groups": []}))).data)
    assert empty.verdict == "healthy" and empty.errors is not None and empty.errors.current == 0
    assert "no errors in either 24h" in [r.text for r in empty.reasons]


async def test_threshold_overrides_change_the_verdict_and_are_reported() -> None:
    sentry = scripted(sessions(0.97, 100), stats([10] * 24 + [10] * 24))
    assert ProjectHealth.model_validate((await health(sentry)).data).verdict == "degraded"
    strict = ProjectHealth.model_validate((await health(sentry, critical_crash_free_pct=98)).data)
    assert strict.verdict == "critical" and strict.thresholds.critical_crash_free_pct == 98
    assert strict.reasons[0] == Reason(
        severity="critical", rule="crash_free_sessions", value=97.0, threshold=98, text="crash-free sessions 97% < 98%"
    )


async def test_a_failed_request_leaves_its_part_unknown_and_says_so() -> None:
    sentry = scripted(sessions(0.99, 10), stats([1] * 48))
    sentry.routes.insert(1, ("GET", "/organizations/acme/stats_v2/", [httpx.Response(503, text="down")]))
    output = await health(sentry)
    assert output.status.value == "partial_success"
    assert ProjectHealth.model_validate(output.data).errors is None
    assert any(w.startswith("The error volume left out: SENTRY_UNAVAILABLE") for w in output.warnings)


async def test_a_sentry_without_the_sessions_endpoint_still_gets_a_verdict() -> None:
    sentry = scripted(sessions(0.99, 10), stats([1] * 48))
    sentry.routes.insert(1, ("GET", "/organizations/acme/sessions/", [httpx.Response(404, json={"detail": "x"})]))
    output = await health(sentry)
    result = ProjectHealth.model_validate(output.data)
    assert output.status.value == "partial_success" and result.sessions.crash_free_sessions_pct is None
    assert result.verdict == "healthy" and any(w.startswith("Crash-free rates left out") for w in output.warnings)


def test_health_text_leads_with_the_verdict_and_its_reasons() -> None:
    verdict, reasons = health_verdict.judge(
        [health_verdict.crash_free_reason(90.0, DEFAULTS), health_verdict.error_trend_reason(30, 10, "24h", DEFAULTS)]
    )
    result = ProjectHealth.model_validate(
        {
            "project": "backend",
            "period": "24h",
            "verdict": verdict,
            "reasons": [r.model_dump() for r in reasons],
            "thresholds": DEFAULTS.model_dump(),
            "sessions": {"crash_free_sessions_pct": 90.0, "crash_free_users_pct": 75.0, "sessions": 30, "users": 12},
            "errors": {"current": 30, "previous": 10, "change_pct": 200.0},
            "issues": {"unresolved": 8, "new": None, "regressed": 1, "escalating": 0},
            "top_issues": [],
        }
    )
    lines = render_project_health(result).splitlines()
    assert lines[0] == "backend health, last 24h: CRITICAL"
    assert lines[1] == "- critical: crash-free sessions 90% < 95%"
    assert lines[2] == "- critical: 30 errors vs 10 in the previous 24h (+200% >= +100%)"
    assert "Crash-free: sessions 90% of 30, users 75% of 12" in lines
    assert "Issues seen in 24h: 8 unresolved, ? new, 1 regressed, 0 escalating" in lines
