"""Text helpers several tools' renderers share: the clock format, issue and frame lines, user labels, and
the whole text block of a tool result.

The text is what Claude Desktop, claude.ai, ChatGPT and the Inspector show the model (and every client on an
error), so it leads with what matters (titles, counts, the crashing in-app frame, permalinks, next steps).
The result is cut to the character budget before it is rendered (operations/budget.py), so the text never
claims more than it holds. Each tool's own renderer sits beside its result model, in its operation module.
"""

from __future__ import annotations

import re
from typing import Any

from mcp_servers.framework.contracts import ErrorDetail, ModuleOutput

from .events import IN_APP, EventInfo, ExceptionInfo, UserInfo
from .issues import IssueSummary

MAX_FRAMES_SHOWN = 6
MAX_TITLE_CHARS = 90
CUT_NOTE = "[cut to the {budget:,}-character budget: {left:,} more characters not shown; narrow the call to see them]"


def tool_text(module_output: ModuleOutput, body: str | None, budget: int | None) -> str:
    """The whole text block of a tool result: body or error, then changes, warnings and next steps, within
    `budget` characters (None: uncut, to measure). Only the body is ever cut (a last resort: results are cut to
    fit before rendering), so warnings and next steps always reach the model."""
    head = error_lines(module_output.error) if module_output.error is not None else []
    tail = [f"Changed: {change.description}" for change in module_output.side_effects]
    tail += [f"Warning: {warning}" for warning in module_output.warnings]
    tail += [f"Next: {step}" for step in module_output.recommendations]
    if body and module_output.error is None:
        room = budget - len("\n".join(head + tail)) - 1 if budget is not None else len(body)
        head.append(_bounded(body, room, budget or len(body)))
    return "\n".join(head + tail)


def _bounded(text: str, room: int, budget: int) -> str:
    if len(text) <= room:
        return text
    note = CUT_NOTE.format(budget=budget, left=len(text))
    cut = text[: max(room - len(note) - 1, 0)].rsplit("\n", 1)[0]
    return f"{cut}\n{CUT_NOTE.format(budget=budget, left=len(text) - len(cut))}"


def error_lines(error: ErrorDetail) -> list[str]:
    """A failure as the model reads it in every client: code, message, the field, what a caller acts on (the
    scope to add, whether and when to retry, the projects allowed...), and the next step."""
    details: dict[str, Any] = error.details
    lines = [f"Error {error.code}: {error.message}"]
    if details.get("field"):
        lines.append(f"Field: {details['field']}")
    for key, label in _ACTIONABLE:
        value = details.get(key)
        if value not in (None, "", []):
            lines.append(f"{label}: {', '.join(map(str, value)) if isinstance(value, list) else value}")
    if details.get("may_have_applied"):
        lines.append("Retry: only after checking: the change may have been made already.")
    elif error.retryable:
        after = details.get("retry_after_s")
        lines.append(f"Retry: yes, after {after:g} s." if isinstance(after, int | float) else "Retry: yes, later.")
    else:
        lines.append("Retry: no, not until the cause is fixed.")
    lines.append(f"Next step: {error.recovery_suggestion}")
    return lines


_ACTIONABLE = (
    ("required_scope", "Required scope"),
    ("allowed_projects", "Allowed projects"),
    ("project", "Project"),
    ("available", "Available"),
    ("candidates", "Candidates"),
    ("variable", "Variable"),
    ("organizations", "Organizations"),
    ("rejected_parameters", "Rejected parameters"),
    ("capability", "Missing on this server"),
    ("status_code", "Sentry answered"),
)
_CLOCK = re.compile(r"(T\d\d:\d\d)(:\d\d)(\.\d+)?")


def when(timestamp: str | None, *, minutes: bool = False) -> str:
    """A timestamp to the second (`2026-11-30T10:04:05Z`), or the minute."""
    if not timestamp:
        return "?"
    return _CLOCK.sub(r"\1" if minutes else r"\1\2", timestamp)


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
        f"  {issue.count} events, {known(issue.user_count)} users, seen {when(issue.first_seen, minutes=minutes)} to "
        f"{when(issue.last_seen, minutes=minutes)}"
        + (f", at {issue.culprit}" if issue.culprit else "")
        + (f"; assigned {issue.assignee}" if issue.assignee else "")
        + (f"\n  {issue.permalink}" if link and issue.permalink else "")
    )


def exception_lines(exc: ExceptionInfo, label: str, title: str | None = None) -> list[str]:
    """The exception's head line (`title` stands for a type and value left out), frames and crash source."""
    handled = {True: "handled", False: "unhandled", None: ""}[exc.handled]
    where = f" in thread {exc.thread}" if exc.thread else ""
    said = f"{exc.type or 'Error'}: {exc.value or ''}".rstrip() if exc.type or exc.value else title or "Error"
    head = f"{label}: {said}"
    lines = [head + (f" ({handled})" if handled else "") + where]
    frames = exc.frames
    in_app = [frame for frame in frames if frame.endswith(IN_APP)]
    shown = in_app[-MAX_FRAMES_SHOWN:] or frames[-MAX_FRAMES_SHOWN:]
    if frames and frames[-1] not in shown:
        shown = [*shown[-(MAX_FRAMES_SHOWN - 1) :], frames[-1]]
    crash = in_app[-1] if in_app else None
    for frame in shown:
        mark = "" if frame.endswith(IN_APP) else " (library)"
        lines.append(f"  at {frame.removesuffix(IN_APP)}{mark}")
        if frame == crash and exc.crash_source:
            lines.append(f"     {exc.crash_source}")
    hidden = len(frames) - len(shown) + exc.frames_omitted
    if hidden:
        lines.append(f"  ... {hidden} more frames not shown")
    return lines


def message_line(message: str, level: str | None = None, logger: str | None = None) -> str:
    """`Message [error] shop.payments: text`, the level and logger where known."""
    return "Message" + (f" [{level}]" if level else "") + (f" {logger}" if logger else "") + f": {message}"


def event_lines(event: EventInfo, label: str, title: str | None = None) -> list[str]:
    """One event as get-issue-details and get-event show it: context, message, exception chain, last breadcrumbs.
    `title` is the issue's, for a raised exception whose type and value were left out as the title's."""
    context = [
        f"env {event.environment}" if event.environment else "",
        f"release {event.release}" if event.release else "",
        f"user {user_label(event.user)}" if event.user else "",
        event.request or "",
    ]
    lines = [f"{label} {event.event_id} at {when(event.timestamp)}: " + "; ".join(p for p in context if p)]
    if event.message:
        lines.append(message_line(event.message, event.level, event.logger))
    for index, exc in enumerate(event.exceptions):
        lines.extend(exception_lines(exc, "Raised" if index == 0 else "Caused by", title if index == 0 else None))
    if event.breadcrumbs:
        lines.append(f"Breadcrumbs (last {min(len(event.breadcrumbs), 5)}):")
        lines.extend(f"  {crumb}" for crumb in event.breadcrumbs[-5:])
    return lines
