"""Findings of analyze-error-patterns: each with its evidence and issue ids, ranked by impact, with a next step.

Pure functions over the analysis' parts (no I/O). Impact is the number of events in the period of the
issues a finding concerns; among findings of equal impact the more urgent kind comes first.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping

from ..sentry import models
from ..shared.results import text
from .error_patterns import GROUP_IDS_SHOWN, KIND_ORDER, AnalyzedIssue, Finding, FindingKind, IssueGroup, Spike
from .tag_concentration import Concentration

CONCENTRATION_SHARE = 0.5
UNITS = {"1h": "hour", "1d": "day"}


def analyzed_issue(
    issue: models.Issue, first_release: str | None = None, last_release: str | None = None
) -> AnalyzedIssue:
    """An issue as the analysis shows it, with its first and last release where they were looked up."""
    return AnalyzedIssue(
        id=issue.id,
        short_id=issue.short_id,
        title=issue.title,
        level=issue.level,
        substatus=issue.substatus,
        events=issue.count,
        users=issue.user_count,
        is_unhandled=issue.is_unhandled,
        error_type=text(issue.metadata.get("type")),
        culprit=issue.culprit or None,
        first_release=first_release,
        last_release=last_release,
    )


def label(issue: AnalyzedIssue) -> str:
    return issue.short_id or issue.id


def rank(findings: Iterable[Finding]) -> list[Finding]:
    """Most events first; among equals, the more urgent kind first."""
    return sorted(findings, key=lambda f: (-f.impact_events, KIND_ORDER.index(f.kind), f.issue_ids))


def spike_findings(spikes: list[Spike], issues: dict[str, AnalyzedIssue], bucket: str) -> list[Finding]:
    unit = UNITS.get(bucket, bucket)
    found = []
    for spike in spikes:
        issue = issues[spike.issue_id]
        before = (
            f"{spike.ratio:g}x the median of {spike.baseline_median:g} before"
            if spike.ratio is not None
            else "from a median of 0 before"
        )
        found.append(
            Finding(
                kind="spike",
                summary=f"{label(issue)} spiked to {spike.recent_mean:g} events per {unit} over the last "
                f"{len(spike.recent)} {unit}s, {before}",
                issue_ids=[issue.id],
                impact_events=issue.events,
                evidence={
                    "recent_mean": spike.recent_mean,
                    "baseline_median": spike.baseline_median,
                    "ratio": spike.ratio,
                    "bucket": bucket,
                },
            )
        )
    return found


def status_findings(
    new_ids: list[str], regressed_ids: list[str], escalating_ids: list[str], issues: dict[str, AnalyzedIssue]
) -> list[Finding]:
    """One finding per new, regressed and escalating issue, and one per release that introduced new ones."""
    found = []
    for issue in (issues[i] for i in regressed_ids):
        where = f", seen again in {issue.last_release}" if issue.last_release else ""
        found.append(
            _issue_finding("regression", issue, f"{label(issue)} regressed{where}", release=issue.last_release)
        )
    for issue in (issues[i] for i in escalating_ids):
        found.append(_issue_finding("escalating", issue, f"{label(issue)} is escalating"))
    introduced: dict[str, list[AnalyzedIssue]] = {}
    for issue in (issues[i] for i in new_ids):
        where = f" (first release {issue.first_release})" if issue.first_release else ""
        found.append(_issue_finding("new_issue", issue, f"{label(issue)} is new{where}", release=issue.first_release))
        if issue.first_release:
            introduced.setdefault(issue.first_release, []).append(issue)
    for release, group in introduced.items():
        events = sum(issue.events for issue in group)
        found.append(
            Finding(
                kind="release",
                summary=f"{release} introduced {len(group)} new issue(s): {', '.join(label(i) for i in group)}",
                issue_ids=[issue.id for issue in group],
                impact_events=events,
                evidence={"release": release, "issues": len(group), "events": events},
            )
        )
    return found


def _issue_finding(kind: FindingKind, issue: AnalyzedIssue, summary: str, release: str | None = None) -> Finding:
    return Finding(
        kind=kind,
        summary=f"{summary}: {issue.events} events"
        + (f", {issue.users} users" if issue.users is not None else "")
        + " in the period",
        issue_ids=[issue.id],
        impact_events=issue.events,
        evidence={"events": issue.events, "users": issue.users, "release": release},
    )


def unhandled_finding(analysed: list[AnalyzedIssue]) -> list[Finding]:
    crashed = sorted((issue for issue in analysed if issue.is_unhandled), key=lambda i: -i.events)
    if not crashed:
        return []
    events = sum(issue.events for issue in crashed)
    return [
        Finding(
            kind="unhandled",
            summary=f"{len(crashed)} issue(s) crashed unhandled, {events} events",
            issue_ids=[issue.id for issue in crashed[:GROUP_IDS_SHOWN]],
            impact_events=events,
            evidence={"issues": len(crashed), "events": events},
        )
    ]


def concentrations(groups: list[IssueGroup], total_events: int, what: str) -> list[Finding]:
    """A finding for a group of several issues holding at least half the events, when there are other groups."""
    if len(groups) < 2 or total_events <= 0:
        return []
    return [
        Finding(
            kind="concentration",
            summary=f"{what} {group.key}: {group.issues} issues, {share:.0%} of the events",
            issue_ids=group.issue_ids,
            impact_events=group.events,
            evidence={"group_by": what, "key": group.key, "issues": group.issues, "share": round(share, 3)},
        )
        for group in groups
        if group.issues >= 2 and (share := group.events / total_events) >= CONCENTRATION_SHARE
    ]


def tag_findings(found: Mapping[str, list[Concentration]], issues: dict[str, AnalyzedIssue]) -> list[Finding]:
    """One finding per issue whose events sit in one value of a tag (`found`: per issue id, its concentrations,
    the first the one the evidence details)."""
    findings = []
    for issue_id, concentrations in found.items():
        issue, first = issues[issue_id], concentrations[0]
        more = "".join(f"; {c.share:.0%} in {c.phrase()}" for c in concentrations[1:])
        findings.append(
            Finding(
                kind="tag_concentration",
                summary=first.sentence(label(issue)) + more,
                issue_ids=[issue.id],
                impact_events=issue.events,
                evidence={
                    "key": first.key,
                    "value": first.value,
                    "share": first.share,
                    "events": first.count,
                    "tagged": first.total,
                },
            )
        )
    return findings


def next_step(
    finding: Finding, issues: dict[str, AnalyzedIssue], call_label: Callable[[AnalyzedIssue], str] = label
) -> str:
    """What to do about a finding, naming the tool call that goes deeper (`call_label`: how the server takes ids)."""
    first = issues.get(finding.issue_ids[0]) if finding.issue_ids else None
    ident = label(first) if first else "?"
    details = f"get-issue-details(issue_id='{call_label(first) if first else '?'}')"
    if finding.kind == "spike":
        return f"{ident} spikes: {details} to see what its latest events share."
    if finding.kind == "regression":
        return f"{ident} regressed: {details}, then check whether its fix shipped in the release it came back in."
    if finding.kind in ("escalating", "new_issue"):
        return f"{ident} is {'escalating' if finding.kind == 'escalating' else 'new'}: {details} to triage it."
    if finding.kind == "release":
        return f"{finding.evidence['release']} brought {ident}: {details}, then fix or roll back that release."
    if finding.kind == "tag_concentration":
        key = finding.evidence["key"]
        return (
            f"{finding.summary}: see what sets that {key} apart with get-issue-tags(issue_id="
            f"'{call_label(first) if first else '?'}'), then {details}."
        )
    if finding.kind == "unhandled":
        return f"{finding.summary}: add error handling, starting with {details}."
    return f"{finding.summary}: one fix there may clear several issues; start with {details}."
