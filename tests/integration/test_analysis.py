"""The two analysis tools over real HTTP against the local Sentry: what the seed planted, they find.

The seed plants: a spike (`ConnectionError: database connection pool exhausted`, 45 events in the last
2.5 hours), a regression (`cache miss storm`, resolved, then seen again in backend@1.2.0), an escalation
(`PaymentGatewayError`, archived until escalating, then a burst), a new issue introduced by backend@1.3.0
(`TypeError` in `apply_coupon`), and 30 release-health sessions of which 3 crashed; worker sends none.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from mcp_servers.framework.contracts import ModuleInput, ModuleOutput
from mcp_servers.sentry_monitor.src.operations.analyze_error_patterns import ErrorPatterns
from mcp_servers.sentry_monitor.src.operations.get_project_health import ProjectHealth
from mcp_servers.sentry_monitor.src.processor import SentryErrorMonitorModule

pytestmark = pytest.mark.anyio
Factory = Callable[..., SentryErrorMonitorModule]


async def run(module: SentryErrorMonitorModule, operation: str, **parameters: Any) -> ModuleOutput:
    async with module:
        output = await module.execute(ModuleInput(operation=operation, parameters=parameters))
    assert output.ok, output.error
    return output


def by_title(result: ErrorPatterns, text: str) -> str:
    (found,) = [issue.id for issue in result.issues if text in issue.title]
    return found


async def test_patterns_find_the_seeded_spike_regression_escalation_and_release(make_module: Factory) -> None:
    output = await run(make_module(), "analyze-error-patterns", project_slug="backend")
    result = ErrorPatterns.model_validate(output.data)
    spike = by_title(result, "connection pool exhausted")
    coupon = by_title(result, "object is not subscriptable")
    storm = by_title(result, "cache miss storm")
    payment = by_title(result, "PaymentGatewayError")
    assert [s.issue_id for s in result.spikes] == [spike]
    assert result.spikes[0].recent_mean >= 10 and sum(result.spikes[0].recent) >= 30
    assert (result.new.issue_ids, result.regressed.issue_ids, result.escalating.issue_ids) == (
        [coupon],
        [storm],
        [payment],
    )
    issues = {issue.id: issue for issue in result.issues}
    assert issues[coupon].first_release == "backend@1.3.0"
    assert issues[storm].last_release == "backend@1.2.0" and issues[storm].first_release != "backend@1.2.0"
    kinds = {(finding.kind, tuple(finding.issue_ids)) for finding in result.findings}
    assert {("spike", (spike,)), ("regression", (storm,)), ("escalating", (payment,)), ("release", (coupon,))} <= kinds
    assert result.findings[0].issue_ids == [spike]  # the most events
    impacts = [finding.impact_events for finding in result.findings]
    assert impacts == sorted(impacts, reverse=True)
    assert [g.key for g in result.by_release if coupon in g.issue_ids] == ["backend@1.3.0"]
    assert {g.key for g in result.by_environment} == {"production", "staging"}
    assert result.coverage.analysed == result.coverage.total == len(result.top_by_events)
    assert sum(g.events for g in result.by_exception_type) == result.events
    assert result.handled.unhandled_issues >= 1 and result.handled.handled_events > result.handled.unhandled_events
    assert output.metadata.api_calls <= 21
    assert "get-issue-details" in output.recommendations[0]


async def test_higher_spike_thresholds_find_no_spike(make_module: Factory) -> None:
    output = await run(make_module(), "analyze-error-patterns", project_slug="backend", spike_min_events=100)
    result = ErrorPatterns.model_validate(output.data)
    assert result.spikes == [] and result.spike_thresholds.min_events == 100
    assert "spike" not in {finding.kind for finding in result.findings}


async def test_a_week_of_patterns_uses_daily_buckets_and_finds_more_new_issues(make_module: Factory) -> None:
    result = ErrorPatterns.model_validate(
        (await run(make_module(), "analyze-error-patterns", project_slug="backend", period="7d")).data
    )
    assert result.bucket == "1d" and len(result.new.issue_ids) >= 2
    releases = {finding.evidence["release"] for finding in result.findings if finding.kind == "release"}
    assert releases >= {"backend@1.3.0", "backend@1.2.0"}


async def test_health_of_backend_is_critical_for_its_crashes_with_reasons(make_module: Factory) -> None:
    output = await run(make_module(), "get-project-health", project_slug="backend")
    result = ProjectHealth.model_validate(output.data)
    assert output.metadata.api_calls == 7
    assert result.verdict == "critical"
    assert result.sessions.crash_free_sessions_pct == 90.0 and result.sessions.sessions == 30
    assert result.reasons[0].text == "crash-free sessions 90% < 95%"
    assert result.issues.new == result.issues.regressed == result.issues.escalating == 1
    assert result.issues.unresolved is not None and result.issues.unresolved >= len(result.top_issues) == 3
    assert result.errors is not None and result.errors.current > result.errors.previous
    assert "connection pool exhausted" in result.top_issues[0].title
    assert output.recommendations[0].startswith("analyze-error-patterns(project_slug='backend', period='24h')")


async def test_health_without_sessions_says_so_and_thresholds_move_the_verdict(make_module: Factory) -> None:
    output = await run(make_module(), "get-project-health", project_slug="worker", period="7d")
    result = ProjectHealth.model_validate(output.data)
    assert result.sessions.crash_free_sessions_pct is None and result.sessions.sessions == 0
    assert any("no sessions" in warning for warning in output.warnings)
    lenient = await run(
        make_module(),
        "get-project-health",
        project_slug="backend",
        critical_crash_free_pct=80,
        degraded_crash_free_pct=85,
        critical_error_increase_pct=100_000,
        degraded_error_increase_pct=100_000,
    )
    judged = ProjectHealth.model_validate(lenient.data)
    assert judged.verdict == "degraded" and judged.thresholds.critical_crash_free_pct == 80
    assert {reason.rule for reason in judged.reasons if reason.severity == "degraded"} == {
        "new_issues",
        "regressed_issues",
    }
