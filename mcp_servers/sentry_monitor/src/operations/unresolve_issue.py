"""unresolve-issue: reopen a resolved or archived issue, recording what changed."""

from __future__ import annotations

from ._params import IssueIdParams
from ._status_change import Change, ChangedIssue, change_status, render_changed_issue
from .operation import Operation, OperationContext

REOPEN = Change(
    verb="unresolve",
    body={"status": "unresolved"},
    done=lambda issue: issue.status == "unresolved",
    describe="Reopened",
)


async def unresolve_issue(ctx: OperationContext, params: IssueIdParams) -> ChangedIssue:
    result, _ = await change_status(ctx, params.issue_id, REOPEN)
    label = ctx.api.issue_label(result.issue.short_id, result.issue.id)
    ctx.recommend(f"Look at what it does now: get-issue-details(issue_id='{label}').")
    return result


OPERATION = Operation(
    name="unresolve-issue",
    title="Unresolve issue",
    description=(
        "Reopen one resolved or archived (ignored) Sentry issue, e.g. when a fix did not hold or an issue was "
        "silenced by mistake. Changes only the issue named by `issue_id` (numeric id, short id or issue URL); an "
        "issue that is already unresolved is left alone and says so. The change, with status before and after, "
        "is in side_effects. Needs a token with event:write."
    ),
    params=IssueIdParams,
    result=ChangedIssue,
    handler=unresolve_issue,
    render=render_changed_issue,
    scopes=("event:write",),
    read_only=False,
    destructive=False,
    idempotent=True,
)
