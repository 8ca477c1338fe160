"""In-memory state of the sandbox Sentry and the rules applied when events arrive.

Everything mutable lives in one `_State` so that `snapshot()`/`restore()` are cheap copies. All public
methods take `SandboxStore.lock` (re-entrant); API handlers hold it while they serialize.
"""

from __future__ import annotations

import bisect
import copy
import dataclasses
import hashlib
import secrets
import threading
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from .grouping import EventDigest, digest_event, event_tags, user_key
from .models import (
    ESCALATION_EVENTS,
    FIRST_ISSUE_ID,
    Issue,
    Organization,
    Outcome,
    Project,
    Release,
    SessionUpdate,
    StoredEvent,
    base32_decode,
    base32_encode,
    default_projects,
)
from .times import utcnow


@dataclass
class _State:
    issues: dict[int, Issue] = field(default_factory=dict)
    events: dict[str, StoredEvent] = field(default_factory=dict)
    outcomes: list[Outcome] = field(default_factory=list)
    sessions: dict[str, SessionUpdate] = field(default_factory=dict)
    releases: dict[str, Release] = field(default_factory=dict)
    next_issue_id: int = FIRST_ISSUE_ID
    next_sequence: int = 0
    short_counters: dict[str, int] = field(default_factory=dict)

    def clone(self) -> _State:
        """A copy sharing the immutable parts (stored events, outcomes) and copying the rest."""
        issues = {
            issue_id: dataclasses.replace(
                issue,
                events=list(issue.events),
                activity=list(issue.activity),
                status_details=copy.deepcopy(issue.status_details),
                snooze=dataclasses.replace(issue.snooze) if issue.snooze else None,
                assigned_to=dict(issue.assigned_to) if issue.assigned_to else None,
            )
            for issue_id, issue in self.issues.items()
        }
        return _State(
            issues=issues,
            events=dict(self.events),
            outcomes=list(self.outcomes),
            sessions={sid: dataclasses.replace(update) for sid, update in self.sessions.items()},
            releases={v: dataclasses.replace(r, project_ids=set(r.project_ids)) for v, r in self.releases.items()},
            next_issue_id=self.next_issue_id,
            next_sequence=self.next_sequence,
            short_counters=dict(self.short_counters),
        )


