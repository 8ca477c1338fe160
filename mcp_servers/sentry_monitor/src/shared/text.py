"""Text helpers several tools' renderers share: the clock format, issue and frame lines, user labels, and
the whole text block of a tool result, cut to a budget.

The structured result carries everything; the text is what a model reads first, so it leads with what
matters (titles, counts, the crashing in-app frame, permalinks, next steps), stays under `MAX_TEXT_CHARS`,
and says when it was cut. Each tool's own renderer sits beside its result model, in its operation module.
"""

from __future__ import annotations

import re

from mcp_servers.framework.contracts import ModuleOutput

from .results import EventInfo, ExceptionInfo, IssueSummary, UserInfo

MAX_TEXT_CHARS = 6000

MAX_FRAMES_SHOWN = 6

MAX_TITLE_CHARS = 90


def tool_text(module_output: ModuleOutput, body: str | None) -> str:
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
        head.append(bounded(body, MAX_TEXT_CHARS - len(tail_text)))
    return "\n".join(head + tail)


def bounded(text: str, limit: int) -> str:
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


def short_title(title: str) -> str:
    return title if len(title) <= MAX_TITLE_CHARS else title[: MAX_TITLE_CHARS - 1] + "…"


def pct(value: float | None) -> str:
    return f"{value:g}%" if value is not None else "n/a"


def known(count: int | None) -> str:
    return "?" if count is None else str(count)


def user_label(user: UserInfo | None) -> str | None:
    if user is None:
        return None
    return user.email or user.username or (f"id:{user.id}" if user.id else None) or user.ip_address


def issue_line(
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


def permalink_pattern(issues: list[IssueSummary]) -> str | None:
    """`https://host/.../issues/<id>/` when every permalink is that pattern with the issue's id, else None."""
    first = issues[0]
    before, found, after = (first.permalink or "").rpartition(f"/{first.id}/")
    if not found:
        return None
    pattern = f"{before}/<id>/{after}"
    return pattern if all(i.permalink == pattern.replace("<id>", i.id) for i in issues) else None


def exception_lines(exc: ExceptionInfo, label: str) -> list[str]:
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


def event_lines(event: EventInfo, label: str) -> list[str]:
    """One event as get-issue-details and get-event show it: context, exception chain, last breadcrumbs."""
    context = [
        f"env {event.environment}" if event.environment else "",
        f"release {event.release}" if event.release else "",
        f"user {user_label(event.user)}" if event.user else "",
        f"{event.request.method or ''} {event.request.url or ''}".strip() if event.request else "",
    ]
    lines = [f"{label} {event.event_id} at {when(event.timestamp)}: " + "; ".join(p for p in context if p)]
    for index, exc in enumerate(event.exceptions):
        lines.extend(exception_lines(exc, "Raised" if index == 0 else "Caused by"))
    if event.breadcrumbs:
        lines.append(f"Breadcrumbs (last {min(len(event.breadcrumbs), 5)}):")
        lines.extend(
            f"  {when(crumb.timestamp)} {crumb.category or ''}: {crumb.message or ''}".rstrip()
            for crumb in event.breadcrumbs[-5:]
        )
    return lines
