"""What Sentry derives from an ingested event: grouping fingerprint, title, culprit, metadata, tags.

All functions take the ingest payload (snake_case, as sentry-sdk sends it).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

TITLE_MAX = 200
LEVELS = ("sample", "debug", "info", "warning", "error", "fatal")


def _as_dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def exception_values(payload: dict[str, Any]) -> list[dict[str, Any]]:
    """The exception chain, cause first and the raised exception last (ingest order)."""
    raw = payload.get("exception")
    values = _as_dict(raw).get("values") if isinstance(raw, dict) else raw
    return [v for v in _as_list(values) if isinstance(v, dict)]


def frames_of(exception: dict[str, Any]) -> list[dict[str, Any]]:
    """Frames of one exception, oldest call first."""
    return [f for f in _as_list(_as_dict(exception.get("stacktrace")).get("frames")) if isinstance(f, dict)]


def crashing_frame(exception: dict[str, Any]) -> dict[str, Any] | None:
    """The innermost in-app frame, or the innermost frame when none is in-app."""
    frames = frames_of(exception)
    in_app = [frame for frame in frames if frame.get("in_app")]
    candidates = in_app or frames
    return candidates[-1] if candidates else None


def message_text(payload: dict[str, Any]) -> str:
    """The message of a `capture_message` event (plain string or logentry form)."""
    message = payload.get("message")
    if isinstance(message, dict):
        return str(message.get("formatted") or message.get("message") or "")
    if isinstance(message, str):
        return message
    logentry = _as_dict(payload.get("logentry"))
    return str(logentry.get("formatted") or logentry.get("message") or "")


def _truncate(text: str) -> str:
    first_line = text.strip().splitlines()[0] if text.strip() else ""
    return first_line if len(first_line) <= TITLE_MAX else first_line[: TITLE_MAX - 3] + "..."


@dataclass(frozen=True)
class EventDigest:
    """The grouping-relevant facts Sentry computes once per event."""

    event_type: str  # "error" (has an exception) or "default" (message)
    fingerprint: list[str]
    fingerprint_hash: str
    title: str
    culprit: str
    location: str | None
    metadata: dict[str, Any]
    level: str
    is_unhandled: bool
    message: str


def _frame_culprit(frame: dict[str, Any] | None) -> str:
    if frame is None:
        return ""
    module = frame.get("module") or frame.get("filename") or "?"
    function = frame.get("function") or "?"
    return f"{module} in {function}"


def _default_fingerprint(values: list[dict[str, Any]], message: str) -> list[str]:
    if values:
        raised = values[-1]
        frame = crashing_frame(raised)
        parts = [str(raised.get("type") or "Error")]
        if frame is not None:
            parts += [str(frame.get("module") or frame.get("filename") or ""), str(frame.get("function") or "")]
        else:
            parts.append(str(raised.get("value") or ""))
        return parts
    return [message]


def digest_event(payload: dict[str, Any]) -> EventDigest:
    """Compute grouping fingerprint, title, culprit, location, metadata, level and handledness."""
    values = exception_values(payload)
    message = message_text(payload)
    custom = [str(part) for part in _as_list(payload.get("fingerprint"))]
    default = _default_fingerprint(values, message)
    fingerprint: list[str] = []
    for part in custom or ["{{ default }}"]:
        fingerprint.extend(default if part in ("{{ default }}", "{{default}}") else [part])
    fingerprint_hash = hashlib.md5("\x00".join(fingerprint).encode("utf-8")).hexdigest()
    level = str(payload.get("level") or "error")
    if level == "warn":
        level = "warning"
    if level not in LEVELS:
        level = "error"
    if values:
        raised = values[-1]
        exc_type = str(raised.get("type") or "Error")
        exc_value = str(raised.get("value") or "")
        frame = crashing_frame(raised)
        in_app = [bool(f.get("in_app")) for f in frames_of(raised)]
        mix = "in-app-only" if in_app and all(in_app) else "system-only" if not any(in_app) else "mixed"
        metadata: dict[str, Any] = {"type": exc_type, "value": exc_value, "in_app_frame_mix": mix}
        if frame is not None:
            metadata["filename"] = frame.get("filename") or frame.get("abs_path") or ""
            metadata["function"] = frame.get("function") or ""
        title = _truncate(f"{exc_type}: {exc_value}" if exc_value else exc_type)
        unhandled = any(_as_dict(v.get("mechanism")).get("handled") is False for v in values)
        return EventDigest(
            event_type="error",
            fingerprint=fingerprint,
            fingerprint_hash=fingerprint_hash,
            title=title,
            culprit=_frame_culprit(frame),
            location=(frame.get("filename") or None) if frame else None,
            metadata=metadata,
            level=level,
            is_unhandled=unhandled,
            message=message,
        )
    title = _truncate(message) or "<unlabeled event>"
    return EventDigest(
        event_type="default",
        fingerprint=fingerprint,
        fingerprint_hash=fingerprint_hash,
        title=title,
        culprit=str(payload.get("transaction") or payload.get("culprit") or ""),
        location=None,
        metadata={"title": title},
        level=level,
        is_unhandled=False,
        message=message,
    )


def user_key(payload: dict[str, Any]) -> str | None:
    """A stable identity for `userCount`: id, then email, username, ip address."""
    user = _as_dict(payload.get("user"))
    for key in ("id", "email", "username", "ip_address"):
        if user.get(key) not in (None, ""):
            return f"{key}:{user[key]}"
    return None


def _context_tags(alias: str, context: dict[str, Any]) -> dict[str, str]:
    """The tags Sentry makes of a browser, os or device context (its `context_to_tag_mapping`): `browser` =
    "name version" and `browser.name`, `os` and `os.name`, `device` (the model) and `device.family`; a context
    sent under another key (`client_os`) names its tags after that key."""
    kind = str(context.get("type") or alias)
    name = str(context.get("name") or "")
    found: dict[str, str] = {}
    if kind in ("browser", "os"):
        found[alias] = " ".join(str(part) for part in (name, context.get("version")) if part)
        found[f"{alias}.name"] = name
    elif kind == "device":
        found[alias] = str(context.get("model") or "")
        found[f"{alias}.family"] = str(context.get("family") or "")
    return {key: value for key, value in found.items() if value}


def event_tags(payload: dict[str, Any], digest: EventDigest) -> list[tuple[str, str]]:
    """Tags as Sentry indexes them: the event's own tags plus the ones it adds, sorted by key."""
    tags: dict[str, str] = {}
    raw_tags = payload.get("tags")
    if isinstance(raw_tags, dict):
        tags.update({str(k): str(v) for k, v in raw_tags.items() if v is not None})
    elif isinstance(raw_tags, list):
        for pair in raw_tags:
            if isinstance(pair, list | tuple) and len(pair) == 2 and pair[1] is not None:
                tags[str(pair[0])] = str(pair[1])
    tags["level"] = digest.level
    for key in ("logger", "environment", "release", "server_name", "transaction", "dist"):
        if payload.get(key):
            tags[key] = str(payload[key])
    values = exception_values(payload)
    if values:
        mechanism = _as_dict(values[-1].get("mechanism"))
        tags["handled"] = "no" if digest.is_unhandled else "yes"
        if mechanism.get("type"):
            tags["mechanism"] = str(mechanism["type"])
    for alias, context in _as_dict(payload.get("contexts")).items():
        tags.update(_context_tags(str(alias), _as_dict(context)))
    runtime = _as_dict(_as_dict(payload.get("contexts")).get("runtime"))
    if runtime.get("name"):
        tags["runtime.name"] = str(runtime["name"])
        tags["runtime"] = f"{runtime['name']} {runtime.get('version', '')}".strip()
    request = _as_dict(payload.get("request"))
    if request.get("url"):
        tags["url"] = str(request["url"])
    user = user_key(payload)
    if user is not None:
        tags["user"] = user
    return sorted(tags.items())
