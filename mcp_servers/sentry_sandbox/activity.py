"""An issue's activity as Sentry shows it, and its notes: activity items of type `note` (`{"text": ...}`).

Sentry's `ActivitySerializer` writes each item as `{"id", "user", "type", "data", "dateCreated"}`, `user` the
serialized user who acted (null for what Sentry did itself) and a note's `mentions` left out of `data`. A note is
posted through `NoteSerializer` (`sentry/api/serializers/rest_framework/group_notes.py`): `text` a required,
non-blank string, `mentions` optional actor identifiers of the issue's project.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from .assignees import AssigneeError, resolve_assignee
from .directory import User
from .models import Issue
from .serialize_people import serialize_user
from .store import SandboxStore
from .times import iso

NOTE = "note"
DUPLICATE_WINDOW = timedelta(hours=1)
DUPLICATE_NOTE = "You have already posted that comment."


class NoteError(ValueError):
    """A note Sentry refuses: `body` is its 400 answer."""

    def __init__(self, body: dict[str, Any]) -> None:
        super().__init__(str(body))
        self.body = body


def serialize_activity(store: SandboxStore, entry: dict[str, Any]) -> dict[str, Any]:
    """One activity item; a note's `data` without its `mentions`."""
    user = store.directory.user_by_id(entry.get("user_id"))
    data = {k: v for k, v in entry["data"].items() if k != "mentions"} if entry["type"] == NOTE else entry["data"]
    return {
        "id": entry["id"],
        "user": serialize_user(user) if user is not None else None,
        "type": entry["type"],
        "data": data,
        "dateCreated": iso(entry["when"]),
    }


def notes_of(issue: Issue) -> list[dict[str, Any]]:
    """The issue's notes, newest first."""
    return [entry for entry in issue.activity if entry["type"] == NOTE]


def _text(body: dict[str, Any]) -> str:
    if "text" not in body:
        raise NoteError({"text": ["This field is required."]})
    text = body["text"]
    if text is None:
        raise NoteError({"text": ["This field may not be null."]})
    if isinstance(text, bool) or not isinstance(text, str | int | float):
        raise NoteError({"text": ["Not a valid string."]})
    text = str(text).strip()  # DRF's CharField trims whitespace
    if not text:
        raise NoteError({"text": ["This field may not be blank."]})
    return text


def _mentions(body: dict[str, Any], store: SandboxStore, issue: Issue) -> list[str]:
    raw = body.get("mentions", [])
    if not isinstance(raw, list):
        raise NoteError({"mentions": [f'Expected a list of items but got type "{type(raw).__name__}".']})
    for mention in raw:
        try:
            resolve_assignee(mention, store.directory, [issue.project_id])
        except AssigneeError as exc:
            team = isinstance(mention, str) and mention.startswith("team:")
            message = "Mentioned team not found" if team else "Cannot mention a non team member"
            raise NoteError({"mentions": [message if "Cannot" in str(exc) else str(exc)]}) from exc
    return [str(mention) for mention in raw]


def note_data(body: Any, store: SandboxStore, issue: Issue) -> dict[str, Any]:
    """A note's `data` from a POST or PUT body; raises NoteError (400) for one Sentry refuses."""
    if not isinstance(body, dict):
        kind = type(body).__name__
        raise NoteError({"non_field_errors": [f"Invalid data. Expected a dictionary, but got {kind}."]})
    data: dict[str, Any] = {"text": _text(body)}
    if "mentions" in body:
        data["mentions"] = _mentions(body, store, issue)
    return data


def add_note(issue: Issue, data: dict[str, Any], author: User, now: datetime) -> dict[str, Any]:
    """Keep a note by `author`; raises NoteError when they posted the same in the last hour."""
    for entry in notes_of(issue):
        if entry.get("user_id") == author.id and entry["data"] == data and entry["when"] >= now - DUPLICATE_WINDOW:
            raise NoteError({"detail": DUPLICATE_NOTE})
    return issue.add_activity(NOTE, data, now, author.id)


def find_note(issue: Issue, note_id: str, author: User) -> dict[str, Any] | None:
    """The note `note_id` of the issue written by `author` (Sentry lets one edit and delete only one's own)."""
    return next((e for e in notes_of(issue) if e["id"] == note_id and e.get("user_id") == author.id), None)
