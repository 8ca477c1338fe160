"""Ingest event (snake_case, as sentry-sdk sends it) -> API event (REFERENCE §4, sentry-sdk-ingest.md)."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qsl

from .grouping import exception_values, frames_of
from .models import StoredEvent
from .serialize_orgs import serialize_release
from .store import SandboxStore
from .times import iso, parse_datetime

GROUPING_CONFIG = {"id": "newstyle:2023-01-11", "enhancements": ""}


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _pairs(value: Any) -> list[list[Any]]:
    """Headers/query/cookies as Sentry shows them: a list of `[key, value]` pairs."""
    if isinstance(value, dict):
        return [[str(k), v] for k, v in sorted(value.items())]
    if isinstance(value, str):
        return [[k, v] for k, v in parse_qsl(value.lstrip("?"), keep_blank_values=True)]
    if isinstance(value, list):
        return [list(p) for p in value if isinstance(p, list | tuple) and len(p) == 2]
    return []


def serialize_frame(frame: dict[str, Any]) -> dict[str, Any]:
    lineno = frame.get("lineno")
    context: list[list[Any]] = []
    if isinstance(lineno, int) and "context_line" in frame:
        pre = [str(x) for x in frame.get("pre_context") or []]
        post = [str(x) for x in frame.get("post_context") or []]
        context += [[lineno - len(pre) + i, line] for i, line in enumerate(pre)]
        context.append([lineno, str(frame.get("context_line") or "")])
        context += [[lineno + 1 + i, line] for i, line in enumerate(post)]
    return {
        "filename": frame.get("filename"),
        "absPath": frame.get("abs_path"),
        "module": frame.get("module"),
        "package": frame.get("package"),
        "platform": frame.get("platform"),
        "instructionAddr": frame.get("instruction_addr"),
        "symbolAddr": frame.get("symbol_addr"),
        "function": frame.get("function"),
        "rawFunction": frame.get("raw_function"),
        "symbol": frame.get("symbol"),
        "context": context,
        "lineNo": lineno,
        "colNo": frame.get("colno"),
        "inApp": bool(frame.get("in_app")),
        "trust": None,
        "errors": None,
        "lock": None,
        "sourceLink": None,
        "vars": frame.get("vars") if isinstance(frame.get("vars"), dict) else None,
    }


def _exception_entry(payload: dict[str, Any]) -> dict[str, Any] | None:
    values = exception_values(payload)
    if not values:
        return None
    api_values = []
    any_system = False
    for value in values:
        frames = frames_of(value)
        has_system = any(not f.get("in_app") for f in frames)
        any_system = any_system or has_system
        stacktrace = (
            {
                "frames": [serialize_frame(f) for f in frames],
                "framesOmitted": None,
                "registers": None,
                "hasSystemFrames": has_system,
            }
            if frames
            else None
        )
        mechanism = value.get("mechanism")
        api_values.append(
            {
                "type": value.get("type"),
                "value": value.get("value"),
                "mechanism": mechanism if isinstance(mechanism, dict) else None,
                "threadId": value.get("thread_id"),
                "module": value.get("module"),
                "stacktrace": stacktrace,
                "rawStacktrace": None,
            }
        )
    return {"type": "exception", "data": {"values": api_values, "excOmitted": None, "hasSystemFrames": any_system}}


def _message_entry(payload: dict[str, Any], formatted: str) -> dict[str, Any] | None:
    """The `message` entry as Sentry's Message interface shows it: `formatted`, plus the template (`message`)
    and `params` of a logged message where the template differs from the text."""
    if not formatted:
        return None
    logentry = _dict(payload.get("logentry")) or _dict(payload.get("message"))
    template, params = logentry.get("message"), logentry.get("params")
    data: dict[str, Any] = {"formatted": formatted}
    if isinstance(template, str) and template and template != formatted:
        data["message"] = template
    if isinstance(params, list | dict) and params:
        data["params"] = params
    return {"type": "message", "data": data}


def _breadcrumbs_entry(payload: dict[str, Any]) -> dict[str, Any] | None:
    raw = payload.get("breadcrumbs")
    crumbs = _dict(raw).get("values") if isinstance(raw, dict) else raw
    if not isinstance(crumbs, list) or not crumbs:
        return None
    values = []
    for crumb in crumbs:
        if not isinstance(crumb, dict):
            continue
        moment = parse_datetime(crumb.get("timestamp"))
        values.append(
            {
                "timestamp": iso(moment) if moment else None,
                "type": crumb.get("type") or "default",
                "category": crumb.get("category"),
                "level": crumb.get("level") or "info",
                "message": crumb.get("message"),
                "data": crumb.get("data") if isinstance(crumb.get("data"), dict) else None,
                "event_id": None,
            }
        )
    return {"type": "breadcrumbs", "data": {"values": values}}


def _request_entry(payload: dict[str, Any]) -> dict[str, Any] | None:
    request = payload.get("request")
    if not isinstance(request, dict) or not request:
        return None
    headers = _pairs(request.get("headers"))
    content_type = next((v for k, v in headers if str(k).lower() == "content-type"), None)
    return {
        "type": "request",
        "data": {
            "apiTarget": None,
            "method": request.get("method"),
            "url": request.get("url"),
            "query": _pairs(request.get("query_string") or request.get("query")),
            "fragment": request.get("fragment"),
            "data": request.get("data"),
            "headers": headers,
            "cookies": _pairs(request.get("cookies")),
            "env": request.get("env") if isinstance(request.get("env"), dict) else None,
            "inferredContentType": content_type,
        },
    }


def serialize_user(payload: dict[str, Any]) -> dict[str, Any] | None:
    user = payload.get("user")
    if not isinstance(user, dict) or not user:
        return None
    known = ("id", "email", "username", "ip_address", "name", "geo")
    extra = {k: v for k, v in user.items() if k not in known and k != "data"}
    data = {**_dict(user.get("data")), **extra}
    geo = user.get("geo") if isinstance(user.get("geo"), dict) else None

    def text(key: str) -> str | None:
        value = user.get(key)
        return None if value in (None, "") else str(value)

    return {
        "id": text("id"),
        "email": text("email"),
        "username": text("username"),
        "ip_address": text("ip_address"),
        "name": text("name"),
        "geo": {str(k): str(v) for k, v in geo.items()} if geo else None,
        "data": data or None,
    }


def _contexts(payload: dict[str, Any]) -> dict[str, Any]:
    contexts: dict[str, Any] = {}
    for key, value in _dict(payload.get("contexts")).items():
        if isinstance(value, dict):
            contexts[key] = {**value, "type": value.get("type") or key}
    return contexts


def date_received(event: StoredEvent) -> str:
    """Seeded events carry past timestamps; show them as received right after they happened."""
    delay = event.received - event.timestamp
    delay = max(timedelta(0), min(delay, timedelta(seconds=1)))
    return iso(event.timestamp + delay)


def event_message(event: StoredEvent) -> str:
    return event.digest.message


def serialize_event_simple(event: StoredEvent) -> dict[str, Any]:
    """An item of `GET .../issues/{id}/events/` (SimpleEventSerializer)."""
    return {
        "id": event.event_id,
        "event.type": event.digest.event_type,
        "groupID": str(event.issue_id),
        "eventID": event.event_id,
        "projectID": event.project_id,
        "message": event_message(event),
        "title": event.digest.title,
        "location": event.digest.location,
        "culprit": event.digest.culprit,
        "user": serialize_user(event.payload),
        "tags": [{"key": k, "value": v} for k, v in event.tags],
        "platform": event.payload.get("platform") or "python",
        "dateCreated": iso(event.timestamp),
        "crashFile": None,
        "metadata": dict(event.digest.metadata),
    }


def serialize_event_full(event: StoredEvent) -> dict[str, Any]:
    """The EventSerializer shape (used by `full=true` lists and, wrapped, by the event detail)."""
    payload = event.payload
    entries = [
        entry
        for entry in (
            _exception_entry(payload),
            _message_entry(payload, event.digest.message),
            _breadcrumbs_entry(payload),
            _request_entry(payload),
        )
        if entry is not None
    ]
    sdk = _dict(payload.get("sdk"))
    return {
        "id": event.event_id,
        "groupID": str(event.issue_id),
        "eventID": event.event_id,
        "projectID": event.project_id,
        "size": len(json.dumps(payload)),
        "entries": entries,
        "dist": payload.get("dist"),
        "message": event_message(event),
        "title": event.digest.title,
        "location": event.digest.location,
        "user": serialize_user(payload),
        "contexts": _contexts(payload),
        "sdk": {"name": sdk.get("name"), "version": sdk.get("version")} if sdk else None,
        "context": _dict(payload.get("extra")),
        "packages": _dict(payload.get("modules")),
        "type": event.digest.event_type,
        "metadata": dict(event.digest.metadata),
        "tags": [{"key": k, "value": v} for k, v in event.tags],
        "platform": payload.get("platform") or "python",
        "dateReceived": date_received(event),
        "errors": [],
        "occurrence": None,
        "_meta": {},
        "crashFile": None,
        "culprit": event.digest.culprit,
        "dateCreated": iso(event.timestamp),
        "fingerprints": [event.digest.fingerprint_hash],
        "groupingConfig": dict(GROUPING_CONFIG),
    }


def serialize_event_detail(
    event: StoredEvent, store: SandboxStore, neighbours: tuple[str | None, str | None]
) -> dict[str, Any]:
    """`GET .../events/{id}/`: the full event plus release, neighbours and the other wrapper keys."""
    data = serialize_event_full(event)
    release = store.release(event.release) if event.release else None
    data.update(
        {
            "release": serialize_release(release, store) if release else None,
            "userReport": None,
            "sdkUpdates": [],
            "resolvedWith": [],
            "previousEventID": neighbours[0],
            "nextEventID": neighbours[1],
        }
    )
    return data
