"""An event as get-issue-details (its latest) and get-event (any) show it, made from Sentry's event object:
its message (a `capture_message` or a logged error), the exception chain with compact frames, breadcrumbs,
request, user, release, environment and contexts."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from pydantic import Field

from ..sentry import models
from ..sentry.responses import ApiResponse
from .results import Result, Timestamp, text, to_seconds

MAX_FRAMES_PER_EXCEPTION = 20
MAX_BREADCRUMBS = 10
MAX_SOURCE_CHARS = 200
IN_APP = " [in app]"
"""How a frame of the application's own code ends (library frames carry no mark)."""
QUIET_LEVELS = ("info", "debug", "")


class UserInfo(Result):
    id: str | None = None
    email: str | None = None
    username: str | None = None
    ip_address: str | None = None


def user_info(user: dict[str, Any] | None) -> UserInfo | None:
    if not user:
        return None
    info = UserInfo(**{key: text(user.get(key)) for key in ("id", "email", "username", "ip_address")})
    return info if info.model_dump() else None


class ExceptionInfo(Result):
    type: str | None = None
    value: str | None = None
    handled: bool | None = Field(default=None, description="False when the exception crashed the program.")
    thread: str | None = Field(default=None, description="Set when the stack came from a thread, not an exception.")
    frames: list[str] = Field(
        default_factory=list,
        description=f"`function (file:line)`, oldest call first, the crashing frame last; in-app frames end with "
        f"'{IN_APP.strip()}'.",
    )
    crash_source: str | None = Field(default=None, description="The source line of the crashing in-app frame.")
    frames_omitted: int = Field(default=0, description="Library frames cut to keep the result small.")


def crashing_frame(exception: ExceptionInfo) -> str | None:
    """The innermost in-app frame (else the last frame), as its `function (file:line)` string."""
    frames = exception.frames
    frame = next((f for f in reversed(frames) if f.endswith(IN_APP)), frames[-1] if frames else None)
    return frame.removesuffix(IN_APP) if frame else None


def exceptions_of(event: models.Event) -> tuple[list[ExceptionInfo], list[str]]:
    """The event's exceptions from the raised one back to its causes, with capped frames, and warnings.

    Sentry lists chained exceptions cause first; we return the raised (last) one first. An event with
    no exception entry but a stack in `threads` or `stacktrace` gets that stack as one entry.
    """
    infos: list[ExceptionInfo] = []
    exception = event.entry("exception")
    if exception is not None:
        for value in reversed([v for v in exception.get("values") or [] if isinstance(v, dict)]):
            mechanism = value.get("mechanism") if isinstance(value.get("mechanism"), dict) else {}
            handled = mechanism.get("handled") if mechanism else None
            infos.append(
                _exception(
                    value.get("stacktrace"),
                    type=text(value.get("type")),
                    value=text(value.get("value")),
                    handled=handled if isinstance(handled, bool) else None,
                )
            )
    else:
        thread = _crashed_thread(event.entry("threads"))
        stacktrace = event.entry("stacktrace")
        if thread is not None or stacktrace is not None:
            infos.append(
                _exception(
                    thread.get("stacktrace") if thread else stacktrace,
                    type=text(event.metadata.get("type")) or event.title or None,
                    value=text(event.metadata.get("value")),
                    thread=text(thread.get("name") or thread.get("id")) if thread else None,
                )
            )
    warnings = [
        f"{info.type or 'stack'}: {info.frames_omitted} library frames cut; the crashing frame and in-app frames "
        "are kept."
        for info in infos
        if info.frames_omitted
    ]
    return infos, warnings


def _exception(stacktrace: Any, **facts: Any) -> ExceptionInfo:
    raw = [f for f in stacktrace.get("frames") or [] if isinstance(f, dict)] if isinstance(stacktrace, dict) else []
    in_app = [bool(frame.get("inApp", frame.get("in_app"))) for frame in raw]
    keep = set(range(len(raw)))
    if len(raw) > MAX_FRAMES_PER_EXCEPTION:  # the crashing frame and the in-app frames, innermost first
        keep = {len(raw) - 1} | {i for i, app in enumerate(in_app) if app}
        keep = set(sorted(keep)[-MAX_FRAMES_PER_EXCEPTION:])
    crash = next((i for i in reversed(range(len(raw))) if in_app[i]), None)
    return ExceptionInfo(
        **facts,
        frames=[_frame(raw[i]) + (IN_APP if in_app[i] else "") for i in sorted(keep)],
        crash_source=_source(raw[crash]) if crash is not None else None,
        frames_omitted=len(raw) - len(keep),
    )


def _frame(raw: dict[str, Any]) -> str:
    line = raw.get("lineNo", raw.get("lineno"))
    where = text(raw.get("filename") or raw.get("absPath") or raw.get("abs_path") or raw.get("module")) or "?"
    return f"{text(raw.get('function')) or '?'} ({where}" + (f":{line})" if isinstance(line, int) else ")")


def _source(raw: dict[str, Any]) -> str | None:
    line = raw.get("lineNo", raw.get("lineno"))
    for pair in raw.get("context") or []:
        if isinstance(pair, list | tuple) and len(pair) == 2 and pair[0] == line and isinstance(pair[1], str):
            return text(pair[1].strip(), MAX_SOURCE_CHARS)
    context_line = raw.get("context_line")
    return text(context_line.strip(), MAX_SOURCE_CHARS) if isinstance(context_line, str) else None


