"""`OrgRequests`: the org-scoped requests of one operation, through the process's one `SentryClient`.

It counts the requests (`api_calls`), collects what the server could not give (`warn`), and checks the
project allow-list before any request. `routes` builds on it; `SentryApi` is what operations use.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from ..base.config import Settings
from ..base.errors import InvalidParameter, NotFound, OrganizationNotFound, ProjectNotAllowed
from .capabilities import Capability
from .client import Params, SentryClient
from .kinds import ServerKind
from .models import Issue
from .responses import ApiResponse, Expectations


class OrgRequests:
    """Org-scoped requests for one operation, counted; the project allow-list checked before any of them."""

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

    async def server_kind(self) -> ServerKind:
        """What kind of server this is (Sentry or GlitchTip), asked once per process; see `kinds`."""
        return await self.client.server_kind(self)

    def known_kind(self) -> ServerKind | None:
        """The kind of server, once a request has asked; None before."""
        return self.client.capabilities.kind

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
        params: Params | None = None,
        not_found: type[NotFound] = OrganizationNotFound,
        scope: str = "event:write",
        bad_request_field: str = "parameters",
    ) -> ApiResponse:
        """PUT a JSON body to an org-scoped path, with `params` in its query (sent once per attempt: a PUT twice
        ends as one)."""
        return await self._write("PUT", path, body, Expectations(not_found, scope, bad_request_field), params)

    async def post(
        self,
        path: Sequence[str],
        *,
        body: Mapping[str, Any],
        not_found: type[NotFound] = OrganizationNotFound,
        scope: str = "event:write",
        bad_request_field: str = "parameters",
    ) -> ApiResponse:
        """POST a JSON body to an org-scoped path, sent once and never retried: a POST creates something, and a
        second one after a failure that may have come after Sentry received the first would create it twice."""
        return await self._write("POST", path, body, Expectations(not_found, scope, bad_request_field))

    async def _write(
        self,
        method: str,
        path: Sequence[str],
        body: Mapping[str, Any],
        expect: Expectations,
        params: Params | None = None,
    ) -> ApiResponse:
        base = await self.client.region_base(self)
        return await self.client.send(
            self, method, base, path, params=params, body=body, expect=expect, retried=method != "POST"
        )
