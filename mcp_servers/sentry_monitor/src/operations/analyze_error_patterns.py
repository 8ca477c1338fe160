"""analyze-error-patterns: what stands out among a project's unresolved issues in a period, as ranked findings.

Requests after the cached project id, in two rounds. First, side by side: the issue list with count
series, busiest first (1-3 pages of 100); the new, regressed and escalating issues (one page each); and
the project's environments, then one page of issues per environment (at most 5). Second, the first and
last release of up to 8 issues, 4 at a time. At most 21 requests, the project id included.
"""

from __future__ import annotations

from pydantic import Field

from .. import models, render_analysis
from .. import pattern_findings as found
from ..concurrency import gather_all, gather_two
from ..error_patterns import (
    AnalyzedIssue,
    Finding,
    HandledSplit,
    IssueGroup,
    Spike,
    SpikeRule,
    detect_spike,
    handled_split,
)
from ..errors import NotFound
from ..operation import Count, Number, Operation, OperationContext, Parameters, Result, Steps
from ..paging import PAGE_MAX, Pages
from ._params import Period, ProjectSlug
from ._pattern_reads import PatternReads
from ._pattern_result import Analysis, left_out, summarize

MAX_ANALYSED = 3 * PAGE_MAX
RELEASE_LOOKUPS = 8
SERIES = {"24h": ("24h", "1h"), "7d": ("14d", "1d"), "14d": ("14d", "1d"), "30d": ("14d", "1d")}
SUBSETS = {"new": "is:unresolved firstSeen:-{period}", "regressed": "is:regressed", "escalating": "is:escalating"}


class AnalyzeErrorPatternsParams(Parameters):
    project_slug: ProjectSlug
    period: Period = Field(
        default="24h", description="How far back: 24h (hourly counts), 7d, 14d or 30d (daily counts, 14 days at most)."
    )
    top: Count = Field(default=10, ge=1, le=50, description="How many issues each list shows (1-50).")
    spike_factor: Number = Field(
        default=3.0,
        ge=1,
        le=1000,
        description="Spike: the last 3 buckets' mean is at least this times the median before.",
    )
    spike_min_events: Number = Field(
        default=10, ge=1, le=1_000_000, description="Spike: and that mean is at least this many events per bucket."
    )


class SpikeThresholds(Result):
    factor: float
    min_events: float
    window: int = Field(description="How many of the latest buckets are compared with the ones before.")


class IssueSet(Result):
    total: int | None = Field(description="How many Sentry counts (all of them, not only those listed).")
    issue_ids: list[str]


class Coverage(Result):
    analysed: int = Field(description="Unresolved issues seen in the period that were analysed, busiest first.")
    total: int | None = Field(description="Sentry's count of unresolved issues seen in the period.")
    release_lookups: int = Field(description="Issues whose first and last release were looked up.")
    left_out: list[str] = Field(description="What the analysis did not cover, and why.")


class ErrorPatterns(Result):
    project: str
    period: str
    bucket: str = Field(description="Count series bucket: 1h (period 24h) or 1d.")
    spike_thresholds: SpikeThresholds
    coverage: Coverage
    events: int = Field(description="Events in the period of the analysed issues.")
    findings: list[Finding] = Field(description="What stands out, most events first.")
    spikes: list[Spike]
    new: IssueSet = Field(description="Unresolved issues first seen in the period.")
    regressed: IssueSet
    escalating: IssueSet
    top_by_events: list[str]
    top_by_users: list[str]
    by_exception_type: list[IssueGroup]
    by_module: list[IssueGroup] = Field(description="By culprit module (the culprit before ' in ').")
    by_release: list[IssueGroup] = Field(description="By the release that introduced them (looked-up issues only).")
    by_environment: list[IssueGroup] = Field(description="Unresolved issues seen in the period per environment.")
    handled: HandledSplit
    issues: list[AnalyzedIssue] = Field(description="Every issue named above, once.")


