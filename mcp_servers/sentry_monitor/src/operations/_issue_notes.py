"""An issue's latest notes, as get-issue-details shows them: one compact line each, newest first.

Sentry keeps an issue's notes in its detail's `activity` (items of type `note`, `data.text`, `user`), so they cost
no request; GlitchTip keeps none there and serves them as comments at `issues/{id}/comments/` (one request, made
beside the others; when it fails the details go on without them, saying so).
"""

from __future__ import annotations

import re
from collections.abc import Awaitable

from ..base.errors import NotFound
from ..sentry import models
from ..sentry.kinds import ServerKind
from ..sentry.responses import ApiResponse
from ..shared.results import text, to_seconds
from .operation import OperationContext

MAX_NOTES = 3
NOTE_CHARS = 300
_SPACES = re.compile(r"\s+")


def comment_reads(ctx: OperationContext, kind: ServerKind, issue_id: str) -> list[Awaitable[ApiResponse]]:
    """The request for the issue's notes where its detail does not carry them (GlitchTip); none on Sentry."""
    return [] if kind.notes_in_activity else [ctx.api.issue_comments(issue_id)]


def latest_notes(ctx: OperationContext, issue: models.Issue, comments: ApiResponse | Exception | None) -> list[str]:
    """The issue's last MAX_NOTES notes, newest first, from its activity or (`comments` not None) the comments read."""
    if comments is None:
        notes = [models.Note.model_validate(item) for item in issue.activity if item.get("type") == "note"]
    else:
        response = ctx.without(comments, "The issue's notes (comments)", also=(NotFound,))
        if response is None:
            return []
        notes = [models.Note.model_validate(row) for row in response.json_list("the issue's comments")]
    notes = [note for note in notes if note.text]
    notes.sort(key=lambda note: to_seconds(note.date_created) or "", reverse=True)
    return [note_line(note) for note in notes[:MAX_NOTES]]


def note_line(note: models.Note) -> str:
    """`2026-12-02T10:04:05Z ann@example.com: the text, on one line, cut to NOTE_CHARS`."""
    said = text(_SPACES.sub(" ", note.text or "").strip(), NOTE_CHARS) or ""
    return f"{to_seconds(note.date_created) or '?'} {note.author or '(unknown)'}: {said}"


def note_lines(notes: list[str]) -> list[str]:
    """How get-issue-details' text shows the notes: a heading and one indented line each."""
    if not notes:
        return []
    return ["  notes, newest first:", *(f"    {note}" for note in notes)]
