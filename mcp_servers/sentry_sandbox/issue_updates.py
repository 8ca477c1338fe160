"""`PUT .../issues/{id}/`: the resolve / archive / unresolve / assign recipes of REFERENCE §5a."""

from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta
from typing import Any

from .models import NEW_ISSUE_DAYS, Issue, Snooze
from .serialize_orgs import SANDBOX_TEAM, SANDBOX_USER_EMAIL, SANDBOX_USER_ID, SANDBOX_USER_NAME, serialize_user
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


def _assignee(value: Any) -> dict[str, Any] | None:
    if value in (None, ""):
        return None
    text = str(value).strip()
    if text in (f"user:{SANDBOX_USER_ID}", SANDBOX_USER_ID, SANDBOX_USER_EMAIL, "me"):
        return {"type": "user", "id": SANDBOX_USER_ID, "name": SANDBOX_USER_NAME, "email": SANDBOX_USER_EMAIL}
    if text in (f"team:{SANDBOX_TEAM['id']}", f"#{SANDBOX_TEAM['slug']}"):
        return {"type": "team", "id": SANDBOX_TEAM["id"], "name": SANDBOX_TEAM["slug"]}
    raise UpdateError({"assignedTo": ["Unknown actor input"]})


def _resolve(store: SandboxStore, issue: Issue, status: str, details: dict[str, Any], now: datetime) -> None:
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
        issue.status_details = {"inRelease": version, "actor": serialize_user()}
        issue.resolved_releases = frozenset(versions[: versions.index(version) + 1])
        issue.add_activity("set_resolved_in_release", {"version": version}, now)
        return
    if next_release and versions:
        issue.status_details = {"inNextRelease": True, "actor": serialize_user()}
        issue.resolved_releases = frozenset(versions)
        issue.add_activity("set_resolved_in_release", {"version": ""}, now)
        return
    if details.get("inNextRelease"):
        raise UpdateError({"statusDetails": {"inNextRelease": [NO_RELEASE_DATA]}})
    if details.get("inCommit"):
        issue.status_details = {"inCommit": details["inCommit"], "actor": serialize_user()}
        issue.add_activity("set_resolved_in_commit", {"commit": details["inCommit"]}, now)
        return
    issue.add_activity("set_resolved", {}, now)


def _ignore(issue: Issue, substatus: str | None, details: dict[str, Any], now: datetime) -> None:
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
        issue.status_details = {**shown, "actor": serialize_user()}
    elif substatus == "archived_until_escalating":
        snooze.until_escalating = True
        issue.substatus, issue.snooze, issue.status_details = "archived_until_escalating", snooze, {}
    else:
        issue.substatus, issue.snooze, issue.status_details = "archived_forever", None, {}
    issue.add_activity("set_ignored", dict(shown), now)


def apply_issue_update(store: SandboxStore, issue: Issue, body: Any, now: datetime) -> None:
    """Validate and apply a PUT body to `issue`; raises UpdateError (400) without changing anything."""
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
    assignee = _assignee(body["assignedTo"]) if "assignedTo" in body else issue.assigned_to
    if status is None and substatus is not None:
        status = "ignored" if substatus.startswith("archived") else "unresolved"

    # Work on a copy so that a validation error leaves the issue untouched.
    draft = dataclasses.replace(issue, activity=list(issue.activity), status_details=dict(issue.status_details))
    if status in ("resolved", "resolvedInNextRelease", "resolvedInUpcomingRelease"):
        _resolve(store, draft, status, details, now)
    elif status in ("ignored", "muted"):
        _ignore(draft, substatus, details, now)
    elif status == "unresolved":
        recent = draft.first_seen >= now - timedelta(days=NEW_ISSUE_DAYS)
        draft.status, draft.status_details, draft.snooze, draft.resolved_releases = "unresolved", {}, None, None
        draft.substatus = (
            substatus
            if substatus in ("ongoing", "new", "escalating", "regressed")
            else ("new" if recent else "ongoing")
        )
        draft.add_activity("set_unresolved", {}, now)
    if "priority" in body:
        draft.priority = body["priority"]
    if "assignedTo" in body:
        if assignee != draft.assigned_to:
            draft.add_activity("assigned" if assignee else "unassigned", {"assignee": assignee}, now)
        draft.assigned_to = assignee
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
