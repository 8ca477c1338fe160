"""The sandbox's data: organization, projects, events, issues, releases, outcomes, sessions."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from .grouping import EventDigest

SHORT_ID_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
NEW_ISSUE_DAYS = 7
ESCALATION_EVENTS = 10
FIRST_ISSUE_ID = 6500000001


def base32_encode(number: int) -> str:
    """Sentry's short-id counter encoding (Crockford alphabet, no check digit)."""
    digits = ""
    while True:
        number, rest = divmod(number, 32)
        digits = SHORT_ID_ALPHABET[rest] + digits
        if number == 0:
            return digits


def base32_decode(text: str) -> int | None:
    """Inverse of `base32_encode`, case-insensitive; None for characters outside the alphabet."""
    value = 0
    normalized = text.upper().replace("O", "0").replace("I", "1").replace("L", "1")
    if not normalized:
        return None
    for char in normalized:
        index = SHORT_ID_ALPHABET.find(char)
        if index < 0:
            return None
        value = value * 32 + index
    return value


@dataclass(frozen=True)
class Organization:
    id: str
    slug: str
    name: str
    date_created: datetime


@dataclass(frozen=True)
class Project:
    """A project with its DSN key, its inbound message filter and its event quota."""

    id: str
    slug: str
    name: str
    platform: str
    public_key: str
    date_created: datetime
    # Inbound "error message" filter: events whose message or exception value contains one of these.
    message_filters: tuple[str, ...] = ()
    # Key quota: at most this many events per `quota_window_seconds` of arrival time (None = unlimited).
    quota: int | None = None
    quota_window_seconds: int = 60

    @property
    def short_id_prefix(self) -> str:
        return self.slug.upper()


@dataclass
class StoredEvent:
    """An accepted event: the ingest payload plus what Sentry derived from it."""

    event_id: str
    project_id: str
    issue_id: int
    timestamp: datetime
    received: datetime
    sequence: int
    payload: dict[str, Any]
    digest: EventDigest
    tags: list[tuple[str, str]]
    user: str | None

    @property
    def release(self) -> str | None:
        value = self.payload.get("release")
        return str(value) if value else None

    @property
    def environment(self) -> str | None:
        value = self.payload.get("environment")
        return str(value) if value else None

    def sort_key(self) -> tuple[datetime, int]:
        return (self.timestamp, self.sequence)


@dataclass
class Snooze:
    """Conditions of an issue archived until something happens (REFERENCE §5a)."""

    started: datetime
    until: datetime | None = None
    count: int | None = None
    window: int | None = None  # minutes
    user_count: int | None = None
    user_window: int | None = None  # minutes
    until_escalating: bool = False


@dataclass
class Issue:
    id: int
    project_id: str
    short_number: int
    fingerprint: list[str]
    fingerprint_hash: str
    status: str = "unresolved"
    substatus: str | None = "new"
    status_details: dict[str, Any] = field(default_factory=dict)
    priority: str = "medium"
    assigned_to: dict[str, Any] | None = None
    has_seen: bool = False
    is_bookmarked: bool = False
    is_subscribed: bool = False
    is_public: bool = False
    events: list[StoredEvent] = field(default_factory=list)
    activity: list[dict[str, Any]] = field(default_factory=list)
    # Releases whose events do not reopen a resolved issue (resolve in next release / in release).
    resolved_releases: frozenset[str] | None = None
    snooze: Snooze | None = None
    # Notes left on the issue (GlitchTip's comments): dicts with `id`, `text`, `created` and `user_id`.
    comments: list[dict[str, Any]] = field(default_factory=list)
    last_activity_id: int = 0

    @property
    def latest(self) -> StoredEvent:
        return self.events[-1]

    @property
    def first_seen(self) -> datetime:
        return self.events[0].timestamp

    @property
    def last_seen(self) -> datetime:
        return self.events[-1].timestamp

    def effective_substatus(self, now: datetime) -> str | None:
        """Sentry turns `new` into `ongoing` once the issue is older than seven days."""
        if (
            self.status == "unresolved"
            and self.substatus == "new"
            and self.first_seen < now - timedelta(days=NEW_ISSUE_DAYS)
        ):
            return "ongoing"
        return self.substatus

    def add_activity(
        self, kind: str, data: dict[str, Any], when: datetime, user_id: str | None = None
    ) -> dict[str, Any]:
        """Record an activity (newest first) done by `user_id` (None: by Sentry itself); returns it.

        Ids go on from the largest the issue has had, so that one of a deleted note is never given again.
        """
        entry = {"id": str(self.last_activity_id + 1), "type": kind, "data": data, "when": when, "user_id": user_id}
        self.last_activity_id += 1
        self.activity.insert(0, entry)
        return entry


@dataclass
class Release:
    version: str
    project_ids: set[str]
    date_created: datetime
    last_event: datetime
    new_groups: int = 0


@dataclass(frozen=True)
class Outcome:
    timestamp: datetime
    project_id: str
    outcome: str  # accepted | filtered | rate_limited | invalid | client_discard ...
    reason: str | None
    category: str = "error"
    quantity: int = 1


@dataclass
class SessionUpdate:
    sid: str
    did: str | None
    project_id: str
    started: datetime
    timestamp: datetime
    status: str
    errors: int
    release: str | None
    environment: str | None


def _new_key() -> str:
    return secrets.token_hex(16)


def default_projects(now: datetime) -> list[Project]:
    """The two sandbox projects: `backend` (message filter) and `worker` (event quota)."""
    created = now - timedelta(days=120)
    return [
        Project(
            id="4509112233440001",
            slug="backend",
            name="backend",
            platform="python",
            public_key=_new_key(),
            date_created=created,
            message_filters=("[filtered]",),
        ),
        Project(
            id="4509112233440002",
            slug="worker",
            name="worker",
            platform="python",
            public_key=_new_key(),
            date_created=created,
            quota=100,
        ),
    ]
