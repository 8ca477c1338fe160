"""The verdict of get-project-health: healthy, degraded or critical, with one reason per rule.

Pure functions (no I/O), so every rule can be tested on crafted numbers. A rule without its number (no
sessions, a count Sentry did not give) is not applied, and its reason says so.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from ..shared.results import Result, change_pct

Verdict = Literal["healthy", "degraded", "critical"]
SEVERITY: tuple[Verdict, ...] = ("healthy", "degraded", "critical")


class HealthThresholds(Result):
    critical_crash_free_pct: float = Field(description="Critical below this crash-free session rate.")
    degraded_crash_free_pct: float = Field(description="Degraded below this crash-free session rate.")
    critical_error_increase_pct: float = Field(description="Critical when errors rose this much or more.")
    degraded_error_increase_pct: float = Field(description="Degraded when errors rose this much or more.")


class Reason(Result):
    severity: Verdict = Field(description="What this rule alone would make the verdict.")
    rule: Literal["crash_free_sessions", "error_trend", "new_issues", "regressed_issues"]
    value: float | None = Field(default=None, description="The number the rule looked at; null when Sentry had none.")
    threshold: float | None = Field(default=None, description="The threshold it crossed or stayed within.")
    text: str


def crash_free_reason(crash_free_pct: float | None, limits: HealthThresholds) -> Reason:
    if crash_free_pct is None:
        return Reason(
            severity="healthy",
            rule="crash_free_sessions",
            value=None,
            threshold=None,
            text="no sessions: the crash-free rules were not applied",
        )
    if crash_free_pct < limits.critical_crash_free_pct:
        severity: Verdict = "critical"
        threshold, relation = limits.critical_crash_free_pct, "<"
    elif crash_free_pct < limits.degraded_crash_free_pct:
        severity, threshold, relation = "degraded", limits.degraded_crash_free_pct, "<"
    else:
        severity, threshold, relation = "healthy", limits.degraded_crash_free_pct, ">="
    return Reason(
        severity=severity,
        rule="crash_free_sessions",
        value=crash_free_pct,
        threshold=threshold,
        text=f"crash-free sessions {crash_free_pct:g}% {relation} {threshold:g}%",
    )


def error_trend_reason(current: int | None, previous: int | None, period: str, limits: HealthThresholds) -> Reason:
    rule: Literal["error_trend"] = "error_trend"
    if current is None or previous is None:
        return Reason(
            severity="healthy", rule=rule, value=None, threshold=None, text="error volume unknown: not judged"
        )
    versus = f"{current} errors vs {previous} in the previous {period}"
    if previous == 0:
        if current == 0:
            return Reason(
                severity="healthy", rule=rule, value=None, threshold=None, text=f"no errors in either {period}"
            )
        return Reason(severity="degraded", rule=rule, value=None, threshold=None, text=f"{versus}: errors appeared")
    change = change_pct(current, previous)
    assert change is not None
    if change >= limits.critical_error_increase_pct:
        severity: Verdict = "critical"
        threshold, relation = limits.critical_error_increase_pct, ">="
    elif change >= limits.degraded_error_increase_pct:
        severity, threshold, relation = "degraded", limits.degraded_error_increase_pct, ">="
    else:
        severity, threshold, relation = "healthy", limits.degraded_error_increase_pct, "<"
    return Reason(
        severity=severity,
        rule=rule,
        value=change,
        threshold=threshold,
        text=f"{versus} ({change:+g}% {relation} +{threshold:g}%)",
    )


def issue_reason(rule: Literal["new_issues", "regressed_issues"], count: int | None, period: str) -> Reason:
    noun = "new" if rule == "new_issues" else "regressed"
    if count is None:
        return Reason(
            severity="healthy", rule=rule, value=None, threshold=None, text=f"{noun} issues unknown: not judged"
        )
    severity: Verdict = "degraded" if count > 0 else "healthy"
    return Reason(severity=severity, rule=rule, value=count, threshold=0, text=f"{count} {noun} issue(s) in {period}")


def judge(reasons: list[Reason]) -> tuple[Verdict, list[Reason]]:
    """The worst severity among the reasons, and the reasons worst first (stable within a severity)."""
    ordered = sorted(reasons, key=lambda reason: -SEVERITY.index(reason.severity))
    return (ordered[0].severity if ordered else "healthy"), ordered
