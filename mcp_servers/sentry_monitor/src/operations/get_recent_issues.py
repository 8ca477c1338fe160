"""get-recent-issues: a project's issues, newest activity first (up to 250 a call, read 100 a request)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator

from .. import models, render
from ..errors import ProjectNotFound
from ..operation import Count, Operation, OperationContext, Parameters, Result
from ..paging import read_pages
from ..results import IssueSummary, issue_summary
from ._params import Cursor, ProjectSlug

SEARCH_TERMS_MAX = 500
MAX_LIMIT = 250


class GetRecentIssuesParams(Parameters):
    project_slug: ProjectSlug
    limit: Count = Field(default=25, ge=1, le=MAX_LIMIT, description=f"How many issues (1-{MAX_LIMIT}).")
    status: Literal["unresolved", "resolved", "ignored"] = Field(
        default="unresolved", description="Which issues: unresolved (default), resolved, or ignored (archived)."
    )
    query: str | None = Field(
        default=None,
        max_length=SEARCH_TERMS_MAX,
        description="Extra Sentry search terms, e.g. 'level:error release:1.2.0 environment:production'.",
    )
    sort: Literal["date", "freq", "new", "user"] = Field(
        default="date", description="date = last seen, freq = most events, new = first seen, user = most users."
    )
    cursor: Cursor = None

    @field_validator("query")
    @classmethod
    def _query(cls, value: str | None) -> str | None:
        if value is not None and not value.isprintable():
            raise ValueError("query must not contain control characters")
        return value or None


class RecentIssues(Result):
    issues: list[IssueSummary]
    total_hits: int | None = Field(description="Sentry's (approximate) count of matching issues.")
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page; null at the end.")


async def get_recent_issues(ctx: OperationContext, params: GetRecentIssuesParams) -> RecentIssues:
    project_id = await ctx.api.project_id(params.project_slug)
    search = f"is:{params.status} {params.query or ''}".strip()
    query = {"project": project_id, "query": search, "sort": params.sort, "collapse": ["stats", "lifetime", "filtered"]}
    field = _suspect_field(params)
    pages = await read_pages(
        ctx,
        lambda page: ctx.api.issue_list(
            page, not_found=ProjectNotFound, bad_request_field=field, project=params.project_slug
        ),
        query,
        want=params.limit,
        size_param="limit",
        noun="issues",
        cursor=params.cursor,
    )
    issues = [issue_summary(models.Issue.model_validate(row)) for row in pages.rows]
    result = RecentIssues(issues=issues, total_hits=pages.total_hits, next_cursor=pages.next_cursor)
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
        f"get-issue-details(issue_id='{ctx.api.issue_label(busiest.short_id, busiest.id)}') for the busiest issue's "
        "stack trace "
        f"({busiest.count} events, {busiest.user_count} users)."
    )
    unhandled = [issue for issue in result.issues if issue.is_unhandled and issue is not busiest]
    if unhandled:
        ctx.recommend(
            f"{len(unhandled)} other issue(s) crashed unhandled, e.g. "
            f"{ctx.api.issue_label(unhandled[0].short_id, unhandled[0].id)}."
        )
    if result.next_cursor:
        ctx.recommend(f"More issues: call get-recent-issues again with cursor='{result.next_cursor}'.")


OPERATION = Operation(
    name="get-recent-issues",
    title="Get recent issues",
    description=(
        "List a Sentry project's issues (grouped errors), most recently seen first by default. Use it to see "
        "what is failing now, to find an issue's id before get-issue-details, or to page through issues with "
        "`cursor`. Filter by status (unresolved/resolved/ignored) and Sentry search terms in `query`; sort by "
        "last seen, frequency, first seen or users. Returns per issue: id, short_id, title, culprit, level, "
        "status, event and user counts, first/last seen, whether it crashed unhandled, error type and value, "
        "assignee and permalink; plus total_hits and next_cursor. Up to 250 issues per call, read 100 a page; "
        "if a later page fails the issues read so far come back as a partial result with the cursor to continue."
    ),
    params=GetRecentIssuesParams,
    result=RecentIssues,
    handler=get_recent_issues,
    render=render.recent_issues,
    scopes=("org:read", "project:read", "event:read"),
)
