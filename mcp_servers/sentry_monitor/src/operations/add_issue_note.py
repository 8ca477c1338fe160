"""add-issue-note: add a note (GlitchTip: a comment) to one issue, in one POST that is never sent twice."""

from __future__ import annotations

import anyio
from pydantic import Field

from mcp_servers.framework.contracts import SideEffect

from ..base.errors import BadUpstreamResponse, MissingScope, ResponseTooLarge, SentryMonitorError, TransientError
from ..sentry import models
from ..shared.results import Result, text
from ._issue_scope import read_allowed_issue
from ._params import IssueIdParams
from .operation import Operation, OperationContext

MAX_NOTE_CHARS = 5_000
SIDE_EFFECT_TEXT_CHARS = 200
NO_USER = "Key doesn't have permission"  # Sentry's 403 for a token that acts as no user


class AddIssueNoteParams(IssueIdParams):
    text: str = Field(min_length=1, max_length=MAX_NOTE_CHARS, description="The note (Markdown), 1-5000 chars.")


class AddedNote(Result):
    note_id: str = Field(description="The new note's id (to find or delete it in Sentry's web UI).")
    issue_id: str
    short_id: str | None = None
    author: str | None = None


async def add_issue_note(ctx: OperationContext, params: AddIssueNoteParams) -> AddedNote:
    issue = await read_allowed_issue(ctx, params.issue_id)
    ident, label = issue.short_id or issue.id, ctx.api.issue_label(issue.short_id, issue.id)
    try:
        response = await ctx.api.add_note(issue.id, params.text)
    except MissingScope as refused:
        if NO_USER not in refused.message:
            raise
        raise MissingScope(
            "Sentry adds notes only for a token that acts as a user, and this token has none (an internal "
            "integration's or an organization's): nothing was added.",
            recovery="Use a user auth token (Settings > Account > API > Auth Tokens) with event:write.",
            status_code=refused.details.get("status_code"),
            required_scope="event:write",
        ) from None
    except (TransientError, BadUpstreamResponse, ResponseTooLarge, anyio.get_cancelled_exc_class()) as cut:
        ctx.warn(_unknown(ident, label, "the request was sent once and got no answer"))
        if isinstance(cut, SentryMonitorError):  # not "retry later": a second call could add the note twice
            cut.recovery = f"Look for the note with get-issue-details(issue_id='{label}') before calling again."
            cut.details["may_have_applied"] = True
        raise
    try:
        note = models.Note.model_validate(response.json_object("the note"))
    except BadUpstreamResponse:
        ctx.warn(_unknown(ident, label, f"Sentry accepted it ({response.status_code}) but its answer names no note"))
        raise
    result = AddedNote(note_id=note.id, issue_id=issue.id, short_id=issue.short_id, author=note.author)
    ctx.side_effects.append(
        SideEffect(
            kind="issue_note_added",
            target=f"issue:{ident}",
            before=None,
            after={"note_id": note.id, "text": text(note.text or params.text, SIDE_EFFECT_TEXT_CHARS)},
            description=f"Added note {note.id} to {ident}.",
        )
    )
    web, noun = ("GlitchTip", "comment") if (await ctx.api.server_kind()).glitchtip else ("Sentry", "note")
    ctx.recommend(f"To undo, delete {noun} {note.id} in {web}'s web UI (the issue's activity); no tool deletes it.")
    ctx.recommend(f"The issue's latest notes: get-issue-details(issue_id='{label}').")
    return result


def _unknown(ident: str, label: str, why: str) -> str:
    return (
        f"The note to {ident} may or may not have been added: {why}. Check get-issue-details(issue_id='{label}') "
        "(its latest notes) before calling again: calling again could add it twice."
    )


def render_added_note(result: AddedNote) -> str:
    by = f" by {result.author}" if result.author else ""
    return f"Added note {result.note_id} to {result.short_id or result.issue_id}{by}."


OPERATION = Operation(
    name="add-issue-note",
    title="Add issue note",
    description=(
        "Add a note (comment) to one Sentry issue, e.g. findings or who is on it. Not idempotent: each call adds "
        "one. Returns the note id (side_effects has it). Needs event:write and a user's token."
    ),
    params=AddIssueNoteParams,
    result=AddedNote,
    handler=add_issue_note,
    render=render_added_note,
    scopes=("event:write",),
    read_only=False,
    destructive=False,
    idempotent=False,
)
