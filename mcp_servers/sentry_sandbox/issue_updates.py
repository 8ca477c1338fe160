"""`PUT .../issues/{id}/`: the resolve / archive / unresolve / assign recipes of REFERENCE §5a.

Changes are made by an acting user (`actor`, None for a token without a user): it is the `actor` of the
status details Sentry writes and the `user` of the activity recorded.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from .assignees import AssigneeError, resolve_assignee, serialize_actor
from .directory import Team, User
from .models import NEW_ISSUE_DAYS, Issue, Snooze
from .serialize_people import serialize_user
from .store import SandboxStore
from .times import iso

STATUSES = ("resolved", "resolvedInNextRelease", "resolvedInUpcomingRelease", "unresolved", "ignored", "muted")
SUBSTATUSES = (
    "archived_until_escalating",
    "archived_until_condition_met",
    "archived_forever",
    "escalating",
    "ongoing",
    "regressed",
    "new",
)
LEGACY_SUBSTATUS = {
    "until_escalating": "archived_until_escalating",
    "until_condition_met": "archived_until_condition_met",
    "forever": "archived_forever",
}
PRIORITIES = ("low", "medium", "high")
IGNORE_KEYS = ("ignoreDuration", "ignoreCount", "ignoreWindow", "ignoreUserCount", "ignoreUserWindow")
MAX_WINDOW_MINUTES = 10080
NO_RELEASE_DATA = "No release data present in the system to form a basis for 'Next Release'"


class UpdateError(ValueError):
    """A rejected update; `body` is the 400 response (DRF field errors or `detail`)."""

    def __init__(self, body: dict[str, Any]) -> None:
        super().__init__(str(body))
        self.body = body


def _choice_error(field: str, value: Any) -> UpdateError:
    return UpdateError({field: [f'"{value}" is not a valid choice.']})


def _positive_int(details: dict[str, Any], key: str, maximum: int | None = None) -> int | None:
    value = details.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | str) or not str(value).isdigit():
        raise UpdateError({"statusDetails": {key: ["A valid integer is required."]}})
    number = int(value)
    if number < 1:
        raise UpdateError({"statusDetails": {key: ["Ensure this value is greater than or equal to 1."]}})
    if maximum is not None and number > maximum:
        raise UpdateError({"statusDetails": {key: [f"Ensure this value is less than or equal to {maximum}."]}})
    return number


def _actor_details(actor: User | None) -> dict[str, Any]:
    """`{"actor": <user>}` in status details, when a user made the change (Sentry adds none otherwise)."""
    return {"actor": serialize_user(actor)} if actor is not None else {}


def _assignment_activity(assignee: User | Team | None) -> tuple[str, dict[str, Any]]:
    """Sentry's `assigned` activity (`GroupAssignee.objects.assign`) or `unassigned`."""
    if assignee is None:
        return "unassigned", {}
    kind = "team" if isinstance(assignee, Team) else "user"
    email = assignee.email if isinstance(assignee, User) else None
    return "assigned", {"assignee": assignee.id, "assigneeEmail": email, "assigneeType": kind}


def _resolve(
    store: SandboxStore, issue: Issue, status: str, details: dict[str, Any], now: datetime, actor: User | None
) -> None:
    user_id = actor.id if actor else None
    releases = store.project_releases(issue.project_id)
    versions = [r.version for r in releases]
    next_release = status in ("resolvedInNextRelease", "resolvedInUpcomingRelease") or details.get("inNextRelease")
    issue.status, issue.substatus, issue.snooze = "resolved", None, None
    issue.status_details, issue.resolved_releases = {}, None
    if details.get("inRelease"):
        wanted = str(details["inRelease"])
        version = versions[-1] if wanted == "latest" and versions else wanted
        if version not in versions:
            raise UpdateError({"statusDetails": {"inRelease": ["Unable to find the given release."]}})
        issue.status_details = {"inRelease": version, **_actor_details(actor)}
        issue.resolved_releases = frozenset(versions[: versions.index(version) + 1])
        issue.add_activity("set_resolved_in_release", {"version": version}, now, user_id)
        return
    if next_release and versions:
        issue.status_details = {"inNextRelease": True, **_actor_details(actor)}
        issue.resolved_releases = frozenset(versions)
        issue.add_activity("set_resolved_in_release", {"version": ""}, now, user_id)
        return
    if details.get("inNextRelease"):
        raise UpdateError({"statusDetails": {"inNextRelease": [NO_RELEASE_DATA]}})
    if details.get("inCommit"):
        issue.status_details = {"inCommit": details["inCommit"], **_actor_details(actor)}
        issue.add_activity("set_resolved_in_commit", {"commit": details["inCommit"]}, now, user_id)
        return
    issue.add_activity("set_resolved", {}, now, user_id)


