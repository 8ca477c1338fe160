"""The ingest side (what Relay does for us): envelopes in, events/sessions stored, outcomes recorded.

Per event item, in order: JSON check (else outcome `invalid`, 400), the project's inbound message
filter (outcome `filtered`/`error-message`, still 200), the project's key quota (outcome
`rate_limited`/`key_quota`, 429 with `Retry-After` and `X-Sentry-Rate-Limits`), then storage
(outcome `accepted`). Sessions are stored; client reports become `client_discard` outcomes.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from .envelope import EnvelopeError, EnvelopeItem, decode_body, parse_envelope
from .grouping import exception_values, message_text
from .models import Outcome, Project, SessionUpdate
from .store import SandboxStore
from .times import parse_datetime

MAX_FUTURE = timedelta(minutes=1)
SESSION_STATUSES = ("exited", "crashed", "abnormal", "errored", "ok")


@dataclass
class IngestResult:
    status: int
    body: dict[str, Any]
    headers: dict[str, str] = field(default_factory=dict)


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _event_timestamp(payload: dict[str, Any], now: datetime) -> datetime:
    moment = parse_datetime(payload.get("timestamp"))
    if moment is None or moment > now + MAX_FUTURE:
        return now
    return moment


def is_filtered(project: Project, payload: dict[str, Any]) -> bool:
    """The inbound "error message" filter: any configured text in the message or an exception."""
    if not project.message_filters:
        return False
    texts = [message_text(payload)]
    texts += [f"{v.get('type', '')}: {v.get('value', '')}" for v in exception_values(payload)]
    return any(pattern.lower() in text.lower() for pattern in project.message_filters for text in texts)


def _rate_limited(project: Project) -> IngestResult:
    window = str(project.quota_window_seconds)
    return IngestResult(
        429,
        {"detail": "event submission rejected with_reason: KeyQuota"},
        {"Retry-After": window, "X-Sentry-Rate-Limits": f"{window}:error;default;security:key:key_quota"},
    )


def _invalid(store: SandboxStore, project: Project, now: datetime, reason: str, detail: str) -> IngestResult:
    store.record_outcome(Outcome(now, project.id, "invalid", reason))
    return IngestResult(400, {"detail": detail})


def ingest_event(store: SandboxStore, project: Project, payload: Any, now: datetime) -> IngestResult:
    """Run one event payload through filters, quota and storage; records exactly one outcome."""
    if not isinstance(payload, dict):
        return _invalid(store, project, now, "invalid_json", "invalid event payload: expected an object")
    timestamp = _event_timestamp(payload, now)
    event_id = str(payload.get("event_id") or "").replace("-", "").lower()
    if is_filtered(project, payload):
        store.record_outcome(Outcome(timestamp, project.id, "filtered", "error-message"))
        return IngestResult(200, {"id": event_id})
    if not store.admit(project, now):
        store.record_outcome(Outcome(now, project.id, "rate_limited", "key_quota"))
        return _rate_limited(project)
    event = store.add_event(project, payload, timestamp, now)
    store.record_outcome(Outcome(timestamp, project.id, "accepted", None))
    return IngestResult(200, {"id": event.event_id})


def _session_update(project: Project, payload: dict[str, Any], now: datetime) -> SessionUpdate | None:
    sid = payload.get("sid")
    if not sid:
        return None
    attrs = _dict(payload.get("attrs"))
    status = str(payload.get("status") or "ok")
    return SessionUpdate(
        sid=str(sid),
        did=str(payload["did"]) if payload.get("did") else None,
        project_id=project.id,
        started=parse_datetime(payload.get("started")) or now,
        timestamp=parse_datetime(payload.get("timestamp")) or now,
        status=status if status in SESSION_STATUSES else "ok",
        errors=int(payload.get("errors") or 0),
        release=attrs.get("release"),
        environment=attrs.get("environment"),
    )


def _session_aggregates(project: Project, payload: dict[str, Any], now: datetime) -> list[SessionUpdate]:
    attrs = _dict(payload.get("attrs"))
    updates = []
    for index, bucket in enumerate(payload.get("aggregates") or []):
        if not isinstance(bucket, dict):
            continue
        started = parse_datetime(bucket.get("started")) or now
        for status in ("exited", "errored", "crashed", "abnormal"):
            for n in range(int(bucket.get(status) or 0)):
                updates.append(
                    SessionUpdate(
                        sid=f"agg-{started.timestamp()}-{index}-{status}-{n}-{id(payload)}",
                        did=str(bucket["did"]) if bucket.get("did") else None,
                        project_id=project.id,
                        started=started,
                        timestamp=started,
                        status="exited" if status == "errored" else status,
                        errors=1 if status == "errored" else 0,
                        release=attrs.get("release"),
                        environment=attrs.get("environment"),
                    )
                )
    return updates


def _client_report(store: SandboxStore, project: Project, payload: dict[str, Any], now: datetime) -> None:
    moment = parse_datetime(payload.get("timestamp")) or now
    for entry in payload.get("discarded_events") or []:
        if isinstance(entry, dict) and int(entry.get("quantity") or 0) > 0:
            category = str(entry.get("category") or "error")
            store.record_outcome(
                Outcome(
                    moment,
                    project.id,
                    "client_discard",
                    str(entry.get("reason") or ""),
                    category,
                    int(entry["quantity"]),
                )
            )


def _handle_item(store: SandboxStore, project: Project, item: EnvelopeItem, now: datetime) -> IngestResult | None:
    if item.type in ("event", "session", "sessions", "client_report"):
        try:
            payload = item.json()
        except ValueError:
            if item.type == "event":
                return _invalid(store, project, now, "invalid_json", "invalid event payload: not JSON")
            return None
        if item.type == "event":
            return ingest_event(store, project, payload, now)
        if not isinstance(payload, dict):
            return None
        if item.type == "session":
            update = _session_update(project, payload, now)
            if update is not None:
                store.add_session(update)
        elif item.type == "sessions":
            for update in _session_aggregates(project, payload, now):
                store.add_session(update)
        else:
            _client_report(store, project, payload, now)
    return None


def ingest_envelope(
    store: SandboxStore, project: Project, body: bytes, content_encoding: str | None, now: datetime
) -> IngestResult:
    """Handle `POST /api/<project_id>/envelope/`: 200 `{"id": ...}`, 400 invalid, 429 over quota."""
    try:
        envelope = parse_envelope(decode_body(body, content_encoding))
    except EnvelopeError as exc:
        return _invalid(store, project, now, "payload", f"invalid envelope: {exc}")
    event_id = str(envelope.headers.get("event_id") or "").replace("-", "")
    result = IngestResult(200, {"id": event_id} if event_id else {})
    for item in envelope.items:
        outcome = _handle_item(store, project, item, now)
        if outcome is not None and (outcome.status != 200 or "id" not in result.body):
            result = outcome if outcome.status != 200 else IngestResult(200, outcome.body)
    return result


def ingest_store_endpoint(
    store: SandboxStore, project: Project, body: bytes, content_encoding: str | None, now: datetime
) -> IngestResult:
    """Handle the legacy `POST /api/<project_id>/store/` (the body is one event JSON)."""
    try:
        payload = json.loads(decode_body(body, content_encoding).decode("utf-8"))
    except (EnvelopeError, ValueError, UnicodeDecodeError):
        return _invalid(store, project, now, "invalid_json", "invalid event payload: not JSON")
    return ingest_event(store, project, payload, now)