async def analyze_error_patterns(ctx: OperationContext, params: AnalyzeErrorPatternsParams) -> ErrorPatterns:
    project_id = await ctx.api.project_id(params.project_slug)  # checks the allow-list before any request
    org = await ctx.api.organization()
    series_key, bucket = SERIES[params.period]
    if params.period == "30d":
        ctx.warn("Sentry's issue count series span 14 days at most: spikes in a 30d analysis use the last 14 days.")
    reads = PatternReads(
        ctx, Steps(ctx), org, params.project_slug, {"project": project_id, "statsPeriod": params.period}
    )
    subset_reads = [
        reads.issues(query.format(period=params.period), params.top, "", f"the {name} issues")
        for name, query in SUBSETS.items()
    ]
    lists, by_environment = await gather_two(
        gather_all([reads.issues("is:unresolved", MAX_ANALYSED, series_key, "the issue list"), *subset_reads]),
        reads.environments(),
    )
    if isinstance(lists, Exception):
        raise lists
    main = lists[0]
    if isinstance(main, Exception):  # the list is what the analysis is about: its failure is the operation's
        raise main
    subsets = {
        name: ctx.without(outcome, f"The {name} issues") for name, outcome in zip(SUBSETS, lists[1:], strict=True)
    }
    environments = ctx.without(by_environment, "The breakdown by environment", also=(NotFound,))

    listed = [models.Issue.model_validate(row) for row in main.rows]
    rule = SpikeRule(factor=params.spike_factor, min_events=params.spike_min_events)
    if listed and not any(_counts(issue, series_key) for issue in listed):
        ctx.warn("This server sends no per-issue count series, so spikes cannot be found.")
    spikes = sorted(
        (spike for issue in listed if (spike := detect_spike(issue.id, _counts(issue, series_key), rule))),
        key=lambda spike: -spike.recent_mean,
    )[: params.top]
    picked = {
        name: [models.Issue.model_validate(row) for row in pages.rows] if pages else []
        for name, pages in subsets.items()
    }
    candidates = (
        [i.id for name in SUBSETS for i in picked[name]] + [s.issue_id for s in spikes] + [i.id for i in listed]
    )
    lookups = list(dict.fromkeys(candidates))[:RELEASE_LOOKUPS]
    reads.steps.total = reads.steps.done + len(lookups)
    details = await reads.releases(lookups)

    every = {issue.id: issue for issue in [*listed, *(i for name in SUBSETS for i in picked[name])]}
    issues = {key: found.analyzed_issue(issue, details.get(key)) for key, issue in every.items()}
    analysed = [issues[issue.id] for issue in listed]
    sets = {name: _issue_set(subsets[name], picked[name]) for name in SUBSETS}
    analysis = Analysis(
        bucket, issues, analysed, spikes, sets, environments, total=main.total_hits, looked_up=len(details)
    )
    result = _result(params, analysis)
    _recommend(ctx, result, issues)
    return result


def _counts(issue: models.Issue, key: str) -> list[int]:
    return [int(point[1] or 0) for point in issue.stats.get(key) or [] if len(point) > 1]


def _issue_set(pages: Pages | None, issues: list[models.Issue]) -> IssueSet:
    return IssueSet(total=pages.total_hits if pages else None, issue_ids=[issue.id for issue in issues])


def _result(params: AnalyzeErrorPatternsParams, analysis: Analysis) -> ErrorPatterns:
    summary = summarize(analysis, params.top)
    coverage = Coverage(
        analysed=len(analysis.analysed),
        total=analysis.total,
        release_lookups=analysis.looked_up,
        left_out=left_out(analysis, params.period, params.top),
    )
    return ErrorPatterns(
        project=params.project_slug,
        period=params.period,
        bucket=analysis.bucket,
        spike_thresholds=SpikeThresholds(factor=params.spike_factor, min_events=params.spike_min_events, window=3),
        coverage=coverage,
        events=summary.events,
        findings=summary.findings,
        spikes=analysis.spikes,
        new=analysis.sets["new"],
        regressed=analysis.sets["regressed"],
        escalating=analysis.sets["escalating"],
        top_by_events=summary.top_by_events,
        top_by_users=summary.top_by_users,
        by_exception_type=summary.by_exception_type,
        by_module=summary.by_module,
        by_release=summary.by_release,
        by_environment=analysis.environments[0] if analysis.environments else [],
        handled=handled_split(analysis.analysed),
        issues=[issue for key, issue in analysis.issues.items() if key in summary.named],
    )


def _recommend(ctx: OperationContext, result: ErrorPatterns, issues: dict[str, AnalyzedIssue]) -> None:
    if not result.coverage.analysed:
        ctx.recommend(
            f"No unresolved issues were seen in {result.period}: try a longer period, or get-project-health("
            f"project_slug='{result.project}') to see whether errors arrive at all."
        )
        return
    for finding in result.findings[:5]:
        ctx.recommend(found.next_step(finding, issues, lambda issue: ctx.api.issue_label(issue.short_id, issue.id)))
    if not result.findings:
        ctx.recommend(
            f"Nothing stands out in {result.period}: get-recent-issues(project_slug='{result.project}', sort='freq') "
            "lists the busiest issues."
        )


OPERATION = Operation(
    name="analyze-error-patterns",
    title="Analyze error patterns",
    description=(
        "Find what stands out among a Sentry project's unresolved issues over 24h, 7d, 14d or 30d: spikes, new "
        "issues and the release that introduced them, regressed and escalating issues, the busiest by events and "
        "by users, and groupings by exception type, module, release, environment and handled/unhandled. Findings "
        "come ranked by events, each with its numbers and issue ids, and the result says what was left out. Then "
        "get-issue-details on a finding's issue."
    ),
    params=AnalyzeErrorPatternsParams,
    result=ErrorPatterns,
    handler=analyze_error_patterns,
    render=render_analysis.error_patterns,
    scopes=("org:read", "project:read", "event:read"),
)
