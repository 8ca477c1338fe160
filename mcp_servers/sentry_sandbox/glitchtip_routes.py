"""The API routes the `glitchtip` flavor answers as GlitchTip does (handlers; `flavor_glitchtip.py` routes them).

Issues by numeric id only; lists paged by `limit` and `cursor` (`glitchtip_paging.py`, `per_page` is
ignored) and searched as `glitchtip_search.py` says; writes set `status` only (`unresolved`, `resolved`,
`ignored`: no ignore conditions, no release, no assignee); comments; an issue's tag distributions; an
issue's events by UUID (`latest` too; other words such as `oldest` and `recommended` are a 422);
`stats_v2`; and the two routes that need no token: `GET /api/0/` (the caller's user and token, raw token
included) and `GET /api/settings/`.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from pydantic import TypeAdapter, ValidationError
from starlette.requests import Request
from starlette.responses import Response

from .api_base import ApiError, Ctx, Handler, state_of
from .directory import User
from .glitchtip_events import GlitchtipEvent
from .glitchtip_pages import GlitchtipJSON, ServerError, server_error
from .glitchtip_paging import Ordering, paged_response
from .glitchtip_search import IssueView, issue_view, ordering, parse_filters, select
from .glitchtip_serialize import (
    django_time,
    serialize_comment,
    serialize_event,
    serialize_event_detail,
    serialize_issue,
    serialize_issue_detail,
    serialize_tags,
)
from .glitchtip_stats import compute, parse_query
from .models import Issue

NOT_FOUND = {"detail": "Not Found"}
STATUSES = ("unresolved", "resolved", "ignored")
TOKEN_SCOPES = (
    "project:read", "project:write", "project:admin", "project:releases", "team:read", "team:write", "team:admin",
    "event:read", "event:write", "event:admin", "org:read", "org:write", "org:admin", "member:read",
    "member:write", "member:admin",
)  # fmt: skip
VERSION = "0.0.0-unknown"  # GLITCHTIP_VERSION when the image does not set it
_UUID = TypeAdapter(uuid.UUID)
EVENTS_BY_RECEIVED = Ordering("-received", lambda e: str(e.received), lambda e: e.received, datetime.fromisoformat)
COMMENTS_NEWEST_FIRST = Ordering(
    "-created", lambda c: str(c["created"]), lambda c: c["created"], datetime.fromisoformat
)


def django_view(handler: Handler) -> Handler:
    """`handler`, with a failure answered by Django's HTML 500."""

    def answer(ctx: Ctx) -> Response:
        try:
            return handler(ctx)
        except ServerError:
            return server_error()

    answer.__name__ = handler.__name__
    return answer


def _view(ctx: Ctx) -> IssueView:
    issue = ctx.store.issue(int(ctx.path("issue_id")))
    if issue is None:
        raise ApiError(404, NOT_FOUND)
    return issue_view(issue)


def _issue_list(ctx: Ctx, issues: list[Issue]) -> Response:
    filters, sort = parse_filters(ctx, with_sort=True)
    views = select([issue_view(i) for i in issues], filters)
    base = ctx.state.base_url
    response = paged_response(
        ctx.request, views, ordering(sort), lambda v: serialize_issue(ctx.store, v, base, filters.event_id)
    )
    if filters.event_id is not None:
        response.headers["X-Sentry-Direct-Hit"] = "1"
    return response


def list_org_issues(ctx: Ctx) -> Response:
    """`GET organizations/{org}/issues/`."""
    return _issue_list(ctx, ctx.store.issues())


def list_project_issues(ctx: Ctx) -> Response:
    """`GET projects/{org}/{project}/issues/`: an unknown project slug lists nothing."""
    project = ctx.store.project(ctx.path("project"))
    if project is None or project.slug != ctx.path("project"):
        return _issue_list(ctx, [])
    return _issue_list(ctx, [i for i in ctx.store.issues() if i.project_id == project.id])


def get_issue(ctx: Ctx) -> Response:
    """`GET issues/{id}/`."""
    return GlitchtipJSON(serialize_issue_detail(ctx.store, _view(ctx), ctx.state.base_url))


def _status(ctx: Ctx) -> str | None:
    body = ctx.json_body()
    status = body.get("status") if isinstance(body, dict) else None
    if status is not None and status not in STATUSES:
        expected = "'unresolved', 'resolved' or 'ignored'"
        problem = {"type": "enum", "loc": ["body", "payload", "status"], "msg": f"Input should be {expected}"}
        raise ApiError(422, {"detail": [{**problem, "ctx": {"expected": expected}}]})
    return status


def _set_status(issue: Issue, status: str) -> None:
    """Only the status changes: no ignore condition nor release is kept, so a resolved issue regresses on any
    new event and an ignored one stays ignored."""
    issue.status, issue.status_details, issue.snooze, issue.resolved_releases = status, {}, None, None
    issue.substatus = None if status != "unresolved" else "ongoing"


