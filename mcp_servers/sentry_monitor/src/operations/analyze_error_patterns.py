"""analyze-error-patterns: what stands out among a project's unresolved issues in a period, as ranked findings.

Requests after the cached project id, in two rounds. First, side by side: the issue list with count
series, busiest first (1-3 pages of 100); the new, regressed and escalating issues (one page each); and
the project's environments, then one page of issues per environment (at most 5). Second, the first and
last release of up to 8 issues, 4 at a time, and beside them the tags of the busiest issues (release,
environment, browser, os, url, top value only) for as many as the rest of the cap allows, at most 8 (GlitchTip's
release lookups are tag reads already: their tags are used too). At most REQUEST_CAP (21) requests, the project
id included.
"""

from __future__ import annotations

from pydantic import Field

from ..analysis import pattern_findings as found
from ..analysis.error_patterns import (
    AnalyzedIssue,
    Finding,
    HandledSplit,
    IssueGroup,
    IssueSet,
    Spike,
    SpikeRule,
    detect_spike,
    handled_split,
)
from ..analysis.tag_concentration import MIN_EVENTS, concentrations, values_by_key
from ..base.concurrency import gather_all, gather_two
from ..base.errors import NotFound, UnsupportedByServer
from ..sentry import models
from ..shared.issues import short_culprit
from ..shared.results import Result
from ..shared.text import known, short_title
from ._params import Period, ProjectSlug
from ._pattern_reads import PatternReads
from ._pattern_result import Analysis, left_out, summarize
from .operation import Count, Number, Operation, OperationContext, Parameters, Steps
from .paging import PAGE_MAX, Pages

MAX_ANALYSED = 3 * PAGE_MAX
RELEASE_LOOKUPS = 8
REQUEST_CAP = 21
TAG_READS = 8
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


class Coverage(Result):
    analysed: int = Field(description="Unresolved issues seen in the period that were analysed, busiest first.")
    total: int | None = Field(default=None, description="Sentry's count of unresolved issues seen in the period.")
    release_lookups: int = Field(description="Issues whose first and last release were looked up.")
    left_out: list[str] = Field(default_factory=list, description="What the analysis did not cover, and why.")
    not_read: list[str] = Field(
        default_factory=list, description="What this server could not tell (see warnings): findings leave it out."
    )


class ErrorPatterns(Result):
    project: str
    period: str
    bucket: str = Field(description="Count series bucket: 1h (period 24h) or 1d.")
    spike_thresholds: SpikeThresholds
    coverage: Coverage
    events: int = Field(description="Events in the period of the analysed issues.")
    findings: list[Finding] = Field(default_factory=list, description="What stands out, most events first.")
    spikes: list[Spike] = Field(default_factory=list)
    new: IssueSet = Field(description="Unresolved issues first seen in the period.")
    regressed: IssueSet
    escalating: IssueSet
    top_by_events: list[str] = Field(default_factory=list)
    top_by_users: list[str] = Field(default_factory=list)
    by_exception_type: list[IssueGroup] = Field(default_factory=list)
    by_module: list[IssueGroup] = Field(
        default_factory=list, description="By culprit module (the culprit before ' in ')."
    )
    by_release: list[IssueGroup] = Field(
        default_factory=list, description="By the release that introduced them (looked-up issues only)."
    )
    by_environment: list[IssueGroup] = Field(
        default_factory=list, description="Unresolved issues seen in the period per environment."
    )
    handled: HandledSplit
    issues: list[AnalyzedIssue] = Field(default_factory=list, description="Every issue named above, once.")


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
        name: ctx.without(outcome, f"The {name} issues", also=(UnsupportedByServer,))
        for name, outcome in zip(SUBSETS, lists[1:], strict=True)
    }
    environments = ctx.without(by_environment, "The breakdown by environment", also=(NotFound, UnsupportedByServer))

    listed = [models.Issue.model_validate(row) for row in main.rows]
    rule = SpikeRule(factor=params.spike_factor, min_events=params.spike_min_events)
    if listed and not any(_counts(issue, series_key) for issue in listed):
        ctx.warn("This server sends no per-issue count series, so spikes cannot be found.")
    if listed and not any(issue.culprit for issue in listed):
        ctx.warn("This server's issue list names no culprits, so the issues are not grouped by module.")
    if listed and all(issue.is_unhandled is None for issue in listed):
        ctx.warn("This server does not say which issues crashed unhandled, so none is counted as unhandled.")
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
    tags_with_lookups = not (await ctx.api.server_kind()).issue_releases
    tag_reads = _tag_reads(ctx.api.api_calls + len(lookups), listed, set(lookups) if tags_with_lookups else set())
    reads.steps.total = reads.steps.done + len(lookups) + len(tag_reads)
    looked_up, tagged = await gather_two(reads.releases(lookups), reads.tags(tag_reads))
    if isinstance(looked_up, Exception):
        raise looked_up
    if isinstance(tagged, Exception):
        raise tagged
    details, lookup_tags = looked_up
    issue_tags = {**lookup_tags, **tagged}

    every = {issue.id: issue for issue in [*listed, *(i for name in SUBSETS for i in picked[name])]}
    issues = {
        key: found.analyzed_issue(issue, *((seen.first, seen.last) if (seen := details.get(key)) else ()))
        for key, issue in every.items()
    }
    analysed = [issues[issue.id] for issue in listed]
    sets = {name: _issue_set(subsets[name], picked[name]) for name in SUBSETS}
    values_seen = values_by_key(issue_tags.values())
    concentrated = {
        key: in_one
        for key, tags in issue_tags.items()
        if key in issues and (in_one := concentrations(tags, values_seen))
    }
    analysis = Analysis(
        bucket,
        issues,
        analysed,
        spikes,
        sets,
        environments,
        total=main.total_hits,
        looked_up=len(details),
        tag_concentrations=concentrated,
        tags_read=len(issue_tags),
    )
    result = _result(params, analysis)
    result.coverage.not_read = _not_read(listed, series_key, subsets, environments)
    _recommend(ctx, result, issues)
    return result


