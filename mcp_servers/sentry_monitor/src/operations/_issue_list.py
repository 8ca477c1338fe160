"""What get-recent-issues and search-issues share: the issue list request, read in pages, and its result."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated, Literal, TypeVar

from pydantic import AfterValidator, Field

from ..base.errors import ProjectNotFound
from ..sentry import models
from ..shared.issues import IssueSummary, issue_summary, permalink_template
from ..shared.results import table
from ..shared.text import issue_line
from .operation import OperationContext
from .paging import PagedResult, read_pages

SEARCH_TERMS_MAX = 500


def _printable(value: str | None) -> str | None:
    if value is not None and not value.isprintable():
        raise ValueError("must not contain control characters")
    return value or None


SearchTerms = Annotated[
    str | None,
    Field(
        default=None,
        max_length=SEARCH_TERMS_MAX,
        description="Sentry search terms, e.g. 'level:error release:1.2.0', 'assigned:me', 'is:unassigned'.",
    ),
    AfterValidator(_printable),
]


IssueSort = Annotated[
    Literal["date", "freq", "new", "user"],
    Field(description="date = last seen, freq = most events, new = first seen, user = most users."),
]


class IssueList(PagedResult):
    issues: table(IssueSummary, "The issues.") = Field(default_factory=list)  # type: ignore[valid-type]
    total_hits: int | None = Field(default=None, description="Sentry's (approximate) count of matching issues.")
    permalink_template: str | None = Field(
        default=None,
        description="Each issue's permalink, with its `id` for {id} (then left out of the issues).",
    )


L = TypeVar("L", bound=IssueList)


async def list_issues(
    result: type[L],
    ctx: OperationContext,
    project_ids: Sequence[str],
    search: str,
    *,
    sort: str,
    limit: int,
    cursor: str | None,
    bad_request_field: str,
    project_slug: str | None = None,
) -> L:
    """Up to `limit` issues matching `search` in the projects (`-1`: all the token can see), 100 a request,
    as a `result` (the operation's own result class)."""
    query = {"project": list(project_ids), "query": search, "sort": sort, "collapse": ["stats", "lifetime", "filtered"]}
    pages = await read_pages(
        ctx,
        lambda page: ctx.api.issue_list(
            page, not_found=ProjectNotFound, bad_request_field=bad_request_field, project=project_slug
        ),
        query,
        want=limit,
        size_param="limit",
        noun="issues",
        cursor=cursor,
    )
    issues = [issue_summary(models.Issue.model_validate(row)) for row in pages.rows]
    template = permalink_template(issues) if len(issues) > 1 else None
    if template:
        issues = [issue.model_copy(update={"permalink": None}) for issue in issues]
    listed = result(
        issues=issues, total_hits=pages.total_hits, next_cursor=pages.next_cursor, permalink_template=template
    )
    return listed.resuming(pages)


def render_issue_list(result: IssueList) -> str:
    """One issue a line pair. A status all issues share goes in the head; a link pattern all share, at the end."""
    if not result.issues:
        return "No issues match."
    total = f" of {result.total_hits}" if result.total_hits is not None else ""
    statuses = {issue.status for issue in result.issues}
    shared = statuses.pop() if len(statuses) == 1 else None
    head = f"{len(result.issues)}{total} {shared + ' ' if shared else ''}issues:"
    pattern = result.permalink_template
    lines = [
        issue_line(issue, link=pattern is None, status=shared is None, numeric_id=pattern is not None, minutes=True)
        for issue in result.issues
    ]
    links = f"\nLinks: {pattern} ({{id}}: the number after #)" if pattern else ""
    more = f"\nMore: cursor={result.next_cursor}" if result.next_cursor else ""
    return head + "\n" + "\n".join(lines) + links + more
