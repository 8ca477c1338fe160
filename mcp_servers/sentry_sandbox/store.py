"""The sandbox Sentry's store: its organization and projects, lookups, and what happens to what arrives.

Everything mutable lives in one `StoreState` (`store_state.py`) so that `snapshot()`/`restore()` are cheap
copies; how an issue's status moves by itself is in `issue_lifecycle.py`. All public methods take
`SandboxStore.lock` (re-entrant); API handlers hold it while they serialize.
"""

from __future__ import annotations

import bisect
import hashlib
import secrets
import threading
from collections import deque
from datetime import datetime, timedelta
from typing import Any

from .directory import Directory, default_directory
from .grouping import EventDigest, digest_event
from .issue_lifecycle import apply_new_event, end_passed_snooze
from .models import (
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
from .ownership import Ownership, default_ownership
from .store_state import StoreState
from .times import utcnow


class SandboxStore:
    """Thread-safe in-memory Sentry data for one organization.

    Its people (`directory`) and who owns what (`ownership`) are fixed data, like its projects; by default the
    sandbox's (`directory.default_directory`, `ownership.default_ownership`).
    """

    def __init__(
        self,
        projects: list[Project] | None = None,
        directory: Directory | None = None,
        ownership: Ownership | None = None,
    ) -> None:
        now = utcnow()
        self.lock = threading.RLock()
        self.organization = Organization(id="1", slug="sandbox", name="Sandbox", date_created=now - timedelta(days=400))
        self.projects: list[Project] = projects if projects is not None else default_projects(now)
        self.directory = directory or default_directory({p.slug: p.id for p in self.projects}, now)
        self.ownership = ownership or default_ownership()
        self._state = StoreState()
        self._snapshot: StoreState | None = None
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
                issue = state.open_issue(project.id, digest, group_key)
                issue.add_activity("first_seen", {"priority": issue.priority}, timestamp)
            event = state.store_event(issue, event_id, payload, digest, timestamp, received)
            bisect.insort(issue.events, event, key=StoredEvent.sort_key)
            state.track_release(event, is_new_issue=len(issue.events) == 1)
            apply_new_event(issue, event, received)
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
            issue = state.open_issue(project.id, digest, digest.fingerprint_hash)
            for payload, timestamp in sorted(events, key=lambda pair: pair[1]):
                event = state.store_event(issue, str(payload["event_id"]), payload, digest, timestamp, timestamp)
                issue.events.append(event)
                state.track_release(event, is_new_issue=len(issue.events) == 1)
            issue.add_activity("first_seen", {"priority": issue.priority}, issue.first_seen)
            return issue

    def expire_snoozes(self, now: datetime) -> None:
        """Un-archive issues whose `ignoreUntil` has passed (Sentry does this in a periodic task)."""
        with self.lock:
            for issue in self._state.issues.values():
                end_passed_snooze(issue, now)

    def add_comment(self, issue: Issue, text: str, now: datetime, user_id: str | None) -> dict[str, Any]:
        """Keep a note by `user_id` on `issue` (a GlitchTip comment); returns it (id, text, created, user_id)."""
        with self.lock:
            comment = {"id": self._state.next_comment_id, "text": text, "created": now, "user_id": user_id}
            self._state.next_comment_id += 1
            issue.comments.append(comment)
            return comment

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
            self._state = self._snapshot.clone() if self._snapshot is not None else StoreState()
            for arrivals in self._arrivals.values():
                arrivals.clear()
