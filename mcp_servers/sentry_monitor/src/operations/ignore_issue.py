"""ignore-issue: archive one issue, forever or until a condition, recording what changed."""

from __future__ import annotations

from typing import Any

from pydantic import Field, model_validator

from ..base.errors import InvalidParameter
from ._params import IssueIdParams
from ._status_change import (
    Change,
    ChangedIssue,
    archived_forever,
    change_status,
    project_slug_of,
    render_changed_issue,
)
from .operation import Count, Operation, OperationContext

MAX_WINDOW_MINUTES = 10080  # Sentry's limit: one week
CONDITIONS = ("duration_minutes", "count", "user_count", "until_escalating")


class IgnoreIssueParams(IssueIdParams):
    duration_minutes: Count | None = Field(default=None, ge=1, le=525600, description="Archive for this long.")
    count: Count | None = Field(default=None, ge=1, description="Archive until this many more events.")
    user_count: Count | None = Field(default=None, ge=1, description="Archive until this many more users are hit.")
    window_minutes: Count | None = Field(
        default=None,
        ge=1,
        le=MAX_WINDOW_MINUTES,
        description="With count or user_count: the events or users must come within this many minutes.",
    )
    until_escalating: bool = Field(default=False, description="Archive until Sentry sees it escalate.")

    @model_validator(mode="after")
    def _one_condition(self) -> IgnoreIssueParams:
        given = [name for name in CONDITIONS if getattr(self, name) not in (None, False)]
        if len(given) > 1:
            raise InvalidParameter(
                given[1],
                f"Give at most one of duration_minutes, count, user_count, until_escalating; got {', '.join(given)}.",
            )
        if self.window_minutes is not None and given[:1] not in (["count"], ["user_count"]):
            raise InvalidParameter("window_minutes", "window_minutes applies only with count or user_count.")
        return self


def _change(params: IgnoreIssueParams) -> Change:
    window = params.window_minutes
    details: dict[str, Any]
    if params.duration_minutes is not None:
        details, what = {"ignoreDuration": params.duration_minutes}, f"for {params.duration_minutes} minutes"
        field = "duration_minutes"
    elif params.count is not None:
        details = {"ignoreCount": params.count, **({"ignoreWindow": window} if window else {})}
        what = f"until {params.count} more events" + (f" within {window} minutes" if window else "")
        field = "count"
    elif params.user_count is not None:
        details = {"ignoreUserCount": params.user_count, **({"ignoreUserWindow": window} if window else {})}
        what = f"until {params.user_count} more users" + (f" within {window} minutes" if window else "")
        field = "user_count"
    elif params.until_escalating:
        return Change(
            verb="ignore",
            body={"status": "ignored", "substatus": "archived_until_escalating"},
            done=lambda issue: issue.substatus == "archived_until_escalating",
            describe="Archived until escalating:",
            field="until_escalating",
            condition="until escalating",
        )
    else:
        return Change(verb="ignore", body={"status": "ignored"}, done=archived_forever, describe="Archived forever:")
    return Change(
        verb="ignore",
        body={"status": "ignored", "statusDetails": details},
        done=lambda issue: False,  # a new condition always replaces the old one
        describe=f"Archived {what}:",
        field=field,
        condition=what,
    )


async def ignore_issue(ctx: OperationContext, params: IgnoreIssueParams) -> ChangedIssue:
    result, issue = await change_status(ctx, params.issue_id, _change(params))
    ident = result.issue.short_id or result.issue.id
    label = ctx.api.issue_label(result.issue.short_id, result.issue.id)
    if result.changed and params.until_escalating:
        ctx.recommend(f"Sentry reopens {ident} as escalating if its volume jumps; nothing else will bring it back.")
    elif result.changed and not any(getattr(params, name) for name in CONDITIONS):
        if (await ctx.api.server_kind()).keeps_ignore_conditions:
            ctx.recommend(
                f"{ident} stays archived even if it gets worse; until_escalating=true would let a spike bring it back."
            )
        else:
            ctx.recommend(f"{ident} stays archived even if it gets worse: this server never reopens an ignored issue.")
    ctx.recommend(
        f"Archived issues: get-recent-issues(project_slug='{project_slug_of(issue)}', status='ignored'); "
        f"undo with unresolve-issue(issue_id='{label}')."
    )
    return result


OPERATION = Operation(
    name="ignore-issue",
    title="Ignore (archive) issue",
    description=(
        "Archive (ignore) one Sentry issue to silence known noise: forever with no condition, or until exactly "
        "one of: duration_minutes passed, count more events, user_count more users (each optionally within "
        "window_minutes), or until_escalating=true (the safe choice: a spike brings it back). `issue_id`: numeric "
        "id, short id or URL. The change is in side_effects; undo with unresolve-issue. Needs event:write."
    ),
    params=IgnoreIssueParams,
    result=ChangedIssue,
    handler=ignore_issue,
    render=render_changed_issue,
    scopes=("event:write",),
    read_only=False,
    destructive=False,
    idempotent=True,
)
