"""assign-issue: give one issue to a user or team of its project (or unassign it), recording who had it."""

from __future__ import annotations

import anyio
from pydantic import Field

from mcp_servers.framework.contracts import SideEffect

from ..base.errors import TransientError
from ..sentry import models
from ..shared.issues import assignee_label
from ..shared.results import Result
from ._assignees import check_assignees_supported, is_assigned, resolve_assignee
from ._issue_scope import read_allowed_issue
from ._params import IssueIdParams
from ._status_change import project_slug_of, warn_maybe_sent
from .operation import Operation, OperationContext


class AssignIssueParams(IssueIdParams):
    assignee: str = Field(
        min_length=1,
        max_length=200,
        description="Email, username, user id, `me`, `#team-slug`, or `none` to unassign.",
    )


class AssignedIssue(Result):
    id: str
    short_id: str | None = None
    assignee: str | None = Field(default=None, description="Email or #team; absent: nobody.")
    changed: bool = Field(description="False: it already was, nothing sent.")


async def assign_issue(ctx: OperationContext, params: AssignIssueParams) -> AssignedIssue:
    await check_assignees_supported(ctx, "assignee")
    current = await read_allowed_issue(ctx, params.issue_id)
    actor = await resolve_assignee(ctx, project_slug_of(current), params.assignee)
    ident = current.short_id or current.id
    before = assignee_label(current.assigned_to)
    if is_assigned(actor, current.assigned_to):
        ctx.warn(f"{ident} is already {f'assigned to {before}' if before else 'unassigned'}; nothing was changed.")
        return AssignedIssue(id=current.id, short_id=current.short_id, assignee=before, changed=False)
    try:
        response = await ctx.api.update_issue(
            current.id, {"assignedTo": actor.assigned_to if actor else ""}, bad_request_field="assignee"
        )
    except (TransientError, anyio.get_cancelled_exc_class()):
        warn_maybe_sent(ctx, f"assign {ident}", current.short_id, current.id)
        raise
    updated = models.Issue.model_validate(response.data) if isinstance(response.data, dict) else None
    after = assignee_label(updated.assigned_to) if updated is not None else (actor.label if actor else None)
    ctx.side_effects.append(
        SideEffect(
            kind="issue_assigned",
            target=f"issue:{ident}",
            before={"assignee": before},
            after={"assignee": after},
            description=(f"Assigned {ident} to {after}" if after else f"Unassigned {ident}")
            + f" (was {before or 'unassigned'}).",
        )
    )
    label = ctx.api.issue_label(current.short_id, current.id)
    ctx.recommend(f"To undo: assign-issue(issue_id='{label}', assignee='{before or 'none'}').")
    return AssignedIssue(id=current.id, short_id=current.short_id, assignee=after, changed=True)


def render_assigned_issue(result: AssignedIssue) -> str:
    ident = result.short_id or result.id
    state = f"assigned to {result.assignee}" if result.assignee else "unassigned"
    return f"{ident} is {'now' if result.changed else 'already'} {state}"


OPERATION = Operation(
    name="assign-issue",
    title="Assign issue",
    description=(
        "Assign one Sentry issue to a member or team of its project, or unassign it. An unknown or ambiguous "
        "assignee fails with candidates (see list-assignees). The change and its undo are in the result. Needs "
        "event:write."
    ),
    params=AssignIssueParams,
    result=AssignedIssue,
    handler=assign_issue,
    render=render_assigned_issue,
    scopes=("event:write", "project:read"),
    read_only=False,
    destructive=False,
    idempotent=True,
)
