"""`PUT organizations/{org}/issues/`: Sentry's bulk mutate (REFERENCE §5b, `update_groups_with_search_fn` and
`update_groups` of `sentry/api/helpers/group_index/update.py`).

Which issues change: those of `id` (repeat) in the selected projects (`project`, default every project the
caller reads). When `id` is absent, *or names no issue in scope*, Sentry runs the issue search instead (`query`,
default `is:unresolved`, up to 1000 issues) and changes every issue it finds, whatever the update. Nothing found:
204. The answer is the change made, not the issues: the body's fields as Sentry parsed them (`assignedTo` as the
assignee, `isSubscribed` adding `subscriptionDetails`, `isPublic` adding `shareId`) and, for a status change, the
status, its details and `inbox: null`.
"""

from __future__ import annotations

import secrets
from typing import Any

from starlette.responses import JSONResponse, Response

from .api_base import NOT_FOUND, ApiError, Ctx, project_filter
from .assignees import AssigneeError, resolve_assignee
from .issue_updates import IGNORE_KEYS, UpdateError, apply_issue_update
from .models import Issue
from .search import parse_issue_query

BULK_MUTATION_LIMIT = 1000
RELEASE_RESOLUTIONS = ("inNextRelease", "inUpcomingRelease", "inRelease", "inCommit")
MULTIPLE_PROJECTS = "Cannot set resolved for multiple projects."
# The fields of Sentry's `GroupValidator` (`discard` is refused before, see routes_issues._update).
FIELDS = (
    "status", "statusDetails", "substatus", "priority", "assignedTo", "hasSeen", "isBookmarked", "isSubscribed",
    "isPublic", "inbox", "merge", *IGNORE_KEYS,
)  # fmt: skip


def _issues_by_id(ctx: Ctx, project_ids: set[str] | None) -> list[Issue]:
    """The `id` issues in scope: numeric ids, or (when none is numeric) short ids, as Sentry's `get_group_list`."""
    raw = ctx.params.getlist("id")
    numbers = {int(value) for value in raw if value.isdigit()}
    if numbers:
        found = [ctx.store.issue(number) for number in sorted(numbers)]
    else:
        found = [ctx.store.issue_by_short_id(value) for value in raw]
        if any(issue is None for issue in found):
            raise ApiError(404, NOT_FOUND)
    return [i for i in found if i is not None and (project_ids is None or i.project_id in project_ids)]


def _searched(ctx: Ctx, project_ids: set[str] | None) -> list[Issue]:
    query = str(ctx.params.get("query", "is:unresolved")).strip()
    search = parse_issue_query(query, ctx.store, ctx.now, ctx.access)
    matches = [
        issue
        for issue in ctx.store.issues()
        if (project_ids is None or issue.project_id in project_ids) and search.matches(issue, issue.events, ctx.now)
    ]
    matches.sort(key=lambda issue: issue.last_seen, reverse=True)  # the search's default sort, `date`
    return matches[:BULK_MUTATION_LIMIT]


def _delta(ctx: Ctx, body: dict[str, Any], first: Issue, share_id: str | None) -> dict[str, Any]:
    """What Sentry answers: the parsed fields, and the status the issues now have."""
    delta: dict[str, Any] = {key: body[key] for key in FIELDS if key in body and key != "statusDetails"}
    if "assignedTo" in body:
        delta["assignedTo"] = first.assigned_to
    if body.get("isSubscribed") in (True, False):
        delta["subscriptionDetails"] = {"reason": "unknown"}
    if "isPublic" in body:
        delta["shareId"] = share_id
    if "status" in body or "substatus" in body:
        delta.update(
            {
                "status": first.status,
                "substatus": first.effective_substatus(ctx.now),
                "statusDetails": dict(first.status_details),
                "inbox": None,
            }
        )
    return delta


def bulk_update_issues(ctx: Ctx) -> Response:
    """`PUT organizations/{org}/issues/?id=...`: the delta; 204 when no issue is found."""
    project_ids = project_filter(ctx)
    targets = _issues_by_id(ctx, project_ids) if ctx.params.getlist("id") else []
    if not targets:
        targets = _searched(ctx, project_ids)
    if not targets:
        return Response(status_code=204)
    body: Any = ctx.json_body()
    if not isinstance(body, dict):
        raise ApiError(400, {"detail": "Invalid request body: expected a JSON object."})
    projects = sorted({issue.project_id for issue in targets})
    raw_details = body.get("statusDetails")
    details: dict[str, Any] = raw_details if isinstance(raw_details, dict) else {}
    by_release = body.get("status") == "resolvedInNextRelease" or any(details.get(k) for k in RELEASE_RESOLUTIONS)
    if body.get("status") in ("resolved", "resolvedInNextRelease") and by_release and len(projects) > 1:
        raise ApiError(400, {"detail": MULTIPLE_PROJECTS})
    if "assignedTo" in body:  # checked against the projects of every issue found, before anything changes
        try:
            resolve_assignee(body["assignedTo"], ctx.store.directory, projects)
        except AssigneeError as exc:
            raise ApiError(400, {"assignedTo": [str(exc)]}) from exc
    for issue in targets:
        try:
            apply_issue_update(ctx.store, issue, body, ctx.now, ctx.access.user, projects)
        except UpdateError as exc:
            raise ApiError(400, exc.body) from exc
    share_id = secrets.token_hex(16) if body.get("isPublic") is True else None
    return JSONResponse(_delta(ctx, body, targets[0], share_id))