def update_issue(ctx: Ctx) -> Response:
    """`PUT issues/{id}/` and `PUT organizations/{org}/issues/{id}/`: the issue, keys in snake_case."""
    view = _view(ctx)
    status = _status(ctx)
    if status is None:
        raise ServerError("EventStatus.from_string(None) is None: the status column cannot be null")
    _set_status(view.issue, status)
    return GlitchtipJSON(serialize_issue_detail(ctx.store, view, ctx.state.base_url, aliased=False))


def bulk_update_issues(ctx: Ctx) -> Response:
    """`PUT organizations/{org}/issues/?id=..`: every issue the filters and query match (all without any)."""
    filters, _sort = parse_filters(ctx, with_sort=False)
    status = _status(ctx)
    body = ctx.json_body()
    merge = body.get("merge") if isinstance(body, dict) else None
    if merge is not None:
        raise ApiError(400, {"detail": "The sandbox does not merge issues."})
    if status is not None:
        for view in select([issue_view(i) for i in ctx.store.issues()], filters):
            _set_status(view.issue, status)
    return GlitchtipJSON({"status": status, "merge": None})


def list_issue_events(ctx: Ctx) -> Response:
    """`GET issues/{id}/events/`: newest received first, snake_case keys."""
    view = _view(ctx)
    return paged_response(ctx.request, view.events, EVENTS_BY_RECEIVED, lambda e: serialize_event(e, aliased=False))


def _detail(events: list[GlitchtipEvent], event: GlitchtipEvent) -> Response:
    """The event with the events received right before and right after it."""
    earlier = [e for e in events if e.received < event.received]
    later = [e for e in events if e.received > event.received]
    previous = max(earlier, key=lambda e: e.received) if earlier else None
    following = min(later, key=lambda e: e.received) if later else None
    return GlitchtipJSON(serialize_event_detail(event, previous, following))


def latest_issue_event(ctx: Ctx) -> Response:
    """`GET issues/{id}/events/latest/`: the last event received (no next event)."""
    view = _view(ctx)
    latest = view.events[-1]
    earlier = [e for e in view.events if e.received < latest.received]
    return GlitchtipJSON(serialize_event_detail(latest, earlier[-1] if earlier else None, None))


def _event_id(ctx: Ctx) -> str:
    raw = ctx.path("event_id")
    try:
        return _UUID.validate_python(raw).hex
    except ValidationError as exc:
        wrong = next(((i, c) for i, c in enumerate(raw) if c not in "0123456789abcdefABCDEF-"), None)
        if wrong is not None:  # pydantic-core's wording in GlitchTip's lock
            expected = "expected an optional prefix of `urn:uuid:` followed by [0-9a-fA-F-]"
            error = f"invalid character: {expected}, found `{wrong[1]}` at {wrong[0] + 1}"
            problem = {
                "type": "uuid_parsing",
                "loc": ["path", "event_id"],
                "msg": f"Input should be a valid UUID, {error}",
            }
            raise ApiError(422, {"detail": [{**problem, "ctx": {"error": error}}]}) from exc
        problems = [
            {
                "type": error["type"],
                "loc": ["path", "event_id"],
                "msg": error["msg"],
                **({"ctx": {k: str(v) for k, v in error["ctx"].items()}} if error.get("ctx") else {}),
            }
            for error in exc.errors()
        ]
        raise ApiError(422, {"detail": problems}) from exc


def get_issue_event(ctx: Ctx) -> Response:
    """`GET issues/{id}/events/{event_id}/`: event ids are UUIDs (any other word is a 422)."""
    event_id = _event_id(ctx)
    view = _view(ctx)
    event = next((e for e in view.events if e.stored.event_id == event_id), None)
    if event is None:
        raise ApiError(404, NOT_FOUND)
    return _detail(view.events, event)


def get_project_event(ctx: Ctx) -> Response:
    """`GET projects/{org}/{project}/events/{event_id}/`: neighbours among the project's events."""
    event_id = _event_id(ctx)
    project = ctx.store.project(ctx.path("project"))
    if project is None or project.slug != ctx.path("project"):
        raise ApiError(404, NOT_FOUND)
    stored = ctx.store.event(event_id)
    issue = ctx.store.issue(stored.issue_id) if stored is not None and stored.project_id == project.id else None
    if issue is None:
        raise ApiError(404, NOT_FOUND)
    events = [e for i in ctx.store.issues() if i.project_id == project.id for e in issue_view(i).events]
    events.sort(key=lambda e: e.received)
    return _detail(events, next(e for e in events if e.stored.event_id == event_id))


def issue_tags(ctx: Ctx) -> Response:
    """`GET issues/{id}/tags/` (`?key=` for one tag)."""
    return GlitchtipJSON(serialize_tags(_view(ctx), ctx.params.get("key")))


def list_comments(ctx: Ctx) -> Response:
    """`GET issues/{id}/comments/`: an unknown issue has none."""
    issue = ctx.store.issue(int(ctx.path("issue_id")))
    comments = list(issue.comments) if issue is not None else []
    directory = ctx.store.directory
    return paged_response(ctx.request, comments, COMMENTS_NEWEST_FIRST, lambda c: serialize_comment(c, directory))


