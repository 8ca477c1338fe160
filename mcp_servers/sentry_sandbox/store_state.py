"""All the store keeps, as one copyable value: issues, events, outcomes, sessions, releases, id counters."""

from __future__ import annotations

import copy
import dataclasses
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from .grouping import EventDigest, event_tags, user_key
from .issue_lifecycle import initial_priority
from .models import FIRST_ISSUE_ID, Issue, Outcome, Release, SessionUpdate, StoredEvent


@dataclass
class StoreState:
    """The mutable data of a `SandboxStore`, kept in one value so that `snapshot()`/`restore()` are cheap copies.

    Its methods take no lock: the store holds its lock around every call.
    """

    issues: dict[int, Issue] = field(default_factory=dict)
    events: dict[str, StoredEvent] = field(default_factory=dict)
    outcomes: list[Outcome] = field(default_factory=list)
    sessions: dict[str, SessionUpdate] = field(default_factory=dict)
    releases: dict[str, Release] = field(default_factory=dict)
    next_issue_id: int = FIRST_ISSUE_ID
    next_sequence: int = 0
    short_counters: dict[str, int] = field(default_factory=dict)
    next_comment_id: int = 1

    def clone(self) -> StoreState:
        """A copy sharing the immutable parts (stored events, outcomes) and copying the rest."""
        issues = {
            issue_id: dataclasses.replace(
                issue,
                events=list(issue.events),
                activity=list(issue.activity),
                status_details=copy.deepcopy(issue.status_details),
                snooze=dataclasses.replace(issue.snooze) if issue.snooze else None,
                assigned_to=dict(issue.assigned_to) if issue.assigned_to else None,
                comments=list(issue.comments),
            )
            for issue_id, issue in self.issues.items()
        }
        return StoreState(
            issues=issues,
            events=dict(self.events),
            outcomes=list(self.outcomes),
            sessions={sid: dataclasses.replace(update) for sid, update in self.sessions.items()},
            releases={v: dataclasses.replace(r, project_ids=set(r.project_ids)) for v, r in self.releases.items()},
            next_issue_id=self.next_issue_id,
            next_sequence=self.next_sequence,
            short_counters=dict(self.short_counters),
            next_comment_id=self.next_comment_id,
        )

    def open_issue(self, project_id: str, digest: EventDigest, group_key: str) -> Issue:
        """A new issue of the project, numbered on from its others and kept (its events and activity come next)."""
        counter = self.short_counters.get(project_id, 0) + 1
        self.short_counters[project_id] = counter
        issue = Issue(
            id=self.next_issue_id,
            project_id=project_id,
            short_number=counter,
            fingerprint=digest.fingerprint,
            fingerprint_hash=group_key,
            priority=initial_priority(digest),
        )
        self.next_issue_id += 1
        self.issues[issue.id] = issue
        return issue

    def store_event(
        self,
        issue: Issue,
        event_id: str,
        payload: dict[str, Any],
        digest: EventDigest,
        timestamp: datetime,
        received: datetime,
    ) -> StoredEvent:
        """A new event of `issue`, numbered and kept (the caller places it in `issue.events`)."""
        self.next_sequence += 1
        event = StoredEvent(
            event_id=event_id,
            project_id=issue.project_id,
            issue_id=issue.id,
            timestamp=timestamp,
            received=received,
            sequence=self.next_sequence,
            payload=payload,
            digest=digest,
            tags=event_tags(payload, digest),
            user=user_key(payload),
        )
        self.events[event_id] = event
        return event

    def track_release(self, event: StoredEvent, is_new_issue: bool) -> None:
        """Count `event` in its release (created at its first event), and the issue it opened if `is_new_issue`."""
        version = event.release
        if version is None:
            return
        release = self.releases.get(version)
        if release is None:
            release = Release(version, set(), event.timestamp, event.timestamp)
            self.releases[version] = release
        release.project_ids.add(event.project_id)
        release.date_created = min(release.date_created, event.timestamp)
        release.last_event = max(release.last_event, event.timestamp)
        if is_new_issue:
            release.new_groups += 1
