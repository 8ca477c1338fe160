"""search-issues: Sentry's issue search across the organization, or one project."""

from __future__ import annotations

from pydantic import Field

from ..base.concurrency import gather_all
from ..base.errors import ProjectNotFound
from ._issue_list import SEARCH_TERMS_MAX, IssueList, IssueSort, list_issues, render_issue_list
from ._params import Cursor, ProjectSlug
from .operation import Count, Operation, OperationContext, Parameters

MAX_LIMIT = 100
ALL_PROJECTS = "-1"


class SearchIssuesParams(Parameters):
    query: str = Field(
        min_length=1,
        max_length=SEARCH_TERMS_MAX,
        pattern=r"^[^\x00-\x1f\x7f]+$",
        description="Sentry search syntax, e.g. 'is:unresolved level:fatal release:1.4.2' or "
        "'is:unresolved error.unhandled:true TypeError'; by owner: 'is:unassigned', 'assigned:me', "
        "'assigned_or_suggested:#team-slug'.",
    )
    project_slug: ProjectSlug | None = Field(default=None, description="Search one project only (its slug).")
    limit: Count = Field(default=25, ge=1, le=MAX_LIMIT, description=f"How many issues (1-{MAX_LIMIT}).")
    sort: IssueSort = "date"
    cursor: Cursor = None


class FoundIssues(IssueList):
    pass


async def search_issues(ctx: OperationContext, params: SearchIssuesParams) -> FoundIssues:
    allowed = ctx.settings.allowed_projects
    if params.project_slug is not None:
        projects = [await ctx.api.project_id(params.project_slug)]
    elif allowed is not None:  # the whole organization means the allowed projects only
        slugs = sorted(allowed)
        found = await gather_all([ctx.api.project_id(slug) for slug in slugs])
        projects = [project for project in found if isinstance(project, str)]
        for slug, outcome in zip(slugs, found, strict=True):
            if isinstance(outcome, ProjectNotFound):
                ctx.warn(f"Allowed project {slug!r} does not exist or the token cannot see it; not searched.")
            elif isinstance(outcome, Exception):
                raise outcome
        if not projects:
            raise ProjectNotFound("None of the allowed projects (SENTRY_MONITOR_ALLOWED_PROJECTS) can be found.")
    else:
        projects = [ALL_PROJECTS]
    result = await list_issues(
        FoundIssues,
        ctx,
        projects,
        params.query,
        sort=params.sort,
        limit=params.limit,
        cursor=params.cursor,
        bad_request_field="query",
        project_slug=params.project_slug,
    )
    if not result.issues:
        ctx.recommend(
            "Nothing matches: loosen the query (drop a term), or check the search syntax; 'is:unresolved' alone "
            "lists every open issue."
        )
    else:
        first = result.issues[0]
        ctx.recommend(f"Open one with get-issue-details(issue_id='{ctx.api.issue_label(first.short_id, first.id)}').")
    return result


OPERATION = Operation(
    name="search-issues",
    title="Search issues",
    description=(
        "Search Sentry issues with Sentry's search syntax across the organization, or one project with "
        "project_slug: 'is:unresolved level:fatal release:1.4.2', 'is:regressed', 'error.unhandled:true', free "
        "text. The query is sent as given (add is:unresolved yourself). Same result as get-recent-issues; up to "
        "100 per call, page with `cursor`."
    ),
    params=SearchIssuesParams,
    result=FoundIssues,
    handler=search_issues,
    render=render_issue_list,
    scopes=("org:read", "project:read", "event:read"),
    main_list="issues",
)
