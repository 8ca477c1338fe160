"""Compact text for the model, one renderer per result type.

The structured result carries everything; the text is what a model reads first, so it leads with
what matters (titles, counts, the crashing in-app frame, permalinks, next steps), stays under
`MAX_TEXT_CHARS`, and says when it was cut.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from mcp_servers.framework.contracts import ModuleOutput

from .results import user_label

if TYPE_CHECKING:
    from .operations._issue_list import IssueList
    from .operations._status_change import ChangedIssue
    from .operations.get_error_events import ErrorEvents
    from .operations.get_event import EventDetail
    from .operations.get_issue_details import EventInfo, IssueDetails
    from .operations.get_project_stats import ProjectStats
    from .operations.list_projects import Projects
    from .results import ExceptionInfo, IssueSummary

MAX_TEXT_CHARS = 6000
MAX_FRAMES_SHOWN = 6


def output(module_output: ModuleOutput, body: str | None) -> str:
    """The whole text block of a tool result: body or error, then changes, warnings and next steps.

    Only the body is ever cut, so warnings and next steps always reach the model.
    """
    head: list[str] = []
    error = module_output.error
    if error is not None:
        head.append(f"Error {error.code}: {error.message}")
        if error.details.get("field"):
            head.append(f"Field: {error.details['field']}")
        head.append(f"Next step: {error.recovery_suggestion}")
    tail = [f"Changed: {change.description}" for change in module_output.side_effects]
    tail += [f"Warning: {warning}" for warning in module_output.warnings]
    tail += [f"Next: {step}" for step in module_output.recommendations]
    tail_text = "\n".join(tail)
    if body and error is None:
        head.append(_bounded(body, MAX_TEXT_CHARS - len(tail_text)))
    return "\n".join(head + tail)


def _bounded(text: str, limit: int) -> str:
    limit = max(limit, 1000)
    if len(text) <= limit:
        return text
    cut = text[:limit].rsplit("\n", 1)[0]
    return f"{cut}\n[truncated: {len(text) - len(cut)} more characters; the structured result has everything]"


_CLOCK = re.compile(r"(T\d\d:\d\d)(:\d\d)(\.\d+)?")


def when(timestamp: str | None, *, minutes: bool = False) -> str:
    """A timestamp to the second (`2026-11-30T10:04:05Z`), or the minute: Sentry's microseconds help no triage."""
    if not timestamp:
        return "?"
    return _CLOCK.sub(r"\1" if minutes else r"\1\2", timestamp)


_PYTHON_CULPRIT = re.compile(r"^(?:[\w]+\.)+([\w]+) in (.+)$")


def culprit(text: str) -> str:
    """`pkg.sub.module in func` -> `module in func`; other culprits (paths, URLs) as they are."""
    return _PYTHON_CULPRIT.sub(r"\1 in \2", text)


def _issue_line(
    issue: IssueSummary, *, link: bool, status: bool = True, numeric_id: bool = False, minutes: bool = False
) -> str:
    flags = " unhandled" if issue.is_unhandled else ""
    state = (issue.status or "?") if status else ""
    if issue.substatus:
        state += f"/{issue.substatus}" if state else issue.substatus
    ident = f"{issue.short_id} (#{issue.id})" if numeric_id and issue.short_id else issue.short_id or issue.id
    return (
        f"- {ident} [{issue.level or '?'}{flags}{', ' + state if state else ''}] {issue.title}\n"
        f"  {issue.count} events, {issue.user_count} users; last seen {when(issue.last_seen, minutes=minutes)}, "
        f"first seen {when(issue.first_seen, minutes=minutes)}"
        + (f"; at {culprit(issue.culprit)}" if issue.culprit else "")
        + (f"; assigned {issue.assignee}" if issue.assignee else "")
        + (f"\n  {issue.permalink}" if link and issue.permalink else "")
    )


def _permalink_pattern(issues: list[IssueSummary]) -> str | None:
    """`https://host/.../issues/<id>/` when every permalink is that pattern with the issue's id, else None."""
    first = issues[0]
    before, found, after = (first.permalink or "").rpartition(f"/{first.id}/")
    if not found:
        return None
    pattern = f"{before}/<id>/{after}"
    return pattern if all(i.permalink == pattern.replace("<id>", i.id) for i in issues) else None


def recent_issues(result: IssueList) -> str:
    """One issue a line pair. A status all issues share goes in the head; a link pattern all share, at the end."""
    if not result.issues:
        return "No issues match."
    total = f" of {result.total_hits}" if result.total_hits is not None else ""
    statuses = {issue.status for issue in result.issues}
    shared = statuses.pop() if len(statuses) == 1 else None
    head = f"{len(result.issues)}{total} {shared + ' ' if shared else ''}issues:"
    pattern = _permalink_pattern(result.issues) if len(result.issues) > 1 else None
    lines = [
        _issue_line(issue, link=pattern is None, status=shared is None, numeric_id=pattern is not None, minutes=True)
        for issue in result.issues
    ]
    links = f"\nLinks: {pattern} (<id>: the number after #)" if pattern else ""
    more = f"\nMore: cursor={result.next_cursor}" if result.next_cursor else ""
    return head + "\n" + "\n".join(lines) + links + more


