"""Result shapes shared by several operations, and how they are made from Sentry objects.

Results are snake_case, small and flat: what an on-call engineer or an agent needs to decide the next
step, never Sentry's whole payload.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from ..sentry import models
from ..sentry.responses import ApiResponse

MAX_FRAMES_PER_EXCEPTION = 20
MAX_BREADCRUMBS = 10
MAX_CONTEXT_VALUES = 6
MAX_SOURCE_CHARS = 200
MAX_TEXT_CHARS = 500


class Result(BaseModel):
    """Base of every result model: a field it does not declare is refused."""

    model_config = ConfigDict(extra="forbid")


class IssueSummary(Result):
    id: str = Field(description="Numeric issue id.")
    short_id: str | None = Field(description="Readable id such as BACKEND-1A.")
    title: str
    culprit: str | None
    level: str | None
    status: str | None = Field(description="unresolved, resolved or ignored.")
    substatus: str | None = Field(description="new, ongoing, regressed, escalating, archived_* ... when known.")
    count: int = Field(description="Events in the issue's lifetime.")
    user_count: int = Field(description="Distinct users affected.")
    first_seen: str | None
    last_seen: str | None
    is_unhandled: bool | None = Field(description="True when at least one event crashed (not caught).")
    error_type: str | None
    error_value: str | None
    assignee: str | None
    permalink: str | None


def issue_summary(issue: models.Issue) -> IssueSummary:
    return IssueSummary(
        id=issue.id,
        short_id=issue.short_id,
        title=issue.title,
        culprit=issue.culprit or None,
        level=issue.level,
        status=issue.status,
        substatus=issue.substatus,
        count=issue.count,
        user_count=issue.user_count,
        first_seen=issue.first_seen,
        last_seen=issue.last_seen,
        is_unhandled=issue.is_unhandled,
        error_type=text(issue.metadata.get("type")),
        error_value=text(issue.metadata.get("value")),
        assignee=_assignee(issue.assigned_to),
        permalink=issue.permalink,
    )


class UserInfo(Result):
    id: str | None = None
    email: str | None = None
    username: str | None = None
    ip_address: str | None = None


def user_info(user: dict[str, Any] | None) -> UserInfo | None:
    if not user:
        return None
    info = UserInfo(**{key: text(user.get(key)) for key in ("id", "email", "username", "ip_address")})
    return info if any(info.model_dump().values()) else None


# -- stack traces ---------------------------------------------------------------------------------


class Frame(Result):
    filename: str | None
    function: str | None
    line: int | None
    source: str | None = Field(description="The source line at `line`, when Sentry has it.")
    in_app: bool


class ExceptionInfo(Result):
    type: str | None
    value: str | None
    handled: bool | None = Field(description="False when the exception crashed the program (unhandled).")
    thread: str | None = Field(default=None, description="Set when the stack came from a thread, not an exception.")
    frames: list[Frame] = Field(description="Oldest call first; the crashing frame is last.")
    frames_omitted: int = Field(default=0, description="System frames cut to keep the result small.")


def exceptions_of(event: models.Event) -> tuple[list[ExceptionInfo], list[str]]:
    """The event's exceptions from the raised one back to its causes, with capped frames, and warnings.

    Sentry lists chained exceptions cause first; we return the raised (last) one first. An event with
    no exception entry but a stack in `threads` or `stacktrace` gets that stack as one entry.
    """
    warnings: list[str] = []
    infos: list[ExceptionInfo] = []
    exception = event.entry("exception")
    if exception is not None:
        for value in reversed([v for v in exception.get("values") or [] if isinstance(v, dict)]):
            mechanism = value.get("mechanism") if isinstance(value.get("mechanism"), dict) else {}
            handled = mechanism.get("handled") if mechanism else None
            frames, omitted = _frames(value.get("stacktrace"))
            infos.append(
                ExceptionInfo(
                    type=text(value.get("type")),
                    value=text(value.get("value")),
                    handled=handled if isinstance(handled, bool) else None,
                    frames=frames,
                    frames_omitted=omitted,
                )
            )
    else:
        thread = _crashed_thread(event.entry("threads"))
        stacktrace = event.entry("stacktrace")
        if thread is not None or stacktrace is not None:
            frames, omitted = _frames(thread.get("stacktrace") if thread else stacktrace)
            infos.append(
                ExceptionInfo(
                    type=text(event.metadata.get("type")) or event.title or None,
                    value=text(event.metadata.get("value")),
                    handled=None,
                    thread=text(thread.get("name") or thread.get("id")) if thread else None,
                    frames=frames,
                    frames_omitted=omitted,
                )
            )
    for info in infos:
        if info.frames_omitted:
            warnings.append(
                f"{info.type or 'stack'}: {info.frames_omitted} system frames cut; the crashing frame and "
                "in-app frames are kept."
            )
    return infos, warnings


def crashing_in_app_frame(exceptions: list[ExceptionInfo]) -> Frame | None:
    """The innermost in-app frame of the raised exception (else its last frame)."""
    if not exceptions or not exceptions[0].frames:
        return None
    frames = exceptions[0].frames
    return next((frame for frame in reversed(frames) if frame.in_app), frames[-1])


def _crashed_thread(threads: dict[str, Any] | None) -> dict[str, Any] | None:
    candidates = [t for t in (threads or {}).get("values") or [] if isinstance(t, dict) and t.get("stacktrace")]
    for key in ("crashed", "current"):
        for thread in candidates:
            if thread.get(key):
                return thread
    return candidates[0] if candidates else None


def _frames(stacktrace: Any) -> tuple[list[Frame], int]:
    raw = (
        [f for f in (stacktrace or {}).get("frames") or [] if isinstance(f, dict)]
        if isinstance(stacktrace, dict)
        else []
    )
    frames = [_frame(f) for f in raw]
    if len(frames) <= MAX_FRAMES_PER_EXCEPTION:
        return frames, 0
    keep = {len(frames) - 1} | {i for i, frame in enumerate(frames) if frame.in_app}
    if len(keep) > MAX_FRAMES_PER_EXCEPTION:  # too many in-app frames: keep the innermost ones
        keep = set(sorted(keep)[-MAX_FRAMES_PER_EXCEPTION:])
    kept = [frame for i, frame in enumerate(frames) if i in keep]
    return kept, len(frames) - len(kept)


def _frame(raw: dict[str, Any]) -> Frame:
    line = raw.get("lineNo", raw.get("lineno"))
    line = line if isinstance(line, int) else None
    source = None
    for pair in raw.get("context") or []:
        if isinstance(pair, list | tuple) and len(pair) == 2 and pair[0] == line:
            source = text(pair[1], MAX_SOURCE_CHARS)
    if source is None and isinstance(raw.get("context_line"), str):
        source = text(raw["context_line"], MAX_SOURCE_CHARS)
    in_app = raw.get("inApp", raw.get("in_app"))
    return Frame(
        filename=text(raw.get("filename") or raw.get("absPath") or raw.get("abs_path") or raw.get("module")),
        function=text(raw.get("function")),
        line=line,
        source=source.strip() if source else None,
        in_app=bool(in_app),
    )


# -- small helpers --------------------------------------------------------------------------------


def text(value: Any, limit: int = MAX_TEXT_CHARS) -> str | None:
    """A value as bounded text (None stays None)."""
    if value is None:
        return None
    text = str(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _assignee(assigned_to: dict[str, Any] | None) -> str | None:
    if not assigned_to:
        return None
    name = assigned_to.get("email") or assigned_to.get("name") or assigned_to.get("id")
    kind = assigned_to.get("type")
    return f"team:{name}" if kind == "team" and name else text(name)


def change_pct(current: int, previous: int) -> float | None:
    """Percent change from `previous` to `current`, to one decimal; None when `previous` is 0."""
    return round((current - previous) / previous * 100, 1) if previous else None


# -- events ---------------------------------------------------------------------------------------


class Breadcrumb(Result):
    timestamp: str | None
    category: str | None
    level: str | None
    message: str | None


class RequestInfo(Result):
    url: str | None
    method: str | None


class EventInfo(Result):
    event_id: str
    timestamp: str | None
    exceptions: list[ExceptionInfo] = Field(description="The raised exception first, then its causes.")
    breadcrumbs: list[Breadcrumb] = Field(description="The last breadcrumbs before the error, oldest first.")
    request: RequestInfo | None
    user: UserInfo | None
    release: str | None
    environment: str | None
    contexts: dict[str, dict[str, str]] = Field(description="Runtime, OS, browser... as name/version pairs.")


def event_info(response: ApiResponse, what: str = "the latest event") -> tuple[EventInfo, list[str]]:
    """One event as get-issue-details (its latest) and get-event (any) show it, and what was cut of it."""
    event = models.Event.model_validate(response.json_object(what))
    exceptions, warnings = exceptions_of(event)
    crumbs = [c for c in (event.entry("breadcrumbs") or {}).get("values") or [] if isinstance(c, dict)]
    if len(crumbs) > MAX_BREADCRUMBS:
        warnings.append(f"Only the last {MAX_BREADCRUMBS} of {len(crumbs)} breadcrumbs are shown.")
    request = event.entry("request")
    info = EventInfo(
        event_id=event.key,
        timestamp=event.date_created,
        exceptions=exceptions,
        breadcrumbs=[_breadcrumb(crumb) for crumb in crumbs[-MAX_BREADCRUMBS:]],
        request=RequestInfo(url=text(request.get("url")), method=text(request.get("method"))) if request else None,
        user=user_info(event.user),
        release=event.release.version if event.release else event.tag("release"),
        environment=event.tag("environment"),
        contexts=_contexts(event.contexts),
    )
    return info, warnings


def _breadcrumb(crumb: dict[str, Any]) -> Breadcrumb:
    message = crumb.get("message")
    data = crumb.get("data")
    if not message and isinstance(data, dict):
        message = " ".join(str(data[key]) for key in ("method", "url", "status_code") if data.get(key) is not None)
    return Breadcrumb(
        timestamp=text(crumb.get("timestamp")),
        category=text(crumb.get("category")),
        level=text(crumb.get("level")),
        message=text(message, 300) or None,
    )


def _contexts(contexts: dict[str, Any]) -> dict[str, dict[str, str]]:
    """Keep each context's short scalar facts (name, version, ...), never large or nested payloads."""
    kept: dict[str, dict[str, str]] = {}
    for name, values in contexts.items():
        if not isinstance(values, dict) or name == "trace":
            continue
        facts = {
            key: str(value)[:120]
            for key, value in values.items()
            if isinstance(value, str | int | float | bool) and key != "type"
        }
        if facts:
            kept[name] = dict(list(facts.items())[:MAX_CONTEXT_VALUES])
    return kept
