"""Compact text for the two analysis tools: a project's health verdict, and its error patterns.

Like `render.py`: the numbers a human decides on first (the verdict and its reasons; the ranked findings),
then the detail, one line each. Issues are named by short id; the structured result has their numeric ids.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .render import culprit

if TYPE_CHECKING:
    from .error_patterns import AnalyzedIssue, IssueGroup
    from .operations.analyze_error_patterns import ErrorPatterns, IssueSet
    from .operations.get_project_health import ProjectHealth

MAX_TITLE_CHARS = 90
MAX_ISSUES_SHOWN = 12
MAX_GROUPS_SHOWN = 6


def _title(title: str) -> str:
    return title if len(title) <= MAX_TITLE_CHARS else title[: MAX_TITLE_CHARS - 1] + "…"


def _pct(value: float | None) -> str:
    return f"{value:g}%" if value is not None else "n/a"


def _known(count: int | None) -> str:
    return "?" if count is None else str(count)


def project_health(result: ProjectHealth) -> str:
    lines = [f"{result.project} health, last {result.period}: {result.verdict.upper()}"]
    lines += [f"- {reason.severity}: {reason.text}" for reason in result.reasons]
    sessions = result.sessions
    if sessions.crash_free_sessions_pct is not None:
        lines.append(
            f"Crash-free: sessions {_pct(sessions.crash_free_sessions_pct)} of {sessions.sessions}, "
            f"users {_pct(sessions.crash_free_users_pct)} of {sessions.users}"
        )
    else:
        lines.append("Crash-free: no sessions")
    errors = result.errors
    if errors is not None:
        change = f", {errors.change_pct:+g}%" if errors.change_pct is not None else ""
        lines.append(f"Errors: {errors.current} (previous {result.period}: {errors.previous}{change})")
    counts = result.issues
    lines.append(
        f"Issues seen in {result.period}: {_known(counts.unresolved)} unresolved, {_known(counts.new)} new, "
        f"{_known(counts.regressed)} regressed, {_known(counts.escalating)} escalating"
    )
    if result.top_issues:
        lines.append("Top issues:")
        for issue in result.top_issues:
            flags = " unhandled" if issue.is_unhandled else ""
            lines.append(
                f"- {issue.short_id or issue.id} [{issue.level or '?'}{flags}, {issue.substatus or issue.status}] "
                f"{issue.count} events, {issue.user_count} users: {_title(issue.title)}"
            )
    limits = result.thresholds
    lines.append(
        f"Thresholds: critical below {limits.critical_crash_free_pct:g}% crash-free or errors "
        f"+{limits.critical_error_increase_pct:g}%; degraded below {limits.degraded_crash_free_pct:g}%, errors "
        f"+{limits.degraded_error_increase_pct:g}%, or any new or regressed issue"
    )
    return "\n".join(lines)


def _groups(groups: list[IssueGroup], names: dict[str, str]) -> str:
    shown = [
        f"{group.key} {group.events} ({group.issues} issue{'s' if group.issues != 1 else ''}"
        + (f": {', '.join(names.get(i, i) for i in group.issue_ids[:3])}" if group.issues <= 3 else "")
        + ")"
        for group in groups[:MAX_GROUPS_SHOWN]
    ]
    more = f"; {len(groups) - MAX_GROUPS_SHOWN} more" if len(groups) > MAX_GROUPS_SHOWN else ""
    return "; ".join(shown) + more if shown else "none"


def _issue_set(name: str, issue_set: IssueSet, names: dict[str, str]) -> str:
    total = issue_set.total if issue_set.total is not None else len(issue_set.issue_ids)
    listed = f" ({', '.join(names.get(i, i) for i in issue_set.issue_ids)})" if issue_set.issue_ids else ""
    return f"{total} {name}{listed}"


def _issue(issue: AnalyzedIssue) -> str:
    flags = " unhandled" if issue.is_unhandled else ""
    release = f"; first release {issue.first_release}" if issue.first_release else ""
    where = f"; at {culprit(issue.culprit)}" if issue.culprit else ""
    state = f"[{issue.level or '?'}{flags}, {issue.substatus or '?'}]"
    return (
        f"- {issue.short_id or issue.id} {state} {issue.events} events, {issue.users} users: "
        f"{_title(issue.title)}{where}{release}"
    )


def error_patterns(result: ErrorPatterns) -> str:
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
        lines.append("Nothing stands out.")
    lines.append(
        "Issues: "
        + "; ".join(
            _issue_set(name, issue_set, names)
            for name, issue_set in (
                ("new", result.new),
                ("regressed", result.regressed),
                ("escalating", result.escalating),
            )
        )
    )
    lines.append("By exception type: " + _groups(result.by_exception_type, names))
    lines.append("By module: " + _groups(result.by_module, names))
    lines.append(f"By first release ({coverage.release_lookups} looked up): " + _groups(result.by_release, names))
    lines.append("By environment: " + _groups(result.by_environment, names))
    split = result.handled
    lines.append(
        f"Handled: {split.handled_issues} issues, {split.handled_events} events; "
        f"unhandled: {split.unhandled_issues} issues, {split.unhandled_events} events"
    )
    busiest = sorted(result.issues, key=lambda issue: -issue.events)
    lines.append("Busiest issues:")
    lines += [_issue(issue) for issue in busiest[:MAX_ISSUES_SHOWN]]
    if len(busiest) > MAX_ISSUES_SHOWN:
        lines.append(f"  ... {len(busiest) - MAX_ISSUES_SHOWN} more in the structured result")
    rule = result.spike_thresholds
    lines.append(
        f"Spike rule: mean of the last {rule.window} {result.bucket} buckets >= {rule.factor:g}x the median before "
        f"and >= {rule.min_events:g} events/{result.bucket}"
    )
    lines += [f"Left out: {note}" for note in coverage.left_out]
    return "\n".join(lines)