def _exception_block(exc: ExceptionInfo, label: str) -> list[str]:
    handled = {True: "handled", False: "unhandled", None: ""}[exc.handled]
    where = f" in thread {exc.thread}" if exc.thread else ""
    lines = [
        f"{label}: {exc.type or 'Error'}: {exc.value or ''}".rstrip() + (f" ({handled})" if handled else "") + where
    ]
    frames = exc.frames
    shown = [f for f in frames if f.in_app][-MAX_FRAMES_SHOWN:] or frames[-MAX_FRAMES_SHOWN:]
    if frames and frames[-1] not in shown:
        shown = [*shown[-(MAX_FRAMES_SHOWN - 1) :], frames[-1]]
    hidden = len(frames) - len(shown) + exc.frames_omitted
    for frame in shown:
        mark = "" if frame.in_app else " (library)"
        lines.append(f"  at {frame.function or '?'} ({frame.filename or '?'}:{frame.line or '?'}){mark}")
        if frame.source:
            lines.append(f"     {frame.source}")
    if hidden:
        lines.append(f"  ... {hidden} more frames in the structured result")
    return lines


def issue_details(result: IssueDetails) -> str:
    issue = result.issue
    lines = [_issue_line(issue, link=True)]
    counts = [
        f"24h: {issue.count_24h}" if issue.count_24h is not None else "",
        f"30d: {issue.count_30d}" if issue.count_30d is not None else "",
        f"releases {issue.first_release} -> {issue.last_release}" if issue.first_release else "",
    ]
    if any(counts):
        lines.append("  " + "; ".join(part for part in counts if part))
    if issue.top_tags:
        lines.append("  tags: " + ", ".join(f"{tag.key} ({tag.total_values})" for tag in issue.top_tags[:6]))
    if result.latest_event is not None:
        lines.extend(_event_lines(result.latest_event, "Latest event"))
    return "\n".join(lines)


def event_detail(result: EventDetail) -> str:
    return "\n".join(_event_lines(result.event, f"Event of {result.issue_id}"))


def _event_lines(event: EventInfo, label: str) -> list[str]:
    """One event as get-issue-details and get-event show it: context, exception chain, last breadcrumbs."""
    context = [
        f"env {event.environment}" if event.environment else "",
        f"release {event.release}" if event.release else "",
        f"user {user_label(event.user)}" if event.user else "",
        f"{event.request.method or ''} {event.request.url or ''}".strip() if event.request else "",
    ]
    lines = [f"{label} {event.event_id} at {when(event.timestamp)}: " + "; ".join(p for p in context if p)]
    for index, exc in enumerate(event.exceptions):
        lines.extend(_exception_block(exc, "Raised" if index == 0 else "Caused by"))
    if event.breadcrumbs:
        lines.append(f"Breadcrumbs (last {min(len(event.breadcrumbs), 5)}):")
        lines.extend(
            f"  {when(crumb.timestamp)} {crumb.category or ''}: {crumb.message or ''}".rstrip()
            for crumb in event.breadcrumbs[-5:]
        )
    return lines


def error_events(result: ErrorEvents) -> str:
    if not result.events:
        return "No events."
    lines = [f"{len(result.events)} events, newest first:"]
    for event in result.events:
        user = user_label(event.user)
        facts = ", ".join(
            part for part in (event.environment, event.release, user and f"user {user}", event.location) if part
        )
        lines.append(f"- {when(event.timestamp)} {event.event_id}: {event.title}" + (f" ({facts})" if facts else ""))
    if result.next_cursor:
        lines.append(f"More: cursor={result.next_cursor}")
    return "\n".join(lines)


_CONDITIONS = {
    "ignoreUntil": "until {}",
    "ignoreCount": "until {} more events",
    "ignoreWindow": "within {} minutes",
    "ignoreUserCount": "until {} more users",
    "ignoreUserWindow": "within {} minutes",
    "inNextRelease": "in the next release",
}


def changed_issue(result: ChangedIssue) -> str:
    issue = result.issue
    state = (issue.status or "?") + (f"/{issue.substatus}" if issue.substatus else "")
    conditions = [
        template.format(issue.status_details[key])
        for key, template in _CONDITIONS.items()
        if issue.status_details.get(key)
    ]
    return f"{issue.short_id or issue.id} is {'now' if result.changed else 'already'} {state}" + (
        f" ({', '.join(conditions)})" if conditions else ""
    )


def projects(result: Projects) -> str:
    if not result.projects:
        return f"No project matches (of {result.total})."
    lines = [f"{len(result.projects)} of {result.total} projects (slug: name, platform, latest release):"]
    for project in result.projects:
        facts = ", ".join(
            part
            for part in (
                project.platform,
                project.latest_release and f"release {project.latest_release}",
                "sessions" if project.has_sessions else "",
            )
            if part
        )
        lines.append(f"- {project.slug}: {project.name or project.slug}" + (f" ({facts})" if facts else ""))
    return "\n".join(lines)


def project_stats(result: ProjectStats) -> str:
    totals = ", ".join(f"{name} {count}" for name, count in result.totals.items())
    lines = [f"Errors in the last {result.period} ({result.interval} buckets): {totals}"]
    if result.peak:
        lines.append(f"Peak: {result.peak.accepted} at {result.peak.start}")
    trend = result.trend
    change = f"{trend.change_pct:+g}%" if trend.change_pct is not None else "n/a"
    lines.append(f"Trend: first half {trend.first_half}, second half {trend.second_half} ({change})")
    sparkline = " ".join(str(point.accepted) for point in result.series)
    lines.append(f"Accepted per {result.interval}, oldest first: {sparkline}")
    return "\n".join(lines)