def _tag_reads(requests_so_far: int, listed: list[models.Issue], read_already: set[str]) -> list[str]:
    """The busiest issues (with enough events for the concentration rule) whose tags the request cap leaves room
    for, besides those read already."""
    room = max(0, min(TAG_READS, REQUEST_CAP - requests_so_far))
    busiest = sorted(listed, key=lambda issue: -issue.count)
    return [i.id for i in busiest if i.count >= MIN_EVENTS and i.id not in read_already][:room]


def _not_read(
    listed: list[models.Issue], series_key: str, subsets: dict[str, Pages | None], environments: object
) -> list[str]:
    """The parts of the analysis this server could not give (each said in a warning)."""
    missing = [f"{name} issues" for name, pages in subsets.items() if pages is None]
    if environments is None:
        missing.append("events per environment")
    if listed and not any(_counts(issue, series_key) for issue in listed):
        missing.append("spikes")
    if listed and all(issue.is_unhandled is None for issue in listed):
        missing.append("unhandled crashes")
    return missing


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


MAX_ISSUES_SHOWN = 12

MAX_GROUPS_SHOWN = 6


def _groups_text(groups: list[IssueGroup], names: dict[str, str]) -> str:
    shown = [
        f"{group.key} {group.events} ({group.issues} issue{'s' if group.issues != 1 else ''}"
        + (f": {', '.join(names.get(i, i) for i in group.issue_ids[:3])}" if group.issues <= 3 else "")
        + ")"
        for group in groups[:MAX_GROUPS_SHOWN]
    ]
    more = f"; {len(groups) - MAX_GROUPS_SHOWN} more" if len(groups) > MAX_GROUPS_SHOWN else ""
    return "; ".join(shown) + more if shown else "none"


def _issue_set_text(name: str, issue_set: IssueSet, names: dict[str, str]) -> str:
    total = issue_set.total if issue_set.total is not None else len(issue_set.issue_ids)
    listed = f" ({', '.join(names.get(i, i) for i in issue_set.issue_ids)})" if issue_set.issue_ids else ""
    return f"{total} {name}{listed}"


def _issue_text(issue: AnalyzedIssue) -> str:
    flags = " unhandled" if issue.is_unhandled else ""
    release = f"; first release {issue.first_release}" if issue.first_release else ""
    where = f"; at {short_culprit(issue.culprit)}" if issue.culprit else ""
    state = f"[{issue.level or '?'}{flags}" + (f", {issue.substatus}]" if issue.substatus else "]")
    return (
        f"- {issue.short_id or issue.id} {state} {issue.events} events, {known(issue.users)} users: "
        f"{short_title(issue.title)}{where}{release}"
    )


def render_error_patterns(result: ErrorPatterns) -> str:
    coverage = result.coverage
    names = {issue.id: issue.short_id or issue.id for issue in result.issues}
    of_total = f" of {coverage.total}" if coverage.total is not None and coverage.total != coverage.analysed else ""
    lines = [
        f"{result.project}, last {result.period}: {coverage.analysed}{of_total} unresolved issues analysed, "
        f"{result.events} events."
    ]
    if result.findings:
        lines.append("Findings, most events first:")
        lines += [f"- {finding.kind}: {finding.summary}" for finding in result.findings]
    else:
        unseen = coverage.not_read
        lines.append("Nothing stands out" + (f" in what could be read (not: {', '.join(unseen)})." if unseen else "."))
    lines.append(
        "Issues: "
        + "; ".join(
            _issue_set_text(name, issue_set, names)
            if f"{name} issues" not in coverage.not_read
            else f"{name}: not read"
            for name, issue_set in (
                ("new", result.new),
                ("regressed", result.regressed),
                ("escalating", result.escalating),
            )
        )
    )
    lines.append("By exception type: " + _groups_text(result.by_exception_type, names))
    lines.append("By module: " + _groups_text(result.by_module, names))
    lines.append(f"By first release ({coverage.release_lookups} looked up): " + _groups_text(result.by_release, names))
    unread = "events per environment" in coverage.not_read
    lines.append("By environment: " + ("not read" if unread else _groups_text(result.by_environment, names)))
    split = result.handled
    lines.append(
        f"Handled: {split.handled_issues} issues, {split.handled_events} events; "
        f"unhandled: {split.unhandled_issues} issues, {split.unhandled_events} events"
        + (f"; not known: {split.unknown_issues} issues, {split.unknown_events} events" if split.unknown_issues else "")
    )
    busiest = sorted(result.issues, key=lambda issue: -issue.events)
    lines.append("Busiest issues:")
    lines += [_issue_text(issue) for issue in busiest[:MAX_ISSUES_SHOWN]]
    if len(busiest) > MAX_ISSUES_SHOWN:
        lines.append(f"  ... {len(busiest) - MAX_ISSUES_SHOWN} more in the structured result")
    rule = result.spike_thresholds
    lines.append(
        f"Spike rule: mean of the last {rule.window} {result.bucket} buckets >= {rule.factor:g}x the median before "
        f"and >= {rule.min_events:g} events/{result.bucket}"
    )
    lines += [f"Left out: {note}" for note in coverage.left_out]
    return "\n".join(lines)


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
    render=render_error_patterns,
    scopes=("org:read", "project:read", "event:read"),
    main_list="issues",
    cut_hint="Ask for fewer with `top`, or a shorter `period`.",
)
