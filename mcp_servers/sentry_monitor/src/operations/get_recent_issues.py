"""get-recent-issues: a project's issues, newest activity first (up to 250 a call, read 100 a request)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from ._issue_list import IssueList, IssueSort, SearchTerms, list_issues, render_issue_list
from ._params import Cursor, ProjectSlug
from .operation import Count, Operation, OperationContext, Parameters

MAX_LIMIT = 250


class GetRecentIssuesParams(Parameters):
    project_slug: ProjectSlug
    limit: Count = Field(default=25, ge=1, le=MAX_LIMIT, description=f"How many issues (1-{MAX_LIMIT}).")
    status: Literal["unresolved", "resolved", "ignored"] = Field(
        default="unresolved", description="Which issues: unresolved (default), resolved, or ignored (archived)."
    )
    query: SearchTerms = None
    sort: IssueSort = "date"
    cursor: Cursor = None


class RecentIssues(IssueList):
    pass


async def get_recent_issues(ctx: OperationContext, params: GetRecentIssuesParams) -> RecentIssues:
    project_id = await ctx.api.project_id(params.project_slug)
    result = await list_issues(
        RecentIssues,
        ctx,
        [project_id],
        f"is:{params.status} {params.query or ''}".strip(),
        sort=params.sort,
        limit=params.limit,
        cursor=params.cursor,
        bad_request_field=_suspect_field(params),
        project_slug=params.project_slug,
    )
    _recommend(ctx, params, result)
    return result


def _suspect_field(params: GetRecentIssuesParams) -> str:
    """Which parameter a 400 from Sentry most likely refers to: the free-form ones first."""
    return "query" if params.query else "cursor" if params.cursor else "project_slug"


def _recommend(ctx: OperationContext, params: GetRecentIssuesParams, result: RecentIssues) -> None:
    if not result.issues:
        ctx.recommend(
            f"No {params.status} issues match: try status='resolved' or 'ignored', drop the query, "
            "or call get-project-stats to see whether events arrive at all."
        )
        return
    busiest = max(result.issues, key=lambda issue: issue.count)
    ctx.recommend(
        f"The busiest's stack trace: get-issue-details(issue_id='{ctx.api.issue_label(busiest.short_id, busiest.id)}')."
    )
    unhandled = [issue for issue in result.issues if issue.is_unhandled and issue is not busiest]
    if unhandled:
        ctx.recommend(
            f"{len(unhandled)} other issue(s) crashed unhandled, e.g. "
            f"{ctx.api.issue_label(unhandled[0].short_id, unhandled[0].id)}."
        )


OPERATION = Operation(
    name="get-recent-issues",
    title="Get recent issues",
    description=(
        "List a Sentry project's issues, most recently seen first by default: what is failing now, or an issue's "
        "id for get-issue-details. Filter by status and Sentry search terms in `query`; sort by last seen, "
        "events, first seen or users. Per issue: ids, title, culprit, level, status, event and user counts, "
        "first/last seen, unhandled or not, error, assignee, permalink. Up to 250 per call; page with `cursor`."
    ),
    params=GetRecentIssuesParams,
    result=RecentIssues,
    handler=get_recent_issues,
    render=render_issue_list,
    scopes=("org:read", "project:read", "event:read"),
    main_list="issues",
)