def _crashed_thread(threads: dict[str, Any] | None) -> dict[str, Any] | None:
    candidates = [t for t in (threads or {}).get("values") or [] if isinstance(t, dict) and t.get("stacktrace")]
    for key in ("crashed", "current"):
        for thread in candidates:
            if thread.get(key):
                return thread
    return candidates[0] if candidates else None


def log_message(event: models.Event) -> str | None:
    """The event's message, bounded: the `message` entry's text (formatted, else its template), else the
    top-level `message` or `logentry` (GlitchTip, older servers). None when it has none."""
    entry = event.entry("message") or {}
    for value in (entry.get("formatted"), entry.get("message"), event.message, event.logentry.get("formatted")):
        if isinstance(value, str) and value.strip():
            return text(value)
    return None


def says_more(message: str | None, event: models.Event, exceptions: list[ExceptionInfo]) -> str | None:
    """`message` where it adds to what the event already says: always for a message event (no exception); for
    an exception event, only when it is not the title nor an exception's type or value (a log line above a
    logged exception is kept, a server's copy of the exception's text is not)."""
    if message is None or event.entry("exception") is None:
        return message
    said = {event.title} | {
        part for exc in exceptions for part in (exc.type, exc.value, f"{exc.type}: {exc.value}") if part
    }
    return None if message in said else message


class EventInfo(Result):
    event_id: str
    timestamp: Timestamp | None = None
    message: str | None = Field(
        default=None,
        description="The logged or captured message; on an exception event only when the exception does not say it.",
    )
    logger: str | None = Field(default=None, description="The logger that wrote the message.")
    level: str | None = Field(default=None, description="The message's level.")
    exceptions: list[ExceptionInfo] = Field(
        default_factory=list,
        description="The raised exception first, then its causes. In get-issue-details, the raised one's type and "
        "value are left out when they make up the issue's title.",
    )
    breadcrumbs: list[str] = Field(
        default_factory=list,
        description="The last breadcrumbs before the error, oldest first: `HH:MM:SS category: message` (the date "
        "too when not the event's), `[level]` when above info.",
    )
    request: str | None = Field(default=None, description="`METHOD url`.")
    user: UserInfo | None = None
    release: str | None = None
    environment: str | None = None
    contexts: dict[str, str] = Field(default_factory=dict, description="Runtime, OS, browser...: `name version`.")


def event_info(response: ApiResponse, what: str = "the latest event") -> tuple[EventInfo, list[str]]:
    """One event as get-issue-details (its latest) and get-event (any) show it, and what was cut of it."""
    event = models.Event.model_validate(response.json_object(what))
    exceptions, warnings = exceptions_of(event)
    crumbs = [c for c in (event.entry("breadcrumbs") or {}).get("values") or [] if isinstance(c, dict)]
    if len(crumbs) > MAX_BREADCRUMBS:
        warnings.append(f"Only the last {MAX_BREADCRUMBS} of {len(crumbs)} breadcrumbs are shown.")
    request = event.entry("request") or {}
    day = (to_seconds(event.date_created) or "")[:10]
    message = says_more(log_message(event), event, exceptions)
    info = EventInfo(
        event_id=event.key,
        timestamp=event.date_created,
        message=message,
        logger=text(event.logger or event.tag("logger"), 200) if message else None,
        level=text(event.tag("level") or event.level, 20) if message else None,
        exceptions=exceptions,
        breadcrumbs=[_breadcrumb(crumb, day) for crumb in crumbs[-MAX_BREADCRUMBS:]],
        request=text(" ".join(str(request[key]) for key in ("method", "url") if request.get(key))),
        user=user_info(event.user),
        release=event.release.version if event.release else event.tag("release"),
        environment=event.tag("environment"),
        contexts=_contexts(event.contexts),
    )
    return info, warnings


def _breadcrumb(crumb: dict[str, Any], day: str) -> str:
    message = crumb.get("message")
    data = crumb.get("data")
    if not message and isinstance(data, dict):
        message = " ".join(str(data[key]) for key in ("method", "url", "status_code") if data.get(key) is not None)
    stamp = crumb.get("timestamp")
    if isinstance(stamp, int | float):  # an epoch, as the SDK sends it, where the API sends ISO 8601
        stamp = datetime.fromtimestamp(stamp, UTC).isoformat()
    when = to_seconds(stamp) if isinstance(stamp, str) else None
    clock = (when[11:19] if when[:10] == day else when.replace("T", " ")[:19]) if when and len(when) >= 19 else ""
    level = str(crumb.get("level") or "")
    head = " ".join(part for part in (clock, str(crumb.get("category") or "")) if part)
    mark = f" [{level}]" if level not in QUIET_LEVELS else ""
    return (f"{head}{mark}: " if head or mark else "") + (text(message, 300) or "")


def _contexts(contexts: dict[str, Any]) -> dict[str, str]:
    """Each context as `name version` (runtime, os, browser, device...), never large or nested payloads."""
    kept: dict[str, str] = {}
    for name, values in contexts.items():
        if not isinstance(values, dict) or name == "trace":
            continue
        facts = [str(values[key]) for key in ("name", "version") if isinstance(values.get(key), str | int | float)]
        if not facts:
            facts = [
                f"{key}={value}"
                for key, value in values.items()
                if isinstance(value, str | int | float | bool) and key != "type"
            ][:3]
        if facts:
            kept[name] = text(" ".join(facts), 120) or ""
    return kept
