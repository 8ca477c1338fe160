"""What GlitchTip's ingest keeps of an event (`process_issue_events` in `apps/event_ingest/process_event.py`).

From the sentry-sdk payload the sandbox stored: the title (`Type: value`, or the message), the culprit
(the payload's culprit or transaction, else the crashing frame's `module in function`, else the request
URL), the metadata, the type and level, the tags (the payload's own, `browser`/`os.name`/`device` from
the User-Agent, `user.id`/`user.email`/`user.username`, environment, release, server_name) and the `data`
column: the payload's known fields as GlitchTip's ingest schemas keep them, `logentry` for any message,
`message` when the title is cut, and `contexts` with the browser, os and device of the User-Agent.
PostgreSQL's jsonb orders an object's keys by length, then bytes; so do `jsonb`-ordered dicts here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import parse_qs

from .grouping import crashing_frame, exception_values
from .models import StoredEvent

TITLE_MAX = 100
CULPRIT_MAX = 200
LEVELS = ("sample", "debug", "info", "warning", "error", "fatal")
FRAME_KEYS = (
    "filename", "function", "raw_function", "function_id", "symbol", "module", "lineno", "colno", "abs_path",
    "context_line", "pre_context", "post_context", "source_link", "in_app", "stack_start", "lock", "vars",
    "instruction_addr", "addr_mode", "symbol_addr", "image_addr", "package", "platform",
)  # fmt: skip
MECHANISM_KEYS = ("type", "description", "help_link", "handled", "synthetic", "is_exception_group", "parent_id")
EXCEPTION_KEYS = ("type", "value", "module", "thread_id")
REQUEST_KEYS = ("api_target", "body_size", "cookies", "data", "env", "fragment", "method", "protocol", "url")
USER_KEYS = ("id", "username", "email", "ip_address", "data", "geo")
BREADCRUMB_DEFAULTS = {"type": "default", "level": "info"}
# The fields GlitchTip's context schemas (`apps/shared/schema/contexts.py`) keep, in their order.
CONTEXT_FIELDS = {
    "device": ("name", "family", "model", "model_id", "arch", "manufacturer", "brand"),
    "os": ("name", "version", "build", "kernel_version", "rooted", "theme", "raw_description"),
    "runtime": ("name", "version", "raw_description"),
    "browser": ("name", "version"),
    "trace": ("trace_id", "span_id", "parent_span_id", "op", "status", "client_sample_rate", "origin"),
    "app": ("app_start_time", "build_type", "app_identifier", "app_name", "app_version", "app_build"),
    "culture": ("calendar", "display_name", "locale", "is_24_hour_format", "timezone"),
}
_BROWSERS = (("Edg", "Edge"), ("OPR", "Opera"), ("Firefox", "Firefox"), ("Chrome", "Chrome"), ("Safari", "Safari"))
_SYSTEMS = (("Android", "Android"), ("iPhone", "iOS"), ("Windows", "Windows"), ("Mac OS X", "Mac OS X"))


def jsonb(value: Any) -> Any:
    """`value` with every object's keys in PostgreSQL jsonb order (shorter first, then by bytes)."""
    if isinstance(value, dict):
        ordered = sorted(value, key=lambda k: (len(str(k).encode()), str(k).encode()))
        return {str(k): jsonb(value[k]) for k in ordered}
    if isinstance(value, list):
        return [jsonb(item) for item in value]
    return value


def truncate(text: str, limit: int = TITLE_MAX) -> str:
    """`sentry.utils.strings.truncatechars`: cut with an ellipsis."""
    return text[: limit - 1] + "…" if len(text) > limit else text


def _known(source: Any, keys: tuple[str, ...]) -> dict[str, Any]:
    if not isinstance(source, dict):
        return {}
    return {key: source[key] for key in keys if source.get(key) is not None}


def _frame(raw: dict[str, Any]) -> dict[str, Any]:
    frame = _known(raw, FRAME_KEYS)
    if not frame.get("abs_path") and frame.get("filename"):
        frame["abs_path"] = frame["filename"]
    for side in ("pre_context", "post_context"):
        if side in frame:
            frame[side] = [line or "" for line in frame[side]] or None
            if frame[side] is None:
                del frame[side]
    return frame


def _exception(payload: dict[str, Any]) -> dict[str, Any] | None:
    values = []
    for raw in exception_values(payload):
        value = _known(raw, EXCEPTION_KEYS)
        if value.get("type") is None and value.get("value") is None:
            continue
        mechanism = raw.get("mechanism")
        if isinstance(mechanism, dict) and mechanism.get("type"):
            value["mechanism"] = _known(mechanism, MECHANISM_KEYS)
        stacktrace = raw.get("stacktrace")
        if isinstance(stacktrace, dict) and isinstance(stacktrace.get("frames"), list):
            value["stacktrace"] = {"frames": [_frame(f) for f in stacktrace["frames"] if isinstance(f, dict)]}
        values.append(value)
    return {"values": values} if values else None


