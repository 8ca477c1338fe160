"""get-project-stats: a project's error volume over a period, by outcome, with peak and trend."""

from __future__ import annotations

from pydantic import Field

from ..base.errors import ProjectNotFound
from ..sentry import models
from ..sentry.capabilities import OUTCOME_STATS
from ..shared.results import Result, Timestamp, change_pct
from ._params import Period, ProjectSlug
from .operation import Operation, OperationContext, Parameters

INTERVALS = {"24h": "1h", "7d": "1d", "14d": "1d", "30d": "1d"}
OUTCOMES = ("accepted", "filtered", "rate_limited", "invalid")


class GetProjectStatsParams(Parameters):
    project_slug: ProjectSlug
    period: Period = Field(
        default="24h", description="How far back: 24h (hourly buckets), 7d, 14d or 30d (daily buckets)."
    )


class SeriesPoint(Result):
    start: Timestamp
    accepted: int


class Trend(Result):
    first_half: int = Field(description="Accepted errors in the first half of the period.")
    second_half: int = Field(description="Accepted errors in the second half.")
    change_pct: float | None = Field(
        default=None, description="Change from first to second half in percent; null if the first half had none."
    )


class ProjectStats(Result):
    period: str
    interval: str
    totals: dict[str, int] = Field(
        default_factory=dict,
        description="Errors by outcome: accepted (stored), filtered (inbound filters), "
        "rate_limited (quota), invalid, and any other outcome Sentry reports.",
    )
    series_start: Timestamp | None = Field(default=None, description="When the first interval of `series` starts.")
    series: list[int] = Field(
        default_factory=list, description="Accepted errors per interval (`interval` long), oldest first."
    )
    peak: SeriesPoint | None = Field(default=None, description="The busiest interval; absent when none was accepted.")
    trend: Trend


async def get_project_stats(ctx: OperationContext, params: GetProjectStatsParams) -> ProjectStats:
    project_id = await ctx.api.project_id(params.project_slug)
    interval = INTERVALS[params.period]
    response = await ctx.api.stats_v2(
        {
            "field": "sum(quantity)",
            "category": "error",
            "groupBy": "outcome",
            "project": project_id,
            "statsPeriod": params.period,
            "interval": interval,
        },
        not_found=ProjectNotFound,
        bad_request_field="period",
        project=params.project_slug,
    )
    stats = models.StatsV2.model_validate(response.json_object("the error statistics"))
    # Only the outcomes this server reports: one without per-outcome stats counts accepted events only.
    totals = dict.fromkeys(OUTCOMES if ctx.api.offers(OUTCOME_STATS) else ("accepted",), 0)
    for group in stats.groups:
        outcome = str(group.by.get("outcome") or "unknown")
        total = group.totals.get("sum(quantity)")
        totals[outcome] = totals.get(outcome, 0) + int(total if total is not None else sum(stats.series_of(group)))
    accepted = stats.accepted_series()
    points = [SeriesPoint(start=start, accepted=count) for start, count in zip(stats.intervals, accepted, strict=True)]
    peak = max(points, key=lambda point: point.accepted) if any(p.accepted for p in points) else None
    half = len(accepted) // 2
    first, second = sum(accepted[:half]), sum(accepted[len(accepted) - half :])
    change = change_pct(second, first)
    result = ProjectStats(
        period=params.period,
        interval=interval,
        totals=totals,
        series_start=stats.intervals[0] if stats.intervals else None,
        series=accepted,
        peak=peak,
        trend=Trend(first_half=first, second_half=second, change_pct=change),
    )
    _recommend(ctx, params, result)
    return result


def _recommend(ctx: OperationContext, params: GetProjectStatsParams, result: ProjectStats) -> None:
    slug = params.project_slug
    if result.totals["accepted"] == 0:
        ctx.recommend(
            f"No errors stored for {slug} in {params.period}: check the SDK's DSN and sample rate, or try a "
            "longer period."
        )
        return
    if result.trend.change_pct is not None and result.trend.change_pct >= 25:
        ctx.recommend(
            f"Errors rose {result.trend.change_pct:g}% in the second half of the period: call "
            f"get-recent-issues(project_slug='{slug}', sort='freq') to find what drives it."
        )
    elif result.peak is not None:
        ctx.recommend(
            f"The peak was {result.peak.accepted} errors at {result.peak.start}: call "
            f"get-recent-issues(project_slug='{slug}', sort='freq') to see the busiest issues."
        )
    dropped = result.totals.get("rate_limited", 0)
    if dropped:
        ctx.recommend(
            f"{dropped} errors were dropped by rate limits: raise the project's quota or lower the SDK's "
            "sample rate so they are not lost."
        )


def render_project_stats(result: ProjectStats) -> str:
    totals = ", ".join(f"{name} {count}" for name, count in result.totals.items())
    lines = [f"Errors in the last {result.period} ({result.interval} buckets): {totals}"]
    if result.peak:
        lines.append(f"Peak: {result.peak.accepted} at {result.peak.start}")
    trend = result.trend
    change = f"{trend.change_pct:+g}%" if trend.change_pct is not None else "n/a"
    lines.append(f"Trend: first half {trend.first_half}, second half {trend.second_half} ({change})")
    sparkline = " ".join(str(count) for count in result.series)
    lines.append(f"Accepted per {result.interval}, oldest first: {sparkline}")
    return "\n".join(lines)


OPERATION = Operation(
    name="get-project-stats",
    title="Get project error statistics",
    description=(
        "Count a Sentry project's errors over the last 24h, 7d, 14d or 30d from Sentry's usage stats: totals by "
        "outcome (accepted = stored, filtered by inbound filters, rate_limited by quota, invalid), accepted "
        "errors per hour (24h) or per day, the peak interval, and the trend between the first and second half "
        "of the period. Use it to tell whether a project is getting worse, when a spike happened, and whether "
        "errors are being dropped. Counts events, not issues; for which issues, call get-recent-issues."
    ),
    params=GetProjectStatsParams,
    result=ProjectStats,
    handler=get_project_stats,
    render=render_project_stats,
    scopes=("org:read", "project:read"),
)