def _ignore(issue: Issue, substatus: str | None, details: dict[str, Any], now: datetime, actor: User | None) -> None:
    duration = _positive_int(details, "ignoreDuration")
    count = _positive_int(details, "ignoreCount")
    window = _positive_int(details, "ignoreWindow", MAX_WINDOW_MINUTES)
    user_count = _positive_int(details, "ignoreUserCount")
    user_window = _positive_int(details, "ignoreUserWindow", MAX_WINDOW_MINUTES)
    issue.status, issue.resolved_releases = "ignored", None
    snooze = Snooze(started=now)
    shown: dict[str, Any] = {}
    if duration is not None:
        snooze.until = now + timedelta(minutes=duration)
        shown["ignoreUntil"] = iso(snooze.until)
    elif count is not None:
        snooze.count, snooze.window = count, window
        shown = {"ignoreCount": count, **({"ignoreWindow": window} if window else {})}
    elif user_count is not None:
        snooze.user_count, snooze.user_window = user_count, user_window
        shown = {"ignoreUserCount": user_count, **({"ignoreUserWindow": user_window} if user_window else {})}
    if shown:
        issue.substatus, issue.snooze = "archived_until_condition_met", snooze
        issue.status_details = {**shown, **_actor_details(actor)}
    elif substatus == "archived_until_escalating":
        snooze.until_escalating = True
        issue.substatus, issue.snooze, issue.status_details = "archived_until_escalating", snooze, {}
    else:
        issue.substatus, issue.snooze, issue.status_details = "archived_forever", None, {}
    issue.add_activity("set_ignored", dict(shown), now, actor.id if actor else None)


def apply_issue_update(
    store: SandboxStore,
    issue: Issue,
    body: Any,
    now: datetime,
    actor: User | None = None,
    assignee_projects: Iterable[str] | None = None,
) -> None:
    """Validate and apply a PUT body to `issue`, as `actor`; raises UpdateError (400) without changing anything.

    An assignee must be allowed on every project of `assignee_projects` (default: the issue's), as Sentry checks
    it against the projects of every issue a bulk update changes.
    """
    if not isinstance(body, dict):
        raise UpdateError({"detail": "Invalid request body: expected a JSON object."})
    status = body.get("status")
    if status is not None and status not in STATUSES:
        raise _choice_error("status", status)
    substatus = body.get("substatus")
    substatus = LEGACY_SUBSTATUS.get(substatus, substatus) if isinstance(substatus, str) else substatus
    if substatus is not None and substatus not in SUBSTATUSES:
        raise _choice_error("substatus", body.get("substatus"))
    if "priority" in body and body["priority"] not in PRIORITIES:
        raise _choice_error("priority", body["priority"])
    details = body.get("statusDetails", {})
    if details is None:
        details = {}
    if not isinstance(details, dict):
        raise UpdateError(
            {
                "statusDetails": {
                    "non_field_errors": [f"Invalid data. Expected a dictionary, but got {type(details).__name__}."]
                }
            }
        )
    details = {**{k: body[k] for k in IGNORE_KEYS if k in body}, **details}
    assignee: User | Team | None = None
    if "assignedTo" in body:
        projects = list(assignee_projects) if assignee_projects is not None else [issue.project_id]
        try:
            assignee = resolve_assignee(body["assignedTo"], store.directory, projects)
        except AssigneeError as exc:
            raise UpdateError({"assignedTo": [str(exc)]}) from exc
    if status is None and substatus is not None:
        status = "ignored" if substatus.startswith("archived") else "unresolved"

    # Work on a copy so that a validation error leaves the issue untouched.
    draft = dataclasses.replace(issue, activity=list(issue.activity), status_details=dict(issue.status_details))
    user_id = actor.id if actor else None
    if status in ("resolved", "resolvedInNextRelease", "resolvedInUpcomingRelease"):
        _resolve(store, draft, status, details, now, actor)
    elif status in ("ignored", "muted"):
        _ignore(draft, substatus, details, now, actor)
    elif status == "unresolved":
        recent = draft.first_seen >= now - timedelta(days=NEW_ISSUE_DAYS)
        draft.status, draft.status_details, draft.snooze, draft.resolved_releases = "unresolved", {}, None, None
        draft.substatus = (
            substatus
            if substatus in ("ongoing", "new", "escalating", "regressed")
            else ("new" if recent else "ongoing")
        )
        draft.add_activity("set_unresolved", {}, now, user_id)
    if "priority" in body:
        draft.priority = body["priority"]
    if "assignedTo" in body:
        assigned = serialize_actor(assignee) if assignee is not None else None
        if assigned != draft.assigned_to:
            kind, data = _assignment_activity(assignee)
            draft.add_activity(kind, data, now, user_id)
        draft.assigned_to = assigned
    for key, attribute in (
        ("hasSeen", "has_seen"),
        ("isBookmarked", "is_bookmarked"),
        ("isSubscribed", "is_subscribed"),
        ("isPublic", "is_public"),
    ):
        if key in body:
            if not isinstance(body[key], bool):
                raise UpdateError({key: ["Must be a valid boolean."]})
            setattr(draft, attribute, body[key])
    with store.lock:
        for name in ("status", "substatus", "status_details", "snooze", "resolved_releases", "priority"):
            setattr(issue, name, getattr(draft, name))
        for name in ("assigned_to", "has_seen", "is_bookmarked", "is_subscribed", "is_public", "activity"):
            setattr(issue, name, getattr(draft, name))
        for name in ("last_activity_id",):
            setattr(issue, name, getattr(draft, name))