def _breadcrumbs(payload: dict[str, Any]) -> dict[str, Any] | None:
    raw = payload.get("breadcrumbs")
    crumbs = raw.get("values") if isinstance(raw, dict) else raw
    kept = []
    for crumb in crumbs if isinstance(crumbs, list) else []:
        if isinstance(crumb, dict):
            item = _known(crumb, ("type", "category", "message", "data", "level", "timestamp"))
            kept.append({k: v for k, v in item.items() if BREADCRUMB_DEFAULTS.get(k) != v})
    return {"values": kept} if kept else None


def _pairs(value: Any) -> list[list[Any]] | None:
    """GlitchTip's `prefer_list_key_value`: headers and query strings as sorted [key, value] pairs."""
    if isinstance(value, str) and value:
        pairs = [[k, v] for k, values in parse_qs(value.lstrip("?")).items() for v in values]
    elif isinstance(value, dict):
        pairs = [[str(k), v[0] if isinstance(v, list) else v] for k, v in value.items()]
    elif isinstance(value, list):
        pairs = [list(item[:2]) for item in value if isinstance(item, list | tuple) and len(item) >= 2]
    else:
        return None
    kept = [pair for pair in pairs if pair != ["Cookie", ""]]
    return sorted(kept, key=lambda pair: (str(pair[0]), str(pair[1]))) if kept else None


def _request(payload: dict[str, Any]) -> dict[str, Any] | None:
    raw = payload.get("request")
    if not isinstance(raw, dict):
        return None
    request = _known(raw, REQUEST_KEYS)
    for key, source in (("headers", raw.get("headers")), ("query_string", raw.get("query_string"))):
        pairs = _pairs(source)
        if pairs:
            request[key] = pairs
    return request or None


def user_agent(payload: dict[str, Any]) -> str | None:
    request = payload.get("request")
    headers = _pairs(request.get("headers")) if isinstance(request, dict) else None
    return next((str(value) for key, value in headers or [] if key == "User-Agent"), None)


def _agent_contexts(agent: str) -> dict[str, dict[str, Any]]:
    """The browser, os and device contexts GlitchTip derives from a User-Agent (ua-parser, common agents)."""
    browser = next((name for token, name in _BROWSERS if f"{token}/" in agent), "Other")
    version = re.search(rf"{dict(_BROWSERS).get(browser, browser)}/([\d.]+)", agent) if browser != "Other" else None
    system = next((name for token, name in _SYSTEMS if token in agent), "Linux" if "Linux" in agent else "Other")
    return {
        "browser": {"type": "browser", "name": browser, "version": version.group(1) if version else ""},
        "os": {"type": "os", "name": system, "version": ""},
        "device": {"type": "device", "family": "Other"},
    }


def contexts(payload: dict[str, Any]) -> dict[str, Any]:
    found = {k: v for k, v in (payload.get("contexts") or {}).items() if isinstance(v, dict)}
    agent = user_agent(payload)
    if agent:
        for key, context in _agent_contexts(agent).items():
            found.setdefault(key, context)
    kept = {}
    for key, value in found.items():
        kind = value.get("type") or key
        fields = CONTEXT_FIELDS.get(kind)
        kept[key] = {"type": kind, **(_known(value, fields) if fields else value)}
    return kept


def event_tags(payload: dict[str, Any]) -> dict[str, str]:
    """GlitchTip's `generate_tags`: the payload's tags and those it derives, in jsonb order."""
    raw = payload.get("tags")
    tags: dict[str, Any] = dict(raw) if isinstance(raw, dict) else {}
    derived = contexts(payload)
    browser, system, device = derived.get("browser"), derived.get("os"), derived.get("device")
    if browser and "name" in browser:
        tags["browser.name"] = browser.get("name")
        tags["browser"] = f"{browser.get('name')} {browser.get('version')}"
    if system and "name" in system:
        tags["os.name"] = system.get("name")
    if device and device.get("model"):
        tags["device"] = device["model"]
    user = _known(payload.get("user"), ("id", "email", "username"))
    for key in ("id", "email", "username"):
        if user.get(key):
            tags[f"user.{key}"] = str(user[key])
    for key in ("environment", "release", "server_name"):
        if payload.get(key):
            tags[key] = payload[key]
    kept: dict[str, str] = jsonb({str(k)[:255]: str(v)[:255] for k, v in tags.items() if v})
    return kept


def _formatted(entry: dict[str, Any]) -> dict[str, Any]:
    """GlitchTip's `EventMessage`: `formatted` filled in from `message` % `params` when absent."""
    logentry = _known(entry, ("formatted", "message", "params"))
    if not logentry.get("formatted") and logentry.get("message"):
        params, template = logentry.get("params"), str(logentry["message"])
        try:
            logentry["formatted"] = template % tuple(params) if isinstance(params, list) and params else template
        except (TypeError, ValueError):
            logentry["formatted"] = template
    logentry.setdefault("formatted", "")
    return logentry