class SandboxStore:
    """Thread-safe in-memory Sentry data for one organization."""

    def __init__(self, projects: list[Project] | None = None) -> None:
        now = utcnow()
        self.lock = threading.RLock()
        self.organization = Organization(id="1", slug="sandbox", name="Sandbox", date_created=now - timedelta(days=400))
        self.projects: list[Project] = projects if projects is not None else default_projects(now)
        self._state = _State()
        self._snapshot: _State | None = None
        self._arrivals: dict[str, deque[float]] = {p.id: deque() for p in self.projects}
        self.group_by_title = False  # True: events of one title make one issue (GlitchTip), else by fingerprint

    # -- lookups ---------------------------------------------------------------------------------

    def project(self, id_or_slug: str) -> Project | None:
        """A project by numeric id or slug (case-insensitive slug)."""
        for project in self.projects:
            if id_or_slug in (project.id, project.slug) or id_or_slug.lower() == project.slug:
                return project
        return None

    def issues(self) -> list[Issue]:
        with self.lock:
            return list(self._state.issues.values())

    def issue(self, issue_id: int) -> Issue | None:
        with self.lock:
            return self._state.issues.get(issue_id)

    def issue_by_short_id(self, short_id: str) -> Issue | None:
        """Resolve `<PROJECT-SLUG>-<base32>` (case-insensitive, optional `issue:` prefix)."""
        text = short_id.strip()
        if text.lower().startswith("issue:"):
            text = text[6:]
        slug, sep, counter = text.rpartition("-")
        if not sep:
            return None
        project = self.project(slug.lower())
        number = base32_decode(counter)
        if project is None or number is None:
            return None
        with self.lock:
            for issue in self._state.issues.values():
                if issue.project_id == project.id and issue.short_number == number:
                    return issue
        return None

    def short_id(self, issue: Issue) -> str:
        project = self.project(issue.project_id)
        prefix = project.short_id_prefix if project else "PROJECT"
        return f"{prefix}-{base32_encode(issue.short_number)}"

    def event(self, event_id: str) -> StoredEvent | None:
        with self.lock:
            return self._state.events.get(event_id.replace("-", "").lower())

    def events(self) -> list[StoredEvent]:
        with self.lock:
            return list(self._state.events.values())

    def outcomes(self) -> list[Outcome]:
        with self.lock:
            return list(self._state.outcomes)

    def sessions(self) -> list[SessionUpdate]:
        with self.lock:
            return list(self._state.sessions.values())

    def releases(self) -> list[Release]:
        with self.lock:
            return list(self._state.releases.values())

    def release(self, version: str) -> Release | None:
        with self.lock:
            return self._state.releases.get(version)

    def project_releases(self, project_id: str) -> list[Release]:
        """Releases of a project, oldest first."""
        with self.lock:
            found = [r for r in self._state.releases.values() if project_id in r.project_ids]
        return sorted(found, key=lambda r: (r.date_created, r.version))

    # -- ingest ----------------------------------------------------------------------------------

    def admit(self, project: Project, now: datetime) -> bool:
        """Count one arrival against the project's quota; False when over quota (not counted)."""
        if project.quota is None:
            return True
        with self.lock:
            arrivals = self._arrivals.setdefault(project.id, deque())
            horizon = now.timestamp() - project.quota_window_seconds
            while arrivals and arrivals[0] < horizon:
                arrivals.popleft()
            if len(arrivals) >= project.quota:
                return False
            arrivals.append(now.timestamp())
            return True

    def record_outcome(self, outcome: Outcome) -> None:
        with self.lock:
            self._state.outcomes.append(outcome)

    def add_event(
        self, project: Project, payload: dict[str, Any], timestamp: datetime, received: datetime
    ) -> StoredEvent:
        """Store an accepted event, group it into an issue and apply regression/snooze rules."""
        digest = digest_event(payload)
        with self.lock:
            state = self._state
            event_id = str(payload.get("event_id") or secrets.token_hex(16)).replace("-", "").lower()
            # GlitchTip groups by title, so exception messages that differ make separate issues.
            group_key = (
                hashlib.md5(digest.title.encode()).hexdigest() if self.group_by_title else digest.fingerprint_hash
            )
            issue = next(
                (i for i in state.issues.values() if i.project_id == project.id and i.fingerprint_hash == group_key),
                None,
            )
            if issue is None:
                counter = state.short_counters.get(project.id, 0) + 1
                state.short_counters[project.id] = counter
                issue = Issue(
                    id=state.next_issue_id,
                    project_id=project.id,
                    short_number=counter,
                    fingerprint=digest.fingerprint,
                    fingerprint_hash=group_key,
                    priority=_initial_priority(digest),
                )
                state.next_issue_id += 1
                state.issues[issue.id] = issue
                issue.add_activity("first_seen", {"priority": issue.priority}, timestamp)
            event = _store_event(state, issue, event_id, payload, digest, timestamp, received)
            bisect.insort(issue.events, event, key=StoredEvent.sort_key)
            self._track_release(event, is_new_issue=len(issue.events) == 1)
            self._after_new_event(issue, event, received)
            return event

    def add_new_issue(
        self, project: Project, digest: EventDigest, events: list[tuple[dict[str, Any], datetime]]
    ) -> Issue:
        """Store events known to form one new issue, skipping the grouping search of `add_event`.

        For bulk synthetic data (`bulk.py`): the caller guarantees that `digest` is the digest of every
        payload and that no stored issue has its fingerprint. `events` are (payload, timestamp) pairs,
        each received at its timestamp; at least one is required.
        """
        if not events:
            raise ValueError("an issue needs at least one event")
        with self.lock:
            state = self._state
            counter = state.short_counters.get(project.id, 0) + 1
            state.short_counters[project.id] = counter
            issue = Issue(
                id=state.next_issue_id,
                project_id=project.id,
                short_number=counter,
                fingerprint=digest.fingerprint,
                fingerprint_hash=digest.fingerprint_hash,
                priority=_initial_priority(digest),
            )
            state.next_issue_id += 1
            state.issues[issue.id] = issue
            for payload, timestamp in sorted(events, key=lambda pair: pair[1]):
                event = _store_event(state, issue, str(payload["event_id"]), payload, digest, timestamp, timestamp)
                issue.events.append(event)
                self._track_release(event, is_new_issue=len(issue.events) == 1)
            issue.add_activity("first_seen", {"priority": issue.priority}, issue.first_seen)
            return issue

    def _track_release(self, event: StoredEvent, is_new_issue: bool) -> None:
        version = event.release
        if version is None:
            return
        release = self._state.releases.get(version)
        if release is None:
            release = Release(version, set(), event.timestamp, event.timestamp)
            self._state.releases[version] = release
        release.project_ids.add(event.project_id)
        release.date_created = min(release.date_created, event.timestamp)
        release.last_event = max(release.last_event, event.timestamp)
        if is_new_issue:
            release.new_groups += 1

    def _after_new_event(self, issue: Issue, event: StoredEvent, now: datetime) -> None:
        if issue.status == "resolved":
            if issue.resolved_releases is not None and event.release in issue.resolved_releases:
                return
            issue.status, issue.substatus, issue.status_details = "unresolved", "regressed", {}
            issue.resolved_releases = None
            issue.add_activity("set_regression", {"version": event.release or ""}, now)
        elif issue.status == "ignored" and issue.snooze is not None and snooze_expired(issue, now):
            timed = issue.snooze.until is not None
            issue.status, issue.substatus, issue.status_details = "unresolved", "ongoing" if timed else "escalating", {}
            issue.snooze = None
            issue.add_activity("set_unresolved" if timed else "set_escalating", {}, now)

    def expire_snoozes(self, now: datetime) -> None:
        """Un-archive issues whose `ignoreUntil` has passed (Sentry does this in a periodic task)."""
        with self.lock:
            for issue in self._state.issues.values():
                snooze = issue.snooze
                if (
                    issue.status == "ignored"
                    and snooze is not None
                    and snooze.until is not None
                    and now >= snooze.until
                ):
                    issue.status, issue.substatus, issue.status_details = "unresolved", "ongoing", {}
                    issue.snooze = None
                    issue.add_activity("set_unresolved", {}, now)

    def add_session(self, update: SessionUpdate) -> None:
        """Store a session update; later updates of the same `sid` replace earlier ones."""
        with self.lock:
            previous = self._state.sessions.get(update.sid)
            if previous is not None:
                update.started = previous.started
                update.did = update.did or previous.did
                update.release = update.release or previous.release
                update.environment = update.environment or previous.environment
            self._state.sessions[update.sid] = update

    # -- snapshots -------------------------------------------------------------------------------

    def snapshot(self) -> None:
        """Remember the current state; `restore()` goes back to it."""
        with self.lock:
            self._snapshot = self._state.clone()

    def restore(self) -> None:
        """Return to the last snapshot (or to empty), and forget quota arrivals."""
        with self.lock:
            self._state = self._snapshot.clone() if self._snapshot is not None else _State()
            for arrivals in self._arrivals.values():
                arrivals.clear()


