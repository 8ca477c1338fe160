"""GlitchTip's JSON shapes (`apps/issue_events/schema.py`): issues, events, tag distributions, comments.

Times are written as Django's JSON encoder writes them (milliseconds, `Z`). Issue lists and details use
the camelCase aliases; a single issue's PUT answers without them (`share_id`, `status_details`, ...).
Event lists answer in snake_case (`event_id`, `date_created`), an event's detail in camelCase
(`eventID`, `dateCreated`, with `userReport`, `nextEventID`, `previousEventID`); both carry `message`
(the stored message, else the title) and the entries GlitchTip's `get_entries` builds from the stored
data: exception, breadcrumbs, message (the `logentry`), request.
"""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from typing import Any

from .directory import Directory
from .glitchtip_events import GlitchtipEvent
from .glitchtip_search import IssueView
from .store import SandboxStore
from .times import parse_datetime

DIGITS = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
FRAME_RENAMES = (("in_app", "inApp"), ("abs_path", "absPath"), ("colno", "colNo"))
REQUEST_FIELDS = ("api_target", "body_size", "cookies", "data", "env", "fragment", "method", "protocol", "url")
BREADCRUMB_FIELDS = ("type", "category", "message", "data", "level", "timestamp")


def django_time(moment: datetime) -> str:
    """`2026-12-01T23:52:34.956Z`: Django's `DjangoJSONEncoder` (milliseconds, UTC as `Z`)."""
    text = moment.astimezone(UTC).isoformat()
    if moment.microsecond:
        text = text[:23] + text[26:]
    return text.removesuffix("+00:00") + "Z"


def short_id(store: SandboxStore, view: IssueView) -> str:
    """`PROJECT-<counter in base 32, digits 0-9A-V>`."""
    project = store.project(view.issue.project_id)
    number, digits = view.issue.short_number, ""
    while number:
        number, rest = divmod(number, 32)
        digits = DIGITS[rest] + digits
    return f"{(project.slug if project else 'project').upper()}-{digits or '0'}"


def serialize_issue(
    store: SandboxStore, view: IssueView, base_url: str, matching_event: str | None = None, aliased: bool = True
) -> dict[str, Any]:
    """An item of the issue lists (`IssueSchema`); `aliased=False` gives the PUT answer's snake_case keys."""
    project = store.project(view.issue.project_id)
    slug = project.slug if project else ""
    first = view.first

    def key(camel: str, snake: str) -> str:
        return camel if aliased else snake

    return {
        "id": str(view.issue.id),
        "count": str(view.count),
        "type": first.type,
        "level": first.level,
        "status": view.issue.status,
        "project": {
            "id": view.issue.project_id,
            "platform": project.platform if project else None,
            "slug": slug,
            "name": project.name if project else "",
        },
        "shortId": short_id(store, view),
        "numComments": len(view.issue.comments),
        "stats": {"24h": []},
        key("shareId", "share_id"): None,
        "logger": None,
        "permalink": f"{base_url}/{slug}/issues/{view.issue.id}",
        key("statusDetails", "status_details"): {},
        key("subscriptionDetails", "subscription_details"): None,
        key("userCount", "user_count"): 0,
        key("matchingEventId", "matching_event_id"): matching_event,
        "firstSeen": django_time(view.first_seen),
        "lastSeen": django_time(view.last_seen),
        "title": first.title,
        "metadata": dict(first.metadata),
        "culprit": "",
    }


def serialize_issue_detail(store: SandboxStore, view: IssueView, base_url: str, aliased: bool = True) -> dict[str, Any]:
    """`GET issues/{id}/` and the PUT answers (`IssueDetailSchema`)."""
    return {**serialize_issue(store, view, base_url, aliased=aliased), "userReportCount": 0}


def _context_lines(frame: dict[str, Any]) -> list[list[Any]]:
    lineno, line = frame.get("lineNo"), frame.get("context_line")
    pre, post = frame.pop("pre_context", None), frame.pop("post_context", None)
    if lineno is None or (line is None and not (pre or post)):
        return []
    start = int(lineno) - len(pre or [])
    lines = [[start + i, text] for i, text in enumerate(pre or [])]
    lines.append([int(lineno), line])
    lines += [[int(lineno) + 1 + i, text] for i, text in enumerate(post or [])]
    return lines


def _exception_entry(exception: dict[str, Any]) -> dict[str, Any]:
    data = copy.deepcopy(exception)
    data["hasSystemFrames"] = False
    for value in data["values"]:
        for frame in (value.get("stacktrace") or {}).get("frames", []):
            if frame.get("in_app") is True:
                data["hasSystemFrames"] = True
            for old, new in FRAME_RENAMES:
                if old in frame:
                    frame[new] = frame.pop(old)
            if "lineno" in frame:
                frame["lineNo"] = frame.pop("lineno")
                frame["context"] = _context_lines(frame)
    return {"type": "exception", "data": data}


