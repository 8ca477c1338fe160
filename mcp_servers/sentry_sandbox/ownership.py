"""Who owns an issue: Sentry's ownership rules and suspect commits, as the `owners` of an issue (`expand=owners`).

Sentry writes a `GroupOwner` row when an event matches one of its project's ownership rules (type
`ownershipRule`) and when a commit of the release that brought the issue is suspected (`suspectCommit`); the
issue serializer shows them as `{"type", "owner": "user:<id>" | "team:<id>", "date_added"}`
(`sentry/models/groupowner.py`). Here the owners are read off the stored events with fixed rules, each owner
dated by the arrival of the first event that named it. Auto-assignment is off, as each project's ownership
setting may say, so owners never change `assignedTo`.

A rule is one line of Sentry's ownership syntax: `<matcher>:<glob> <owner> [<owner>...]`, matchers `path`
(a frame's filename or absolute path), `module`, `url` (the request URL) and `tags.<key>`; owners `#team-slug`
or a user's email.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from .directory import Directory
from .grouping import exception_values, frames_of
from .models import Issue, StoredEvent

OWNERSHIP_RULE, SUSPECT_COMMIT = "ownershipRule", "suspectCommit"


@dataclass(frozen=True)
class Ownership:
    """Ownership rules by project slug, and the author of the suspect commit of a release (by version)."""

    rules: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    release_authors: Mapping[str, str] = field(default_factory=dict)


def default_ownership() -> Ownership:
    """Payments to `backend-devs`, checkout to Ben, export jobs to `platform`; `backend@1.3.0`'s commit is Ana's."""
    return Ownership(
        rules={
            "backend": ("url:*/api/payments* #backend-devs", "url:*/api/checkout* ben@example.com"),
            "worker": ("tags.queue:exports #platform",),
        },
        release_authors={"backend@1.3.0": "ana@example.com"},
    )


def _matches(glob: str, values: list[str]) -> bool:
    pattern = glob.lower()
    return any(fnmatch.fnmatchcase(value.lower(), pattern) for value in values if value)


def _subjects(matcher: str, event: StoredEvent) -> list[str]:
    payload: dict[str, Any] = event.payload
    if matcher in ("path", "module"):
        frames = [f for value in exception_values(payload) for f in frames_of(value)]
        keys = ("filename", "abs_path") if matcher == "path" else ("module",)
        return [str(f.get(key) or "") for f in frames for key in keys]
    if matcher == "url":
        request = payload.get("request")
        return [str(request.get("url") or "")] if isinstance(request, dict) else []
    if matcher.startswith("tags."):
        return [value for key, value in event.tags if key == matcher[5:]]
    return []


def _owner_identifier(owner: str, directory: Directory) -> str | None:
    if owner.startswith("#"):
        team = directory.team(owner[1:])
        return f"team:{team.id}" if team is not None else None
    user = directory.user(owner)
    return f"user:{user.id}" if user is not None and directory.member_of(user.id) is not None else None


def issue_owners(
    issue: Issue, project_slug: str, ownership: Ownership, directory: Directory
) -> list[tuple[str, str, datetime]]:
    """The issue's owners as (type, owner identifier, date added), oldest first; empty when it has none."""
    found: dict[tuple[str, str], datetime] = {}
    events = sorted(issue.events, key=lambda e: (e.received, e.sequence))
    for rule in ownership.rules.get(project_slug, ()):
        matcher_glob, *owners = rule.split()
        matcher, _, glob = matcher_glob.partition(":")
        first = next((e for e in events if _matches(glob, _subjects(matcher, e))), None)
        if first is None:
            continue
        for owner in owners:
            identifier = _owner_identifier(owner, directory)
            if identifier is not None:
                found.setdefault((OWNERSHIP_RULE, identifier), first.received)
    author = ownership.release_authors.get(issue.events[0].release or "") if issue.events else None
    identifier = _owner_identifier(author, directory) if author else None
    if identifier is not None:
        found.setdefault((SUSPECT_COMMIT, identifier), events[0].received)
    return sorted(((kind, who, when) for (kind, who), when in found.items()), key=lambda row: (row[2], row[0]))