def _comment_text(ctx: Ctx) -> str:
    """The `data.text` of a comment body (`PostCommentSchema`); 422 as django-ninja when missing."""
    body = ctx.json_body()
    data = body.get("data") if isinstance(body, dict) else None
    if not isinstance(data, dict) or not isinstance(data.get("text"), str):
        loc = ["body", "payload", "data"] if not isinstance(data, dict) else ["body", "payload", "data", "text"]
        raise ApiError(422, {"detail": [{"type": "missing", "loc": loc, "msg": "Field required"}]})
    text: str = data["text"]
    return text


def add_comment(ctx: Ctx) -> Response:
    """`POST issues/{id}/comments/` with `{"data": {"text": ...}}`: 201 and the comment, by the token's user."""
    text = _comment_text(ctx)
    issue = ctx.store.issue(int(ctx.path("issue_id")))
    if issue is None:
        raise ApiError(400, {"detail": "Issue does not exist"})
    user_id = ctx.access.user.id if ctx.access.user is not None else None
    comment = ctx.store.add_comment(issue, text, ctx.now, user_id)
    return GlitchtipJSON(serialize_comment(comment, ctx.store.directory), status_code=201)


def _comment(ctx: Ctx) -> tuple[Issue, int]:
    """The issue and the index of the comment of the path; 400 "Comment does not exist" otherwise (any
    member's comment: GlitchTip does not check who wrote it)."""
    issue = ctx.store.issue(int(ctx.path("issue_id")))
    comment_id = int(ctx.path("comment_id"))
    index = next((i for i, c in enumerate(issue.comments) if c["id"] == comment_id), None) if issue else None
    if issue is None or index is None:
        raise ApiError(400, {"detail": "Comment does not exist"})
    return issue, index


def update_comment(ctx: Ctx) -> Response:
    """`PUT issues/{id}/comments/{comment_id}/` with `{"data": {"text": ...}}`: the comment."""
    text = _comment_text(ctx)
    issue, index = _comment(ctx)
    issue.comments[index] = {**issue.comments[index], "text": text}  # a new dict: snapshots share the old one
    return GlitchtipJSON(serialize_comment(issue.comments[index], ctx.store.directory))


def delete_comment(ctx: Ctx) -> Response:
    """`DELETE issues/{id}/comments/{comment_id}/` (`event:admin`): 204."""
    issue, index = _comment(ctx)
    del issue.comments[index]
    return Response(status_code=204)


def stats_v2(ctx: Ctx) -> Response:
    """`GET organizations/{org}/stats_v2/`."""
    return GlitchtipJSON(compute(ctx, parse_query(ctx)))


# -- routes without a token -------------------------------------------------------------------------


def _user(user: User) -> dict[str, Any]:
    options = {"timezone": None, "stacktraceOrder": None, "language": None, "clock24Hours": None}
    return {
        "id": user.id,
        "options": {**options, "preferredTheme": None},
        "username": user.username,
        "dateJoined": user.date_joined,
        "email": user.email,
        "hasPasswordAuth": True,
        "identities": [],
        "lastLogin": None,
        "isSuperuser": False,
        "isActive": True,
        "name": user.name,
    }


async def api_root(request: Request) -> Response:
    """`GET /api/0/`: the user and token of an `Authorization: Bearer` token, the raw token included."""
    state = state_of(request)
    scheme, _, value = request.headers.get("authorization", "").partition(" ")
    token = state.tokens.find(value) if scheme.lower() == "bearer" and value else None
    if token is None:
        return GlitchtipJSON({"version": "0", "user": None, "auth": None})
    tokens = state.tokens.all()
    user = state.store.directory.user_by_id(token.user_id)
    auth = {
        "id": tokens.index(token) + 1,
        "label": token.label,
        "scopes": [scope for scope in TOKEN_SCOPES if scope in token.scopes],
        "token": token.token,
        "created": django_time(state.store.organization.date_created.astimezone(UTC)),
    }
    return GlitchtipJSON({"version": "0", "user": _user(user) if user is not None else None, "auth": auth})


async def api_settings(request: Request) -> Response:
    """`GET /api/settings/`: the instance's settings, its version among them."""
    return GlitchtipJSON(
        {
            "socialApps": [],
            "billingEnabled": False,
            "iPaidForGlitchTip": False,
            "enableUserRegistration": True,
            "enableSocialAppsUserRegistration": True,
            "enableOrganizationCreation": False,
            "stripePublicKey": None,
            "plausibleUrl": None,
            "plausibleDomain": None,
            "chatwootWebsiteToken": None,
            "sentryDSN": None,
            "sentryTracesSampleRate": 0.01,
            "environment": None,
            "version": VERSION,
            "serverTimeZone": "UTC",
            "glitchtipInstanceName": None,
        }
    )
