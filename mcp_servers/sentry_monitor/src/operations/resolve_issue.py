"""resolve-issue: mark one issue resolved, now or in the next release, recording what changed."""

from __future__ import annotations

from collections.abc import Callable

from pydantic import Field

from ..sentry import models
from ._params import IssueIdParams
from ._status_change import Change, ChangedIssue, change_status, project_slug_of, render_changed_issue
from .operation import Operation, OperationContext


class ResolveIssueParams(IssueIdParams):
    in_next_release: bool = Field(
        default=False,
        description="Resolve in the next release: Sentry reopens it only if it happens in a release after the "
        "current one. Projects without releases are resolved now instead, with a warning.",
    )


def _resolved(in_next_release: bool) -> Callable[[models.Issue], bool]:
    def done(issue: models.Issue) -> bool:
        return issue.status == "resolved" and (not in_next_release or bool(issue.status_details.get("inNextRelease")))

    return done


async def resolve_issue(ctx: OperationContext, params: ResolveIssueParams) -> ChangedIssue:
    if params.in_next_release:
        change = Change(
            verb="resolve",
            body={"status": "resolved", "statusDetails": {"inNextRelease": True}},
            done=_resolved(True),
            describe="Resolved in the next release",
            fallback={"status": "resolved"},
            fallback_when=("inNextRelease", "release data"),
            fallback_warning="The project has no releases, so 'in the next release' cannot apply: resolved now.",
            field="in_next_release",
            condition="resolved in the next release",
        )
    else:
        change = Change(verb="resolve", body={"status": "resolved"}, done=_resolved(False), describe="Resolved")
    result, issue = await change_status(ctx, params.issue_id, change)
    if result.changed:
        ident, slug = result.issue.short_id or result.issue.id, project_slug_of(issue)
        if (await ctx.api.server_kind()).status_queries:
            ctx.recommend(
                f"If {ident} happens again Sentry reopens it as regressed; watch for that with "
                f"get-recent-issues(project_slug='{slug}', query='is:regressed')."
            )
        else:
            ctx.recommend(
                f"If {ident} happens again this server reopens it (unresolved); watch for that with "
                f"get-recent-issues(project_slug='{slug}')."
            )
    return result


OPERATION = Operation(
    name="resolve-issue",
    title="Resolve issue",
    description=(
        "Mark one Sentry issue resolved once fixed; if it happens again Sentry reopens it as regressed. "
        "in_next_release=true resolves it as of the next release, so events of the current release do not reopen "
        "it. `issue_id`: numeric id, short id or URL; an issue already resolved is left alone. The change is in "
        "side_effects. Needs event:write."
    ),
    params=ResolveIssueParams,
    result=ChangedIssue,
    handler=resolve_issue,
    render=render_changed_issue,
    scopes=("event:write",),
    read_only=False,
    destructive=False,
    idempotent=True,
)