def _initial_priority(digest: EventDigest) -> str:
    if digest.level == "fatal" or (digest.level == "error" and digest.is_unhandled):
        return "high"
    if digest.level in ("error", "warning"):
        return "medium"
    return "low"


def snooze_expired(issue: Issue, now: datetime) -> bool:
    """Whether an archived issue's condition is met (time passed, enough events or users)."""
    snooze = issue.snooze
    if snooze is None:
        return False
    if snooze.until is not None:
        return now >= snooze.until
    arrived = [e for e in issue.events if e.received >= snooze.started]
    if snooze.until_escalating:
        return len(arrived) >= ESCALATION_EVENTS
    if snooze.count is not None:
        recent = arrived
        if snooze.window:
            recent = [e for e in arrived if e.received >= now - timedelta(minutes=snooze.window)]
        return len(recent) >= snooze.count
    if snooze.user_count is not None:
        recent = arrived
        if snooze.user_window:
            recent = [e for e in arrived if e.received >= now - timedelta(minutes=snooze.user_window)]
        return len({e.user for e in recent if e.user}) >= snooze.user_count
    return False


def _store_event(
    state: _State,
    issue: Issue,
    event_id: str,
    payload: dict[str, Any],
    digest: EventDigest,
    timestamp: datetime,
    received: datetime,
) -> StoredEvent:
    """A new event of `issue`, numbered and kept in `state` (the caller places it in `issue.events`)."""
    state.next_sequence += 1
    event = StoredEvent(
        event_id=event_id,
        project_id=issue.project_id,
        issue_id=issue.id,
        timestamp=timestamp,
        received=received,
        sequence=state.next_sequence,
        payload=payload,
        digest=digest,
        tags=event_tags(payload, digest),
        user=user_key(payload),
    )
    state.events[event_id] = event
    return event
