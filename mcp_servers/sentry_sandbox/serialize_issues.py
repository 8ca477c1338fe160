"""API shapes of issues: the stream item (list) and the detail (REFERENCE §2a, §3a)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from .activity import notes_of, serialize_activity
from .directory import OWNER
from .issue_tags import TOP_VALUES_PER_KEY, tag_keys
from .models import Issue, StoredEvent
from .ownership import issue_owners
from .search import EventWindow
from .serialize_orgs import serialize_release
from .serialize_people import serialize_user
from .store import SandboxStore
from .times import bucket_starts, iso

HOUR = 3600
DAY = 86400
INBOX_REASONS = {"new": 0, "unignored": 1, "regressed": 2, "escalating": 5, "ongoing": 6}


@dataclass(frozen=True)
class StatsSpec:
    """One sparkline: its key in `stats`, bucket size and bucket count."""

    key: str
    bucket_seconds: int
    buckets: int


def stats_spec(group_stats_period: str, window: EventWindow, now: datetime) -> StatsSpec | None:
    """`groupStatsPeriod`: `24h`, `14d`, `auto` (from the search window) or `""` (no stats)."""
    if group_stats_period == "":
        return None
    if group_stats_period == "24h":
        return StatsSpec("24h", HOUR, 24)
    if group_stats_period == "14d":
        return StatsSpec("14d", DAY, 14)
    if group_stats_period == "auto":
        span = (now - window.start) if window.start is not None else timedelta(days=14)
        if span <= timedelta(hours=24):
            return StatsSpec("auto", HOUR, max(1, -(-int(span.total_seconds()) // HOUR)))
        return StatsSpec("auto", DAY, max(1, -(-int(span.total_seconds()) // DAY)))
    raise ValueError(group_stats_period)


def series(events: list[StoredEvent], spec: StatsSpec, now: datetime) -> list[list[int]]:
    """`[[bucket_start_unix, count], ...]`, oldest first, the last bucket holding `now`."""
    starts = [int(s.timestamp()) for s in bucket_starts(now, spec.bucket_seconds, spec.buckets)]
    counts = dict.fromkeys(starts, 0)
    first = starts[0]
    for event in events:
        ts = int(event.timestamp.timestamp())
        bucket = ts - ts % spec.bucket_seconds
        if bucket >= first and bucket in counts:
            counts[bucket] += 1
    return [[start, counts[start]] for start in starts]


def _seen(events: list[StoredEvent]) -> dict[str, Any]:
    return {
        "count": str(len(events)),
        "userCount": len({e.user for e in events if e.user}),
        "firstSeen": iso(events[0].timestamp) if events else None,
        "lastSeen": iso(events[-1].timestamp) if events else None,
    }


def permalink(base_url: str, org_slug: str, issue: Issue) -> str:
    return f"{base_url}/organizations/{org_slug}/issues/{issue.id}/"


def serialize_issue_base(
    store: SandboxStore, issue: Issue, base_url: str, now: datetime, events: list[StoredEvent]
) -> dict[str, Any]:
    """GroupSerializer fields shared by list items, the detail and the PUT response."""
    project = store.project(issue.project_id)
    latest = issue.latest
    data: dict[str, Any] = {
        "id": str(issue.id),
        "shareId": None,
        "shortId": store.short_id(issue),
        "title": latest.digest.title,
        "culprit": latest.digest.culprit,
        "permalink": permalink(base_url, store.organization.slug, issue),
        "logger": latest.payload.get("logger") or None,
        "level": latest.digest.level,
        "status": issue.status,
        "statusDetails": dict(issue.status_details),
        "substatus": issue.effective_substatus(now),
        "isPublic": issue.is_public,
        "platform": latest.payload.get("platform") or (project.platform if project else None),
        "priority": issue.priority,
        "priorityLockedAt": None,
        "seerFixabilityScore": None,
        "seerAutofixLastTriggered": None,
        "seerExplorerAutofixLastTriggered": None,
        "project": {
            "id": issue.project_id,
            "name": project.name if project else "",
            "slug": project.slug if project else "",
            "platform": project.platform if project else None,
        },
        "type": latest.digest.event_type,
        "issueType": "error",
        "issueCategory": "error",
        "metadata": dict(latest.digest.metadata),
        "numComments": len(notes_of(issue)),
        "assignedTo": dict(issue.assigned_to) if issue.assigned_to else None,
        "isBookmarked": issue.is_bookmarked,
        "isSubscribed": issue.is_subscribed,
        "subscriptionDetails": None,
        "hasSeen": issue.has_seen,
        "annotations": [],
        "isUnhandled": any(e.digest.is_unhandled for e in issue.events),
    }
    data.update(_seen(events))
    return data


def serialize_owners(store: SandboxStore, issue: Issue) -> list[dict[str, Any]] | None:
    """`owners` under `expand=owners`: `[{"type", "owner", "date_added"}]`, null for an issue nobody owns."""
    project = store.project(issue.project_id)
    owners = issue_owners(issue, project.slug, store.ownership, store.directory) if project else []
    return [{"type": kind, "owner": who, "date_added": iso(when)} for kind, who, when in owners] or None


def _inbox(issue: Issue, now: datetime) -> dict[str, Any] | None:
    if issue.status != "unresolved":
        return None
    substatus = issue.effective_substatus(now) or "ongoing"
    return {
        "reason": INBOX_REASONS.get(substatus, 6),
        "reason_details": None,
        "date_added": iso(issue.first_seen if substatus in ("new", "ongoing") else issue.latest.received),
    }


def serialize_issue_stream(
    store: SandboxStore,
    issue: Issue,
    base_url: str,
    now: datetime,
    window: EventWindow,
    spec: StatsSpec | None,
    filtered_events: list[StoredEvent] | None,
    expand: frozenset[str] = frozenset(),
) -> dict[str, Any]:
    """An item of `GET organizations/{org}/issues/`; counts cover the search window; `expand=owners` fills `owners`."""
    in_env = [e for e in issue.events if EventWindow(environments=window.environments).matches(e)]
    in_window = [e for e in in_env if window.matches(e)]
    data = serialize_issue_base(store, issue, base_url, now, in_window)
    if spec is not None:
        data["stats"] = {spec.key: series(in_env, spec, now)}
    data.update(
        {
            "lifetime": {**_seen(in_env), "stats": None},
            "filtered": (
                {**_seen(filtered_events), "stats": {spec.key: series(filtered_events, spec, now)} if spec else {}}
                if filtered_events is not None
                else None
            ),
            "inbox": _inbox(issue, now),
            "owners": serialize_owners(store, issue) if "owners" in expand else None,
            "integrationIssues": [],
            "sentryAppIssues": [],
            "latestEventHasAttachments": False,
            "matchingEventId": None,
            "matchingEventEnvironment": None,
            "sessionCount": 0,
            "derivedData": {
                "blocker": "none",
                "progress": "not_started",
                "status": "open" if issue.status == "unresolved" else issue.status,
                "viewCount": 1 if issue.has_seen else 0,
                "hasOpenFixPr": False,
                "isAssigned": issue.assigned_to is not None,
                "hasRootCause": False,
                "lastCompletedAutofixStep": "none",
                "lastProgressedAt": None,
            },
        }
    )
    return data


def _owner_user(store: SandboxStore) -> dict[str, Any] | None:
    """The organization's owner: the one user `seenBy` and `participants` name (the sandbox keeps no per-user
    seen and subscribed marks)."""
    member = next((m for m in store.directory.members if m.role == OWNER and m.user_id), None)
    user = store.directory.user_by_id(member.user_id) if member is not None else None
    return serialize_user(user) if user is not None else None


def serialize_issue_detail(
    store: SandboxStore,
    issue: Issue,
    base_url: str,
    now: datetime,
    environments: frozenset[str],
    expand: frozenset[str] = frozenset(),
) -> dict[str, Any]:
    """`GET organizations/{org}/issues/{id}/`: base fields, 24h/30d stats, releases, tags, activity (notes
    included), and `owners` under `expand=owners`."""
    events = [e for e in issue.events if EventWindow(environments=environments).matches(e)]
    data = serialize_issue_base(store, issue, base_url, now, events)
    releases = [store.release(e.release) for e in events if e.release]
    known = [r for r in releases if r is not None]
    owner = _owner_user(store)
    if "owners" in expand:
        data["owners"] = serialize_owners(store, issue)
    data.update(
        {
            "stats": {
                "24h": series(events, StatsSpec("24h", HOUR, 24), now),
                "30d": series(events, StatsSpec("30d", DAY, 30), now),
            },
            "firstRelease": serialize_release(known[0], store) if known else None,
            "lastRelease": serialize_release(known[-1], store) if known else None,
            "tags": [tag.serialize(TOP_VALUES_PER_KEY) for _key, tag in sorted(tag_keys(events).items())],
            "activity": [serialize_activity(store, entry) for entry in issue.activity],
            "openPeriods": [],
            "seenBy": [owner] if issue.has_seen and owner else [],
            "participants": [owner] if (issue.assigned_to or issue.is_subscribed) and owner else [],
            "pluginActions": [],
            "pluginIssues": [],
            "pluginContexts": [],
            "userReportCount": 0,
        }
    )
    return data
