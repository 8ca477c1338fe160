"""Issue notes (comments): `GET/POST organizations/{org}/issues/{id}/notes/`, `PUT/DELETE .../notes/{note_id}/`.

Sentry's `GroupNotesEndpoint` and `GroupNotesDetailsEndpoint` (`sentry/issues/endpoints/group_notes.py`,
`group_notes_details.py`), which its web UI's issue activity calls; the legacy `issues/{id}/notes/` routes are the
same views. Not in the published OpenAPI spec. A note is an activity item of type `note` (see `activity.py`), so
it also shows in the issue detail's `activity`. Only a token acting as a user may write one ("Key doesn't have
permission to ..." otherwise), and one edits or deletes only one's own; deleting needs `event:admin`, as every
DELETE of an issue route does (`GroupPermission`). The note list pages newest first.
"""

from __future__ import annotations

from typing import Any

from starlette.responses import JSONResponse, Response

from .activity import NoteError, add_note, find_note, note_data, notes_of, serialize_activity
from .api_base import NOT_FOUND, ApiError, Ctx, int_param
from .directory import User
from .models import Issue
from .pagination import link_header, paginate, parse_cursor

MAX_PER_PAGE = 100


def _author(ctx: Ctx, action: str) -> User:
    if ctx.access.user is None:
        raise ApiError(403, {"detail": f"Key doesn't have permission to {action} Note"})
    return ctx.access.user


def _own_note(ctx: Ctx, issue: Issue, author: User) -> dict[str, Any]:
    note_id = ctx.path("note_id")
    note = find_note(issue, note_id, author) if note_id.isdigit() else None
    if note is None:
        raise ApiError(404, NOT_FOUND)
    return note


def _data(ctx: Ctx, issue: Issue) -> dict[str, Any]:
    try:
        return note_data(ctx.json_body(), ctx.store, issue)
    except NoteError as exc:
        raise ApiError(400, exc.body) from exc


def list_notes(ctx: Ctx, issue: Issue) -> Response:
    """`GET .../issues/{issue_id}/notes/`: newest first, paged."""
    per_page = min(MAX_PER_PAGE, max(1, int_param(ctx, "per_page", MAX_PER_PAGE, "Invalid per_page value.")))
    notes = notes_of(issue)
    page = paginate(len(notes), parse_cursor(ctx.params.get("cursor")), per_page)
    body = [serialize_activity(ctx.store, note) for note in notes[page.start : page.stop]]
    return JSONResponse(body, headers={"Link": link_header(ctx.state.base_url, ctx.request.url.path, ctx.params, page)})


def post_note(ctx: Ctx, issue: Issue) -> Response:
    """`POST .../issues/{issue_id}/notes/` with `{"text": ...}`: 201 and the note."""
    author = _author(ctx, "create")
    data = _data(ctx, issue)
    try:
        note = add_note(issue, data, author, ctx.now)
    except NoteError as exc:
        raise ApiError(400, exc.body) from exc
    return JSONResponse(serialize_activity(ctx.store, note), status_code=201)


def edit_note(ctx: Ctx, issue: Issue) -> Response:
    """`PUT .../issues/{issue_id}/notes/{note_id}/`: the edited note."""
    note = _own_note(ctx, issue, _author(ctx, "edit"))
    data = _data(ctx, issue)
    data.pop("mentions", None)  # Sentry keeps no mentions on an edited note
    edited = {**note, "data": {**note["data"], **data}}  # a new entry: snapshots share the old one
    issue.activity[issue.activity.index(note)] = edited
    return JSONResponse(serialize_activity(ctx.store, edited))


def delete_note(ctx: Ctx, issue: Issue) -> Response:
    """`DELETE .../issues/{issue_id}/notes/{note_id}/`: 204."""
    note = _own_note(ctx, issue, _author(ctx, "delete"))
    issue.activity.remove(note)
    return Response(status_code=204)
