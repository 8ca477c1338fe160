"""get-project-health: crash-free rates, error trend and issue counts of a project, judged into a verdict.

Six requests side by side after the cached project id (see `_health_reads`): release-health sessions,
accepted errors of this and the previous period (one stats_v2 call over twice the period), and four issue
lists (`X-Hits` counts; the unresolved one also gives the top three issues).
"""

from __future__ import annotations

from pydantic import Field, ValidationInfo, field_validator

from ..analysis import health_verdict
from ..analysis.health_verdict import HealthThresholds, Reason, Verdict
from ..base.errors import NotFound, UnsupportedByServer
from ..sentry import models
from ..sentry.responses import ApiResponse
from ..shared.issues import IssueSummary, issue_summary
from ..shared.results import Result, change_pct
from ..shared.text import known, pct, short_title
from ._health_reads import read_health
from ._params import Period, ProjectSlug
from .operation import Number, Operation, OperationContext, Parameters

TOP_ISSUES = 3


class GetProjectHealthParams(Parameters):
    project_slug: ProjectSlug
    period: Period = Field(
        default="24h", description="The period judged, compared with the one before it of the same length."
    )
    critical_crash_free_pct: Number = Field(
        default=95, ge=0, le=100, description="Critical when crash-free sessions fall below this percentage."
    )
    degraded_crash_free_pct: Number = Field(
        default=99, ge=0, le=100, description="Degraded below this percentage (at least the critical one)."
    )
    critical_error_increase_pct: Number = Field(
        default=100,
        ge=0,
        le=100_000,
        description="Critical when errors rose by this percentage or more (100 = doubled).",
    )
    degraded_error_increase_pct: Number = Field(
        default=25, ge=0, le=100_000, description="Degraded when errors rose by this much (at most the critical rise)."
    )

    @field_validator("degraded_crash_free_pct")
    @classmethod
    def _degraded_rate(cls, value: float, info: ValidationInfo) -> float:
        critical = info.data.get("critical_crash_free_pct")
        if critical is not None and value < critical:
            raise ValueError(f"must be at least critical_crash_free_pct ({critical:g})")
        return value

    @field_validator("degraded_error_increase_pct")
    @classmethod
    def _degraded_rise(cls, value: float, info: ValidationInfo) -> float:
        critical = info.data.get("critical_error_increase_pct")
        if critical is not None and value > critical:
            raise ValueError(f"must be at most critical_error_increase_pct ({critical:g})")
        return value


class SessionHealth(Result):
    crash_free_sessions_pct: float | None = Field(default=None, description="Null when the project sent no sessions.")
    crash_free_users_pct: float | None = None
    sessions: int | None = None
    users: int | None = None


class ErrorVolume(Result):
    current: int = Field(description="Accepted errors in the period.")
    previous: int = Field(description="Accepted errors in the period of the same length before it.")
    change_pct: float | None = Field(
        default=None, description="Change in percent; null when the previous period had none."
    )


class IssueCounts(Result):
    unresolved: int | None = Field(default=None, description="Unresolved issues seen in the period.")
    new: int | None = Field(default=None, description="Unresolved issues first seen in the period.")
    regressed: int | None = None
    escalating: int | None = None


class ProjectHealth(Result):
    project: str
    period: str
    verdict: Verdict
    reasons: list[Reason] = Field(default_factory=list, description="One per rule, worst first.")
    thresholds: HealthThresholds
    sessions: SessionHealth
    errors: ErrorVolume | None = Field(default=None, description="Null when Sentry's statistics could not be read.")
    issues: IssueCounts
    top_issues: list[IssueSummary] = Field(
        default_factory=list, description=f"The {TOP_ISSUES} unresolved issues with most events."
    )


async def get_project_health(ctx: OperationContext, params: GetProjectHealthParams) -> ProjectHealth:
    slug, period = params.project_slug, params.period
    project_id = await ctx.api.project_id(slug)  # checks the allow-list before any request
    org = await ctx.api.organization()
    answers = await read_health(ctx, org, slug, project_id, period, top=TOP_ISSUES)
    # A Sentry without these endpoints (404) still gets a verdict from the rest.
    sessions = _sessions(
        ctx, ctx.without(answers.sessions, "Crash-free rates", also=(NotFound, UnsupportedByServer)), period
    )
    errors = _errors(ctx.without(answers.stats, "The error volume", also=(NotFound,)))
    lists = {
        name: ctx.without(outcome, f"The {name} count", also=(UnsupportedByServer,))
        for name, outcome in answers.lists.items()
    }
    counts = IssueCounts(**{name: response.total_hits if response else None for name, response in lists.items()})
    unresolved = lists["unresolved"]
    top = (
        [issue_summary(models.Issue.model_validate(row)) for row in unresolved.json_list("the issue list")]
        if unresolved
        else []
    )
    thresholds = HealthThresholds(
        critical_crash_free_pct=params.critical_crash_free_pct,
        degraded_crash_free_pct=params.degraded_crash_free_pct,
        critical_error_increase_pct=params.critical_error_increase_pct,
        degraded_error_increase_pct=params.degraded_error_increase_pct,
    )
    verdict, reasons = health_verdict.judge(
        [
            health_verdict.crash_free_reason(sessions.crash_free_sessions_pct, thresholds),
            health_verdict.error_trend_reason(
                errors.current if errors else None, errors.previous if errors else None, period, thresholds
            ),
            health_verdict.issue_reason("new_issues", counts.new, period),
            health_verdict.issue_reason("regressed_issues", counts.regressed, period),
        ]
    )
    result = ProjectHealth(
        project=slug,
        period=period,
        verdict=verdict,
        reasons=reasons,
        thresholds=thresholds,
        sessions=sessions,
        errors=errors,
        issues=counts,
        top_issues=top[:TOP_ISSUES],
    )
    _recommend(ctx, result)
    return result