def _message(payload: dict[str, Any]) -> tuple[str | None, str | None, dict[str, Any] | None]:
    """The title text of a message event, its `message` field and its `logentry`, as GlitchTip keeps them."""
    message, entry = payload.get("message"), payload.get("logentry")
    logentry = _formatted(entry) if isinstance(entry, dict) else None
    if isinstance(message, dict):
        message_entry = _formatted(message)
        return message_entry["formatted"], message_entry["formatted"], logentry or message_entry
    if isinstance(message, str) and message:
        return message, message, logentry or {"formatted": message}
    return (logentry["formatted"] if logentry else None), None, logentry


@dataclass(frozen=True)
class GlitchtipEvent:
    """One event as GlitchTip stored it."""

    stored: StoredEvent
    type: str  # error | default
    level: str
    title: str
    culprit: str
    metadata: dict[str, Any]  # in jsonb order
    tags: dict[str, str]
    data: dict[str, Any]
    received: datetime

    @property
    def message(self) -> str:
        return str(self.data.get("message", self.title))


def _error_metadata(payload: dict[str, Any]) -> dict[str, Any]:
    values = exception_values(payload)
    if not values:
        return {}
    raised = values[-1]
    metadata: dict[str, Any] = {"value": str(raised.get("value") or "")[:1024]}
    if not _known(raised.get("mechanism"), ("synthetic",)).get("synthetic"):
        metadata["type"] = str(raised.get("type") or "Error")[:128]
    frames = [f for f in (raised.get("stacktrace") or {}).get("frames") or [] if f.get("function")]
    frame = crashing_frame({"stacktrace": {"frames": frames}}) if frames else None
    if frame is not None:
        if frame.get("filename") or frame.get("abs_path"):
            metadata["filename"] = frame.get("filename") or frame.get("abs_path")
        metadata["function"] = frame["function"]
    return metadata


def _culprit(payload: dict[str, Any]) -> str:
    explicit = payload.get("culprit") or payload.get("transaction")
    if explicit:
        return truncate(str(explicit), CULPRIT_MAX)
    values = exception_values(payload)
    frame = crashing_frame(values[-1]) if values else None
    if frame is not None:
        where = frame.get("module") or frame.get("filename") or "?"
        return truncate(f"{where} in {frame.get('function') or '?'}", CULPRIT_MAX)
    return truncate(str(_known(payload.get("request"), ("url",)).get("url") or ""), CULPRIT_MAX)


def _stored(data: dict[str, Any]) -> dict[str, Any]:
    """The data column as read back: jsonb key order, but contexts' fields as their schemas order them."""
    stored: dict[str, Any] = jsonb(data)
    if "contexts" in data:
        stored["contexts"] = {key: data["contexts"][key] for key in stored["contexts"]}
    return stored


def received_at(event: StoredEvent) -> datetime:
    """When GlitchTip received a seeded event: right after it happened (at most a second later)."""
    delay = max(timedelta(0), min(event.received - event.timestamp, timedelta(seconds=1)))
    return event.timestamp + delay


def glitchtip_event(event: StoredEvent) -> GlitchtipEvent:
    """What GlitchTip's ingest makes of the stored event."""
    payload = event.payload
    text, message, logentry = _message(payload)
    metadata = _error_metadata(payload)
    if exception_values(payload) and metadata:
        kind = "error"
        value = str(metadata.get("value") or "")
        full_title = (
            (
                f"{metadata['type']}: {truncate(value.splitlines()[0] if value else '')}"
                if value
                else metadata.get("type")
            )
            or metadata.get("function")
            or "<unknown>"
        )
    else:
        kind, full_title = "default", text or "<untitled>"
    title = truncate(full_title)
    data: dict[str, Any] = {}
    data.update(
        {name: payload[name] for name in ("platform", "modules", "sdk", "environment", "extra") if payload.get(name)}
    )
    user = _known(payload.get("user"), USER_KEYS)
    parts: tuple[tuple[str, dict[str, Any] | None], ...] = (
        ("user", {k: str(v) if k not in ("data", "geo") else v for k, v in user.items()}),
        ("request", _request(payload)),
        ("exception", _exception(payload)),
        ("breadcrumbs", _breadcrumbs(payload)),
        ("metadata", jsonb(metadata)),
        ("logentry", logentry),
        ("contexts", contexts(payload)),
    )
    data.update({name: part for name, part in parts if part})
    if message:
        data["message"] = message
    elif title != full_title:
        data["message"] = full_title
    level = str(payload.get("level") or "error")
    return GlitchtipEvent(
        stored=event,
        type=kind,
        level=level if level in LEVELS else "error",
        title=title,
        culprit=_culprit(payload),
        metadata=jsonb(metadata),
        tags=event_tags(payload),
        data=_stored(data),
        received=received_at(event),
    )
