"""How an issue's state moves on its own: its first priority, regression, and the end of a snooze."""

from __future__ import annotations

from datetime import datetime, timedelta

from .grouping import EventDigest
from .models import ESCALATION_EVENTS, Issue, StoredEvent

# The changes a user asks for (`PUT .../issues/{id}/`) are in `issue_updates.py`; these are the ones
# Sentry makes itself, when an event arrives or time passes.


def initial_priority(digest: EventDigest) -> str:
    """The priority of a new issue: high for fatal or unhandled errors, medium for errors and warnings, else low."""
    if digest.level == "fatal" or (digest.level == "error" and digest.is_unhandled):
        return "high"
    if digest.level in ("error", "warning"):
        return "medium"
    return "low"


def apply_new_event(issue: Issue, event: StoredEvent, now: datetime) -> None:
    """Reopen `issue` on `event`: a resolved issue regresses, an archived one whose condition is met comes back."""
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


def end_passed_snooze(issue: Issue, now: datetime) -> None:
    """Un-archive `issue` when its `ignoreUntil` has passed (Sentry does this in a periodic task)."""
    snooze = issue.snooze
    if issue.status == "ignored" and snooze is not None and snooze.until is not None and now >= snooze.until:
        issue.status, issue.substatus, issue.status_details = "unresolved", "ongoing", {}
        issue.snooze = None
        issue.add_activity("set_unresolved", {}, now)


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