def _percent(rate: float | None) -> float | None:
    return round(rate * 100, 2) if rate is not None else None


def _sessions(ctx: OperationContext, response: ApiResponse | None, period: str) -> SessionHealth:
    if response is None:
        return SessionHealth(crash_free_sessions_pct=None, crash_free_users_pct=None, sessions=None, users=None)
    stats = models.SessionStats.model_validate(response.json_object("the sessions"))
    sessions, users = stats.total("sum(session)"), stats.total("count_unique(user)")
    if not sessions:
        ctx.warn(
            f"The project sent no sessions in {period}: crash-free rates are null. Release health needs session "
            "tracking in the SDK (on by default in sentry-sdk for servers and apps with a release set)."
        )
    return SessionHealth(
        crash_free_sessions_pct=_percent(stats.total("crash_free_rate(session)")) if sessions else None,
        crash_free_users_pct=_percent(stats.total("crash_free_rate(user)")) if sessions else None,
        sessions=int(sessions or 0),
        users=int(users or 0),
    )


def _errors(response: ApiResponse | None) -> ErrorVolume | None:
    if response is None:
        return None
    stats = models.StatsV2.model_validate(response.json_object("the error statistics"))
    accepted = stats.accepted_series()
    width = len(accepted)
    half = width // 2
    current, previous = sum(accepted[width - half :]), sum(accepted[width - 2 * half : width - half])
    return ErrorVolume(current=current, previous=previous, change_pct=change_pct(current, previous))


def _recommend(ctx: OperationContext, result: ProjectHealth) -> None:
    slug, period = result.project, result.period
    if result.verdict != "healthy":
        ctx.recommend(
            f"analyze-error-patterns(project_slug='{slug}', period='{period}') to find the spikes, new and "
            "regressed issues and the release behind this verdict."
        )
    if result.top_issues:
        top = result.top_issues[0]
        ctx.recommend(
            f"get-issue-details(issue_id='{ctx.api.issue_label(top.short_id, top.id)}') for the busiest issue "
            f"({top.count} events)."
        )


def _judged(reason: Reason) -> str:
    """A rule's severity, or `not judged` where the number it needed was not there (it counts as healthy)."""
    return (
        "not judged"
        if reason.value is None and reason.text.endswith(("not judged", "not applied"))
        else reason.severity
    )


def render_project_health(result: ProjectHealth) -> str:
    lines = [f"{result.project} health, last {result.period}: {result.verdict.upper()}"]
    lines += [f"- {_judged(reason)}: {reason.text}" for reason in result.reasons]
    sessions = result.sessions
    if sessions.crash_free_sessions_pct is not None:
        lines.append(
            f"Crash-free: sessions {pct(sessions.crash_free_sessions_pct)} of {sessions.sessions}, "
            f"users {pct(sessions.crash_free_users_pct)} of {sessions.users}"
        )
    else:
        lines.append("Crash-free: no sessions")
    errors = result.errors
    if errors is not None:
        change = f", {errors.change_pct:+g}%" if errors.change_pct is not None else ""
        lines.append(f"Errors: {errors.current} (previous {result.period}: {errors.previous}{change})")
    counts = result.issues
    lines.append(
        f"Issues seen in {result.period}: {known(counts.unresolved)} unresolved, {known(counts.new)} new, "
        f"{known(counts.regressed)} regressed, {known(counts.escalating)} escalating"
    )
    if result.top_issues:
        lines.append("Top issues:")
        for issue in result.top_issues:
            flags = " unhandled" if issue.is_unhandled else ""
            lines.append(
                f"- {issue.short_id or issue.id} [{issue.level or '?'}{flags}, {issue.substatus or issue.status}] "
                f"{issue.count} events, {known(issue.user_count)} users: {short_title(issue.title)}"
            )
    limits = result.thresholds
    lines.append(
        f"Thresholds: critical below {limits.critical_crash_free_pct:g}% crash-free or errors "
        f"+{limits.critical_error_increase_pct:g}%; degraded below {limits.degraded_crash_free_pct:g}%, errors "
        f"+{limits.degraded_error_increase_pct:g}%, or any new or regressed issue"
    )
    return "\n".join(lines)


OPERATION = Operation(
    name="get-project-health",
    title="Get project health",
    description=(
        "Judge a Sentry project's health over 24h, 7d, 14d or 30d: a verdict (healthy, degraded, critical) with "
        "its reasons and thresholds, from crash-free session and user rates, errors against the previous period, "
        "and counts of unresolved, new, regressed and escalating issues, plus the top three issues. Defaults: "
        "critical below 95% crash-free sessions or errors doubled; degraded below 99%, errors up 25%, or any new "
        "or regressed issue. Use it first; then analyze-error-patterns for why."
    ),
    params=GetProjectHealthParams,
    result=ProjectHealth,
    handler=get_project_health,
    render=render_project_health,
    scopes=("org:read", "project:read", "event:read"),
)
