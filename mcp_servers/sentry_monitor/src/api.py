"""`SentryApi`: what one operation sees of Sentry, through the process's one `SentryClient`.

It makes org-scoped requests (`get`, `put`), counts them, collects the operation's warnings, checks the
project allow-list before any request, and offers the routes that differ between servers (see `routes`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from . import routes
from .capabilities import ISSUE_LOOKUP, Capability
from .config import Settings
from .errors import InvalidParameter, NotFound, OrganizationNotFound, ProjectNotAllowed
from .models import Issue
from .responses import ApiResponse, Expectations

if TYPE_CHECKING:
    from .client import SentryClient

# A request's query parameters, as httpx takes them.
Params = Mapping[str, str | int | Sequence[str]]


class SentryApi:
    """What an operation sees of Sentry: org-scoped requests, counted."""

    def __init__(self, client: SentryClient) -> None:
        self.client = client
        self.api_calls = 0
        self.warnings: list[str] = []
        # Where `warn` reports; an OperationContext points it at its own `warn`.
        self.on_warning: Callable[[str], None] = self.warnings.append
        self._warned: set[str] = set()

    def warn(self, message: str) -> None:
        """Say (once per operation) what this server could not give, e.g. a sort it lacks."""
        if message not in self._warned:
            self._warned.add(message)
            self.on_warning(message)

    def offers(self, capability: Capability) -> bool | None:
        """Whether this server answers `capability` in Sentry's current form; None until a request has told."""
        return self.client.capabilities.offers_current(capability)

    def issue_label(self, short_id: str | None, issue_id: str) -> str:
        """How to name an issue in a suggested call: its short id, unless this server looks up numeric ids only."""
        if short_id and self.offers(ISSUE_LOOKUP) is not False:
            return short_id
        return issue_id

    # -- routes that differ between servers (see `capabilities` and `routes`) ---------------------------

    async def issue(self, issue_id: str) -> ApiResponse:
        """GET one issue by numeric or short id. Raises IssueNotFound, or UnsupportedByServer for a short id
        where the server looks issues up by numeric id only."""
        return await routes.issue(self, issue_id)

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

    async def issue_list(
        self,
        params: Params,
        *,
        not_found: type[NotFound] = OrganizationNotFound,
        bad_request_field: str = "parameters",
        project: str | None = None,
    ) -> ApiResponse:
        """GET one page of the organization's issues; `sort` takes Sentry's names (date, new, freq, user)."""
        return await routes.issue_list(
            self, params, not_found=not_found, bad_request_field=bad_request_field, project=project
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

    @property
    def settings(self) -> Settings:
        return self.client.settings

    async def organization(self) -> str:
        return await self.client.organization(self)

    async def project_id(self, slug: str) -> str:
        """The numeric id of a project the settings allow; PROJECT_NOT_ALLOWED before any request otherwise."""
        self.check_project_allowed(slug)
        return await self.client.project_id(self, slug)

    def check_issue_allowed(self, issue: Issue) -> None:
        """Refuse an issue whose project is outside the allow-list, before anything of it is shown or changed."""
        slug = issue.project.slug if issue.project else None
        self.check_project_allowed(slug, what=f"Issue {issue.short_id or issue.id}")

    def check_project_allowed(self, slug: str | None, what: str = "") -> None:
        """Refuse a project outside SENTRY_MONITOR_ALLOWED_PROJECTS (a no-op when no allow-list is set)."""
        if self.settings.allows(slug):
            return
        allowed = self.settings.allowed_projects or frozenset()
        subject = f"{what} belongs to project {slug!r}, which" if what else f"Project {slug!r}"
        raise ProjectNotAllowed(
            f"{subject} is outside this server's allowed projects ({', '.join(sorted(allowed))}).",
            recovery="Work on one of the allowed projects, or add the project to SENTRY_MONITOR_ALLOWED_PROJECTS "
            "(--allowed-projects).",
            project=slug,
            allowed_projects=sorted(allowed),
        )

    async def check_organization(self, org: str | None, field: str) -> None:
        """Refuse an issue URL of another organization than the configured one."""
        if org is None:
            return
        configured = await self.organization()
        if org.lower() != configured.lower():
            raise InvalidParameter(
                field,
                f"The issue URL belongs to organization {org!r}, but this server works on {configured!r}.",
                recovery="Pass an issue of the configured organization (SENTRY_ORG), or reconfigure SENTRY_ORG.",
            )

    async def get(
        self,
        path: Sequence[str],
        *,
        params: Params | None = None,
        not_found: type[NotFound] = OrganizationNotFound,
        scope: str = "event:read",
        bad_request_field: str = "parameters",
        project: str | None = None,
    ) -> ApiResponse:
        """GET an org-scoped path; the keywords say how its failures read (see `Expectations`)."""
        base = await self.client.region_base(self)
        expect = Expectations(not_found, scope, bad_request_field, project)
        return await self.client.send(self, "GET", base, path, params=params, expect=expect)

    async def put(
        self,
        path: Sequence[str],
        *,
        body: Mapping[str, Any],
        not_found: type[NotFound] = OrganizationNotFound,
        scope: str = "event:write",
        bad_request_field: str = "parameters",
    ) -> ApiResponse:
        """PUT a JSON body to an org-scoped path (sent once per attempt)."""
        base = await self.client.region_base(self)
        expect = Expectations(not_found, scope, bad_request_field)
        return await self.client.send(self, "PUT", base, path, body=body, expect=expect)
