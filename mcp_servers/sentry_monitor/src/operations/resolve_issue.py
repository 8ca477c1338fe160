"""resolve-issue: mark one issue resolved, recording what changed."""

from __future__ import annotations

import anyio
from pydantic import Field

from mcp_servers.framework.contracts import SideEffect

from .. import models, render
from ..errors import IssueNotFound, TransientError
from ..identifiers import issue_ref
from ..operation import Operation, OperationContext, Result
from ._params import IssueIdParams


class IssueState(Result):
    id: str
    short_id: str | None
    status: str | None
    substatus: str | None


class ResolvedIssue(Result):
    issue: IssueState = Field(description="The issue's state after the call.")


def _state(issue: models.Issue) -> IssueState:
    return IssueState(id=issue.id, short_id=issue.short_id, status=issue.status, substatus=issue.substatus)


async def resolve_issue(ctx: OperationContext, params: IssueIdParams) -> ResolvedIssue:
    ref = issue_ref(params.issue_id, ctx.settings)
    await ctx.api.check_organization(ref.org, "issue_id")
    org = await ctx.api.organization()
    current = models.Issue.model_validate((await ctx.api.issue(ref.issue_id)).json_object("the issue"))
    ctx.api.check_issue_allowed(current)
    before = _state(current)
    ident = before.short_id or before.id
    if current.status == "resolved":
        ctx.warn(f"{ident} was already resolved; nothing was changed.")
        return ResolvedIssue(issue=before)
    # The PUT goes to the numeric id Sentry just gave us, never to a re-parsed input.
    try:
        response = await ctx.api.put(
            ["organizations", org, "issues", current.id],
            body={"status": "resolved"},
            not_found=IssueNotFound,
            scope="event:write",
            bad_request_field="issue_id",
        )
    except (TransientError, anyio.get_cancelled_exc_class()):
        ctx.warn(
            f"The request to resolve {ident} may or may not have reached Sentry; check with "
            f"get-issue-details(issue_id='{ctx.api.issue_label(before.short_id, before.id)}') before calling again "
            "(resolving twice changes nothing)."
        )
        raise
    updated = models.Issue.model_validate(response.data) if isinstance(response.data, dict) else None
    after = (
        _state(updated) if updated is not None else before.model_copy(update={"status": "resolved", "substatus": None})
    )
    ctx.side_effects.append(
        SideEffect(
            kind="issue_status_changed",
            target=f"issue:{ident}",
            before=before.model_dump(include={"status", "substatus"}),
            after=after.model_dump(include={"status", "substatus"}),
            description=f"Resolved {ident} (was {before.status}"
            + (f"/{before.substatus}" if before.substatus else "")
            + ").",
        )
    )
    slug = current.project.slug if current.project and current.project.slug else "<project>"
    ctx.recommend(
        f"If {ident} happens again Sentry reopens it as regressed; watch for that with "
        f"get-recent-issues(project_slug='{slug}', query='is:regressed')."
    )
    return ResolvedIssue(issue=after)


OPERATION = Operation(
    name="resolve-issue",
    title="Resolve issue",
    description=(
        "Mark one Sentry issue as resolved (fixed). Use it after a fix is deployed or when an issue is known to "
        "be gone; if the error happens again Sentry reopens it as regressed. Changes only the issue named by "
        "`issue_id` (numeric id, short id or issue URL). Resolving an already resolved issue changes nothing and "
        "says so. Returns the issue's id and new status; the change is listed in side_effects. Needs a token "
        "with event:write."
    ),
    params=IssueIdParams,
    result=ResolvedIssue,
    handler=resolve_issue,
    render=render.resolved_issue,
    scopes=("event:write",),
    read_only=False,
    destructive=False,
    idempotent=True,
)
