"""What analyze-error-patterns makes of the issues it read, for its result: the groupings, the ranked
findings, the busiest issues, which issues the result names, and what the analysis left out."""

from __future__ import annotations

from dataclasses import dataclass

from ..analysis import pattern_findings as found
from ..analysis.error_patterns import AnalyzedIssue, Finding, IssueGroup, IssueSet, Spike, group_issues, module_of
from ..analysis.tag_concentration import MIN_EVENTS, Concentration
from ._pattern_reads import MAX_ENVIRONMENTS
from .paging import PAGE_MAX


@dataclass(frozen=True)
class Analysis:
    """What one analysis read and worked out, from which its result is assembled."""

    bucket: str
    issues: dict[str, AnalyzedIssue]  # every issue read, by id
    analysed: list[AnalyzedIssue]  # the period's unresolved issues, busiest first
    spikes: list[Spike]
    sets: dict[str, IssueSet]  # the new, regressed and escalating issues
    environments: tuple[list[IssueGroup], list[str]] | None  # the breakdown, and the environments left out
    total: int | None  # Sentry's count of the period's unresolved issues
    looked_up: int  # issues whose first and last release were looked up
    tag_concentrations: dict[str, list[Concentration]]  # per issue id, where its events sit in one tag value
    tags_read: int  # issues whose tags were read


@dataclass(frozen=True)
class PatternSummary:
    """The parts of an `ErrorPatterns` result that are worked out from the analysed issues."""

    events: int
    findings: list[Finding]
    top_by_events: list[str]
    top_by_users: list[str]
    by_exception_type: list[IssueGroup]
    by_module: list[IssueGroup]
    by_release: list[IssueGroup]
    named: set[str]  # the id of every issue the result names, so its `issues` list holds exactly those


def summarize(analysis: Analysis, top: int) -> PatternSummary:
    """Group the analysed issues, rank the findings, and pick the `top` busiest by events and by users."""
    analysed, issues, sets = analysis.analysed, analysis.issues, analysis.sets
    events = sum(issue.events for issue in analysed)
    by_type = group_issues(analysed, lambda issue: issue.error_type or "(message)")
    by_module = group_issues([i for i in analysed if i.culprit], lambda issue: module_of(issue.culprit))
    by_release = group_issues([i for i in issues.values() if i.first_release], lambda i: i.first_release or "")
    findings = found.rank(
        [
            *found.spike_findings(analysis.spikes, issues, analysis.bucket),
            *found.status_findings(
                sets["new"].issue_ids, sets["regressed"].issue_ids, sets["escalating"].issue_ids, issues
            ),
            *found.unhandled_finding(analysed),
            *found.tag_findings(analysis.tag_concentrations, issues),
            *found.concentrations(by_type, events, "exception type"),
            *found.concentrations(by_module, events, "module"),
        ]
    )
    top_by_events = [issue.id for issue in sorted(analysed, key=lambda i: -i.events)[:top]]
    top_by_users = [i.id for i in sorted(analysed, key=lambda i: -(i.users or 0)) if i.users][:top]
    named = {
        *top_by_events,
        *top_by_users,
        *(s.issue_id for s in analysis.spikes),
        *(i for s in sets.values() for i in s.issue_ids),
    }
    named |= {i for finding in findings for i in finding.issue_ids}
    groups = [by_type, by_module, by_release, analysis.environments[0] if analysis.environments else []]
    named |= {i for group_list in groups for group in group_list for i in group.issue_ids}
    return PatternSummary(
        events=events,
        findings=findings,
        top_by_events=top_by_events,
        top_by_users=top_by_users,
        by_exception_type=by_type,
        by_module=by_module,
        by_release=by_release,
        named=named,
    )


def left_out(analysis: Analysis, period: str, top: int) -> list[str]:
    """What the analysis did not cover, and why: one sentence each."""
    analysed, known, total, looked_up = len(analysis.analysed), len(analysis.issues), analysis.total, analysis.looked_up
    environments = analysis.environments
    notes = []
    if total is not None and total > analysed:
        notes.append(
            f"{total - analysed} less busy unresolved issues seen in {period} (the busiest {analysed} were read)."
        )
    if looked_up < known:
        notes.append(f"Releases were looked up for {looked_up} of {known} issues (new, regressed, escalating first).")
    for name, issue_set in analysis.sets.items():
        if issue_set.total is not None and issue_set.total > len(issue_set.issue_ids):
            notes.append(f"{issue_set.total - len(issue_set.issue_ids)} more {name} issues than listed (top={top}).")
    if environments and environments[1]:
        notes.append(f"Environments not broken down (only {MAX_ENVIRONMENTS} are): {', '.join(environments[1])}.")
    if environments and any(group.issues > PAGE_MAX for group in environments[0]):
        notes.append(f"Environment event counts cover each environment's {PAGE_MAX} busiest issues.")
    if analysis.tags_read < analysed:
        notes.append(
            f"Tags were read for {analysis.tags_read} of {analysed} issues: the busiest with {MIN_EVENTS}+ events, as "
            "many as the request cap left room for."
        )
    notes.append("Resolved and archived (ignored) issues are not analysed.")
    return notes
