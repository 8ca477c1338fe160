"""The requests analyze-error-patterns makes: issue lists of the period, environments, release lookups."""

from __future__ import annotations

from dataclasses import dataclass

from ..analysis.error_patterns import GROUP_IDS_SHOWN, IssueGroup
from ..analysis.tag_concentration import CONCENTRATION_KEYS
from ..base.concurrency import gather_all
from ..base.errors import IssueNotFound, ProjectNotFound, UnsupportedByServer
from ..sentry import models
from ._issue_tags import tag_facts
from .operation import OperationContext, Steps
from .paging import PAGE_MAX, Pages, read_pages

MAX_ENVIRONMENTS = 5
LOOKUP_CONCURRENCY = 4  # Sentry allows 5 issue-detail requests a second


IssueTags = dict[str, list[models.TagSummary]]
"""Per issue id, its tags as read."""


@dataclass(frozen=True)
class Releases:
    first: str | None
    last: str | None


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
        """Issues per environment (the first MAX_ENVIRONMENTS), and the names of those left out. Raises
        UnsupportedByServer where an issue list filtered by environment still counts every environment's events."""
        if (await self.ctx.api.server_kind()).glitchtip:
            raise UnsupportedByServer(
                "GlitchTip's issue counts ignore the environment filter, so events per environment cannot be told.",
                capability="events per environment",
            )
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

    async def releases(self, issue_ids: list[str]) -> tuple[dict[str, Releases], IssueTags]:
        """The first and last release of each issue; issues gone meanwhile are skipped. Where issues name no
        releases (GlitchTip), their tags do: an issue seen in one release only has it as both, and those tags are
        returned too (none otherwise)."""
        by_tags = not (await self.ctx.api.server_kind()).issue_releases
        read = self.ctx.api.issue_tags if by_tags else self.ctx.api.issue
        outcomes = await gather_all(
            [self.steps.track(read(issue_id), f"looked up issue {issue_id}") for issue_id in issue_ids],
            limit=LOOKUP_CONCURRENCY,
        )
        found, tags = {}, {}
        for issue_id, outcome in zip(issue_ids, outcomes, strict=True):
            response = None if isinstance(outcome, IssueNotFound) else self.ctx.without(outcome, "A release lookup")
            if response is None:
                continue
            if by_tags:
                facts = tag_facts(response)
                seen = list(facts.releases)
                found[issue_id] = Releases(seen[0], seen[0]) if len(seen) == 1 else Releases(None, None)
                tags[issue_id] = facts.tags
            else:
                issue = models.Issue.model_validate(response.json_object("the issue"))
                found[issue.id] = Releases(
                    issue.first_release.version if issue.first_release else None,
                    issue.last_release.version if issue.last_release else None,
                )
        return found, tags

    async def tags(self, issue_ids: list[str]) -> IssueTags:
        """The tags the concentration rule looks at, each with its top value only, per issue; issues gone meanwhile
        or whose tags could not be read (said in a warning) are skipped."""
        outcomes = await gather_all(
            [
                self.steps.track(self.ctx.api.issue_tags(issue_id, CONCENTRATION_KEYS, 1), f"read tags of {issue_id}")
                for issue_id in issue_ids
            ],
            limit=LOOKUP_CONCURRENCY,
        )
        found = {}
        for issue_id, outcome in zip(issue_ids, outcomes, strict=True):
            response = None if isinstance(outcome, IssueNotFound) else self.ctx.without(outcome, "A tag lookup")
            if response is not None:
                found[issue_id] = tag_facts(response).tags
        return found
