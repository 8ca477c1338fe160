"""`SentryApi`: what one operation sees of Sentry, through the process's one `SentryClient`.

The org-scoped requests, counted and allow-listed (`OrgRequests`), and the requests whose route differs
between servers (see `routes`), so that an operation never needs to know which server it talks to.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..base.errors import NotFound, OrganizationNotFound, ProjectNotFound
from . import routes
from .capabilities import ISSUE_LOOKUP
from .client import Params
from .org import OrgRequests
from .responses import ApiResponse, Expectations

# `GET /api/0/` needs no scope; a token it refuses is an authentication failure whatever the scope says.
ROOT_CALL = Expectations(scope="org:read")
PAGE_MAX = 100


class SentryApi(OrgRequests):
    """What an operation sees of Sentry: org-scoped requests, counted, and the routes that differ by server."""

    def issue_label(self, short_id: str | None, issue_id: str) -> str:
        """How to name an issue in a suggested call: its short id, unless this server looks up numeric ids only."""
        if short_id and self.offers(ISSUE_LOOKUP) is not False:
            return short_id
        return issue_id

    # -- routes that differ between servers (see `capabilities` and `routes`) ---------------------------

    async def issue(self, issue_id: str, params: Params | None = None) -> ApiResponse:
        """GET one issue by numeric or short id (`params` e.g. `expand=owners`). Raises IssueNotFound, or
        UnsupportedByServer for a short id where the server looks issues up by numeric id only."""
        return await routes.issue(self, issue_id, params)

    # -- people (Sentry only: GlitchTip has no assignees) ------------------------------------------------

    async def root(self) -> ApiResponse:
        """GET `/api/0/`, which is not org-scoped: `user` is whom the token acts as (null for an integration)."""
        return await self.client.send(self, "GET", self.settings.api_base, [], expect=ROOT_CALL)

    async def project_members(self, project_slug: str) -> ApiResponse:
        """GET the members of a project's teams, invitations included (`project:read`, one unpaged list).
        Raises ProjectNotFound, or ProjectNotAllowed before any request."""
        self.check_project_allowed(project_slug)
        org = await self.organization()
        return await self.get(
            ["projects", org, project_slug, "members"],
            scope="project:read",
            not_found=ProjectNotFound,
            project=project_slug,
        )

    async def project_teams(self, project_slug: str) -> ApiResponse:
        """GET the first page (100) of a project's teams (`project:read`). Raises ProjectNotFound, or
        ProjectNotAllowed before any request."""
        self.check_project_allowed(project_slug)
        org = await self.organization()
        return await self.get(
            ["projects", org, project_slug, "teams"],
            params={"per_page": PAGE_MAX},
            scope="project:read",
            not_found=ProjectNotFound,
            project=project_slug,
        )

    async def issue_tags(self, issue_id: str, keys: Sequence[str] = (), limit: int | None = None) -> ApiResponse:
        """GET an issue's tag distributions (`key`, `totalValues`, `uniqueValues`, `topValues`): those of `keys` (all
        when empty), with at most `limit` values each where the server takes a limit (GlitchTip sends every value and
        may send other keys). Raises IssueNotFound, or UnsupportedByServer for a short id on GlitchTip."""
        return await routes.issue_tags(self, issue_id, keys, limit)

    async def issue_events(self, issue_id: str, params: Params, *, bad_request_field: str = "cursor") -> ApiResponse:
        """GET one page of an issue's events (`per_page`, `cursor`, ...). Raises IssueNotFound."""
        return await routes.issue_events(self, issue_id, params, bad_request_field)

    async def latest_event(self, issue_id: str) -> ApiResponse:
        """GET an issue's latest event. Raises EventNotFound when it has none within retention."""
        return await routes.issue_event(self, issue_id)

    async def issue_event(self, issue_id: str, event_id: str) -> ApiResponse:
        """GET one event of an issue (`latest`, `oldest`, `recommended` or an id). Raises EventNotFound."""
        return await routes.issue_event(self, issue_id, event_id)

    async def update_issue(self, issue_id: str, body: dict[str, Any], *, bad_request_field: str) -> ApiResponse:
        """PUT a change to one issue; on an older server the substatus is sent by its older name (and said)."""
        return await routes.update_issue(self, issue_id, body, bad_request_field)

    async def issues_by_id(self, issue_ids: Sequence[str]) -> ApiResponse:
        """GET up to 100 issues by numeric id, whatever their status, in one request; ids not found are not in the
        answer. Raises InvalidParameter for no ids or more than 100."""
        return await routes.issues_by_id(self, issue_ids)

    async def update_issues(self, issue_ids: Sequence[str], body: dict[str, Any]) -> ApiResponse:
        """PUT one change to up to 100 issues by numeric id (Sentry's bulk mutate); the answer is the change made,
        or no body when no issue matched. Raises InvalidParameter for no ids or more than 100."""
        return await routes.update_issues(self, issue_ids, body)

    async def add_note(self, issue_id: str, text: str) -> ApiResponse:
        """POST a note (GlitchTip: a comment) to one issue by its numeric id, sent once and never retried. Raises
        IssueNotFound, MissingScope (a token without a user), InvalidParameter (text refused)."""
        return await routes.add_note(self, issue_id, text)

    async def issue_comments(self, issue_id: str) -> ApiResponse:
        """GET an issue's comments where the issue itself carries no notes (GlitchTip). Raises IssueNotFound."""
        return await routes.issue_comments(self, issue_id)

    async def issue_list(
        self,
        params: Params,
        *,
        not_found: type[NotFound] = OrganizationNotFound,
        bad_request_field: str = "parameters",
        project: str | None = None,
        shows_users: bool = True,
    ) -> ApiResponse:
        """GET one page of the organization's issues; `sort` takes Sentry's names (date, new, freq, user). Where the
        server counts no users per issue, the counts are left out and, when the caller `shows_users`, said so."""
        return await routes.issue_list(
            self,
            params,
            not_found=not_found,
            bad_request_field=bad_request_field,
            project=project,
            shows_users=shows_users,
        )

    async def stats_v2(
        self,
        params: Params,
        *,
        not_found: type[NotFound] = OrganizationNotFound,
        bad_request_field: str = "parameters",
        project: str | None = None,
    ) -> ApiResponse:
        """GET outcome statistics (Sentry's `statsPeriod`/`groupBy` form); where the server has no outcomes,
        every group comes labelled `accepted` and a warning says so."""
        return await routes.stats_v2(
            self, params, not_found=not_found, bad_request_field=bad_request_field, project=project
        )