def _breadcrumbs_entry(breadcrumbs: dict[str, Any]) -> dict[str, Any]:
    values = []
    for crumb in breadcrumbs.get("values", []):
        item = {name: crumb.get(name) for name in BREADCRUMB_FIELDS}
        item["type"] = crumb.get("type", "default")
        item["level"] = crumb.get("level", "info")
        moment = parse_datetime(crumb.get("timestamp"))
        item["timestamp"] = django_time(moment) if moment else None
        values.append({**item, "event_id": None})
    return {"type": "breadcrumbs", "data": {"values": values}}


def _request_entry(request: dict[str, Any], aliased: bool) -> dict[str, Any]:
    data: dict[str, Any] = {name: request.get(name) for name in REQUEST_FIELDS}
    data["headers"] = request.get("headers")
    data["query_string"] = request.get("query_string")
    content_type = next((v for k, v in data["headers"] or [] if k == "Content-Type"), None)
    data["inferred_content_type"] = content_type
    if aliased:
        renames = {"api_target": "apiTarget", "body_size": "bodySize", "query_string": "query"}
        renames["inferred_content_type"] = "inferredContentType"
        data = {renames.get(k, k): v for k, v in data.items()}
    return {"type": "request", "data": data}


def entries(data: dict[str, Any], aliased: bool) -> list[dict[str, Any]]:
    """GlitchTip's `get_entries` of the stored event data."""
    found = []
    if data.get("exception"):
        found.append(_exception_entry(data["exception"]))
    if data.get("breadcrumbs"):
        found.append(_breadcrumbs_entry(data["breadcrumbs"]))
    if data.get("logentry"):
        found.append({"type": "message", "data": dict(data["logentry"])})
    elif data.get("message"):
        found.append({"type": "message", "data": {"formatted": data["message"]}})
    if data.get("request"):
        found.append(_request_entry(data["request"], aliased))
    return found


def serialize_event(event: GlitchtipEvent, aliased: bool) -> dict[str, Any]:
    """An event (`IssueEventSchema`): snake_case in lists, camelCase (`aliased`) in details."""
    stored, data = event.stored, event.data
    names = ("eventID", "projectID", "groupID", "dateCreated", "dateReceived") if aliased else ()
    event_id, project_id, group_id, created, received = names or (
        "event_id",
        "project_id",
        "group_id",
        "date_created",
        "date_received",
    )
    return {
        "platform": data.get("platform"),
        "errors": None,
        "id": stored.event_id,
        event_id: stored.event_id,
        project_id: int(stored.project_id),
        group_id: str(stored.issue_id),
        created: django_time(stored.timestamp),
        received: django_time(event.received),
        "dist": None,
        "culprit": event.culprit,
        "packages": data.get("modules"),
        "type": event.type,
        "message": event.message,
        "metadata": data.get("metadata", {"title": event.title}),
        "tags": [{"key": key, "value": value} for key, value in event.tags.items()],
        "entries": entries(data, aliased),
        "contexts": data.get("contexts"),
        "context": data.get("extra"),
        "user": data.get("user"),
        "sdk": data.get("sdk"),
        "title": event.title,
    }


def serialize_event_detail(
    event: GlitchtipEvent, previous: GlitchtipEvent | None, following: GlitchtipEvent | None
) -> dict[str, Any]:
    """An event's detail (`IssueEventDetailSchema`): the event and its neighbours by time received."""
    return {
        **serialize_event(event, aliased=True),
        "userReport": None,
        "nextEventID": following.stored.event_id if following else None,
        "previousEventID": previous.stored.event_id if previous else None,
    }


def serialize_tags(view: IssueView, key: str | None) -> list[dict[str, Any]]:
    """`GET issues/{id}/tags/` (`IssueTagSchema`): each tag key's values by count, most frequent first."""
    result = []
    for name in sorted(view.tags):
        if key is not None and name != key:
            continue
        counts = view.tags[name]
        top = sorted(counts.items(), key=lambda item: -item[1])
        result.append(
            {
                "topValues": [{"name": value, "value": value, "count": n, "key": name} for value, n in top],
                "uniqueValues": len(counts),
                "key": name,
                "name": name,
                "totalValues": sum(counts.values()),
            }
        )
    return result


def serialize_comment(comment: dict[str, Any], directory: Directory) -> dict[str, Any]:
    """A comment (`CommentSchema`): its author as `{id, email}` (`CommentUserSchema`), null without one."""
    user = directory.user_by_id(comment.get("user_id"))
    return {
        "data": {"text": comment["text"]},
        "type": "note",
        "dateCreated": django_time(comment["created"]),
        "user": {"id": user.id, "email": user.email} if user is not None else None,
        "id": comment["id"],
    }
