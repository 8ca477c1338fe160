"""sentry-sdk as the seed drives it: one client per project, a scope per event, sessions, planned timestamps."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import sentry_sdk
from sentry_sdk.integrations.excepthook import ExcepthookIntegration
from sentry_sdk.integrations.threading import ThreadingIntegration

from .times import iso, parse_datetime

QUEUE_SIZE = 2000
FLUSH_TIMEOUT_SECONDS = 30.0


@dataclass(frozen=True)
class Planned:
    """What `before_send` stamps on the event being captured."""

    when: datetime
    release: str
    environment: str


_current: Planned | None = None


def plan_events(planned: Planned | None) -> None:
    """Stamp the events captured from now on with `planned` (None: send them as sentry-sdk made them)."""
    global _current
    _current = planned


def _before_send(event: dict[str, Any], hint: dict[str, Any]) -> dict[str, Any]:
    planned = _current
    if planned is None:
        return event
    # The event is already serialized here: timestamps are ISO strings.
    delta = planned.when - datetime.now(UTC)
    event["timestamp"] = iso(planned.when)
    event["release"] = planned.release
    event["environment"] = planned.environment
    for crumb in (event.get("breadcrumbs") or {}).get("values", []):
        moment = parse_datetime(crumb.get("timestamp"))
        if moment is not None:
            crumb["timestamp"] = iso(moment + delta)
    return event


def silent_excepthook(*_args: Any) -> None:
    """The original hook the SDK's excepthook integration wraps: report to Sentry, print nothing."""


@dataclass
class Context:
    """Per-event scope data."""

    user: dict[str, str] | None = None
    tags: dict[str, str] = field(default_factory=dict)
    breadcrumbs: list[dict[str, Any]] = field(default_factory=list)
    request: dict[str, Any] | None = None
    level: str | None = None
    fingerprint: list[str] | None = None


def init(dsn: str, release: str, server_name: str) -> None:
    """Point sentry-sdk at one project: the events captured next go to `dsn`."""
    sentry_sdk.init(
        dsn=dsn,
        release=release,
        environment="production",
        server_name=server_name,
        before_send=_before_send,  # type: ignore[arg-type]
        transport_queue_size=QUEUE_SIZE,
        default_integrations=True,
        auto_enabling_integrations=False,
        integrations=[ExcepthookIntegration(always_run=True), ThreadingIntegration(propagate_scope=True)],
        include_local_variables=True,
        max_breadcrumbs=20,
        send_client_reports=True,
    )


def flush() -> None:
    """Wait until the events captured so far are sent."""
    sentry_sdk.flush(timeout=FLUSH_TIMEOUT_SECONDS)


@contextmanager
def scope(ctx: Context) -> Iterator[None]:
    """An isolated scope carrying `ctx` for the events captured inside."""
    with sentry_sdk.isolation_scope() as event_scope:
        if ctx.user:
            event_scope.set_user(ctx.user)
        for key, value in ctx.tags.items():
            event_scope.set_tag(key, value)
        for crumb in ctx.breadcrumbs:
            sentry_sdk.add_breadcrumb(**crumb)
        if ctx.level:
            event_scope.level = ctx.level
        if ctx.fingerprint:
            event_scope.fingerprint = ctx.fingerprint
        if ctx.request is not None:
            request = ctx.request

            def add_request(event: dict[str, Any], hint: dict[str, Any]) -> dict[str, Any]:
                event["request"] = request
                return event

            event_scope.add_event_processor(add_request)  # type: ignore[arg-type]
        yield


@contextmanager
def session(user: dict[str, str]) -> Iterator[None]:
    """A release-health session of `user` around the events captured inside; it ends with the block."""
    with sentry_sdk.isolation_scope() as session_scope:
        session_scope.set_user(user)
        session_scope.start_session(session_mode="application")
        yield
        session_scope.end_session()
