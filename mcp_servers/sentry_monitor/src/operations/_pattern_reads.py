"""The requests analyze-error-patterns makes: issue lists of the period, environments, release lookups."""

from __future__ import annotations

from dataclasses import dataclass

from ..analysis.error_patterns import GROUP_IDS_SHOWN, IssueGroup
from ..base.concurrency import gather_all
from ..base.errors import IssueNotFound, ProjectNotFound
from ..sentry import models
from .operation import OperationContext, Steps
from .paging import PAGE_MAX, Pages, read_pages

MAX_ENVIRONMENTS = 5
LOOKUP_CONCURRENCY = 4  # Sentry allows 5 issue-detail requests a second


@dataclass(frozen=True)
class PatternReads:
    """The requests of one analysis, which share the organization, project, period and step count."""

    ctx: OperationContext
    steps: Steps
    org: str
    slug: str
    window: dict[str, str]

    async def issues(self, query: str, want: int, stats: str, what: str, **extra: str) -> Pages:
        params = {**self.window, **extra, "query": query, "sort": "freq", "groupStatsPeriod": stats}
        reading = read_pages(
            self.ctx,
            lambda page: self.ctx.api.issue_list(page, not_found=ProjectNotFound, project=self.slug),
            {**params, "collapse": ["lifetime", "filtered"]},
            want=want,
            size_param="limit",
            noun="issues",
            report_pages=False,
        )
        return await self.steps.track(reading, f"read {what}")

    async def environments(self) -> tuple[list[IssueGroup], list[str]]:
        """Issues per environment (the first MAX_ENVIRONMENTS), and the names of those left out."""
        response = await self.steps.track(
            self.ctx.api.get(
                ["projects", self.org, self.slug, "environments"],
                params={"visibility": "visible"},
                scope="project:read",
                not_found=ProjectNotFound,
                project=self.slug,
            ),
            "read the environments",
        )
        names = [models.Environment.model_validate(row).name for row in response.json_list("the environments")]
        chosen = names[:MAX_ENVIRONMENTS]
        pages = await gather_all(
            [self.issues("is:unresolved", PAGE_MAX, "", f"environment {name}", environment=name) for name in chosen]
        )
        groups = []
        for name, outcome in zip(chosen, pages, strict=True):
            page = self.ctx.without(outcome, f"Environment {name}")
            if page is not None and page.rows:
                rows = [models.Issue.model_validate(row) for row in page.rows]
                events = sum(issue.count for issue in rows)
                ids = [issue.id for issue in rows[:GROUP_IDS_SHOWN]]
                groups.append(IssueGroup(key=name, issues=page.total_hits or len(rows), events=events, issue_ids=ids))
        return sorted(groups, key=lambda g: (-g.events, g.key)), names[MAX_ENVIRONMENTS:]

    async def releases(self, issue_ids: list[str]) -> dict[str, models.Issue]:
        """The detail (with first and last release) of each issue; issues gone meanwhile are skipped."""
        outcomes = await gather_all(
            [self.steps.track(self.ctx.api.issue(issue_id), f"looked up issue {issue_id}") for issue_id in issue_ids],
            limit=LOOKUP_CONCURRENCY,
        )
        found = {}
        for outcome in outcomes:
            response = None if isinstance(outcome, IssueNotFound) else self.ctx.without(outcome, "A release lookup")
            if response is not None:
                issue = models.Issue.model_validate(response.json_object("the issue"))
                found[issue.id] = issue
        return found
