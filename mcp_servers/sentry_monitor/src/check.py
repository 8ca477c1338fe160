"""`sentry-error-monitor --check`: is this configuration ready to use against its Sentry?

It makes only reads: the organization, its projects and one project's detail, whose `access` field
lists the scopes the token has, then the tools' own reads of one issue and the statistics, to report
which form of each route the server answers (see `capabilities`). Scopes are never probed by trying a
write. Each finding is a line
with what to fix; the exit code is 0 when nothing failed, else 1. The token is never printed.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Mapping
from dataclasses import dataclass, field
from typing import Any

import anyio

from .base.config import Settings, load_settings
from .base.errors import ConfigurationError, ProjectNotFound, SentryMonitorError
from .operations.registry import OPERATIONS
from .sentry import Params, SentryApi
from .sentry.capabilities import (
    ALL,
    ARCHIVE_SUBSTATUS,
    ISSUE_EVENTS,
    ISSUE_LOOKUP,
    ISSUE_SORT,
    LATEST_EVENT,
    OUTCOME_STATS,
    Capability,
)
from .sentry.client import SentryClient
from .sentry.responses import ApiResponse

# A scope is also granted by its stronger forms.
IMPLIED_BY = {
    "org:read": ("org:read", "org:write", "org:admin"),
    "project:read": ("project:read", "project:write", "project:admin"),
    "event:read": ("event:read", "event:write", "event:admin"),
    "event:write": ("event:write", "event:admin"),
}


@dataclass
class Report:
    lines: list[tuple[str, str]] = field(default_factory=list)

    def ok(self, message: str) -> None:
        self.lines.append(("ok", message))

    def fail(self, message: str) -> None:
        self.lines.append(("FAIL", message))

    def note(self, message: str) -> None:
        self.lines.append(("note", message))

    @property
    def failures(self) -> int:
        return sum(1 for mark, _ in self.lines if mark == "FAIL")

    def text(self) -> str:
        body = [f"{mark:<4} {message}" for mark, message in self.lines]
        verdict = "ready" if not self.failures else f"{self.failures} problem(s) to fix"
        return "\n".join(["Sentry Error Monitor configuration check", *body, f"Result: {verdict}."])


def needed_scopes(settings: Settings) -> list[str]:
    """The scopes the offered tools need, in a stable order."""
    offered = [op for op in OPERATIONS.values() if op.read_only or not settings.read_only]
    scopes = {scope for op in offered for scope in op.scopes}
    return [scope for scope in IMPLIED_BY if scope in scopes]


async def run_check(
    environ: Mapping[str, str] | None = None, flags: Mapping[str, str | None] | None = None, **client_args: Any
) -> Report:
    report = Report()
    try:
        settings = load_settings(environ, flags)
    except ConfigurationError as exc:
        report.fail(f"configuration: {exc.message} Fix: {exc.recovery}")
        return report
    report.ok(f"configuration: SENTRY_URL={settings.url}, SENTRY_ORG={settings.org or '(auto-detect)'}")
    async with SentryClient(settings, **client_args) as client:
        api = SentryApi(client)
        try:
            with anyio.fail_after(settings.timeout):
                await _check_sentry(api, settings, report)
        except TimeoutError:
            report.fail(f"Sentry did not answer within {settings.timeout:g} s. Fix: check SENTRY_URL and the network.")
        except SentryMonitorError as exc:
            detail = exc.to_detail((settings.auth_token,))
            report.fail(f"{detail.code}: {detail.message} Fix: {detail.recovery_suggestion}")
    return report


BROKEN = ("BAD_UPSTREAM_RESPONSE", "UNSUPPORTED_BY_SERVER")


async def _check_sentry(api: SentryApi, settings: Settings, report: Report) -> None:
    started = time.perf_counter()
    org = await api.organization()
    organization = (await api.get(["organizations", org], scope="org:read")).data
    elapsed_ms = (time.perf_counter() - started) * 1000
    report.ok(f"reachable: {settings.host} answered ({elapsed_ms:.0f} ms); the token is accepted")
    kind = await api.server_kind()
    how = {"auto": "it answers GET /api/settings/" if kind.glitchtip else "it does not answer as GlitchTip"}
    report.ok(f"server: {kind.label} ({how.get(settings.server, 'SENTRY_MONITOR_SERVER')})")
    name = organization.get("name") if isinstance(organization, dict) else None
    report.ok(f"organization: {org}" + (f" ({name})" if name else ""))

    listed = (await api.get(["organizations", org, "projects"], scope="org:read")).data
    slugs = (
        [str(p["slug"]) for p in listed if isinstance(p, dict) and p.get("slug")] if isinstance(listed, list) else []
    )
    if settings.allowed_projects is not None:
        probe = sorted(settings.allowed_projects)
        report.note(f"allowed projects: {', '.join(probe)} (SENTRY_MONITOR_ALLOWED_PROJECTS)")
    else:
        probe = slugs[:1]
        report.ok(f"projects visible: {len(slugs)}" + (f" ({', '.join(slugs[:10])})" if slugs else ""))
    if not probe:
        report.fail("the token sees no project, so no scope can be read. Fix: add the token's user to a team.")
        return
    access: set[str] | None = None
    for slug in probe:
        try:
            project = (
                await api.get(["projects", org, slug], scope="project:read", not_found=ProjectNotFound, project=slug)
            ).data
        except ProjectNotFound:
            report.fail(f"project {slug!r} does not exist or the token cannot see it. Fix: correct the slug.")
            continue
        report.ok(f"project {slug}: readable")
        if access is None and isinstance(project, dict) and isinstance(project.get("access"), list):
            access = {str(scope) for scope in project["access"]}
    if access is None:
        access = await _token_scopes(api)
    if access is None:
        report.note("Sentry did not list the token's scopes (no `access` field, no `auth.scopes`); not checked.")
    else:
        _report_scopes(settings, access, report)
    await _report_capabilities(api, probe[0], report)


async def _token_scopes(api: SentryApi) -> set[str] | None:
    """The token's scopes from the API root's `auth.scopes` (GlitchTip lists them there). Only the scopes are
    kept: GlitchTip's root answer echoes the caller's token, so nothing else of it is read, kept or printed."""
    try:
        root = await api.root()
    except SentryMonitorError:
        return None
    auth = root.data.get("auth") if isinstance(root.data, dict) else None
    scopes = auth.get("scopes") if isinstance(auth, dict) else None
    return {str(scope) for scope in scopes} if isinstance(scopes, list) else None


async def _report_capabilities(api: SentryApi, slug: str, report: Report) -> None:
    """Which form of each route the server answers, probed with the tools' own reads (never a write)."""
    failed: dict[str, str] = {}

    async def probe(capability: Capability, request: Awaitable[ApiResponse]) -> ApiResponse | None:
        try:
            return await request
        except SentryMonitorError as exc:
            failed[capability.name] = exc.code
            return None

    try:
        project_id = await api.project_id(slug)
    except SentryMonitorError:
        report.note(f"capabilities: not probed (project {slug!r} is not readable)")
        return
    listing: Params = {
        "project": project_id,
        "query": "",
        "sort": "date",
        "limit": 1,
        "collapse": ["stats", "lifetime"],
    }
    listed = await probe(ISSUE_SORT, api.issue_list(listing, project=slug))
    issues = listed.json_list("issues") if listed is not None else []
    if issues:
        issue_id = str(issues[0].get("id"))
        await probe(ISSUE_LOOKUP, api.issue(issue_id))
        await probe(LATEST_EVENT, api.latest_event(issue_id))
        await probe(ISSUE_EVENTS, api.issue_events(issue_id, {"per_page": 1}))
    stats = {"field": "sum(quantity)", "category": "error", "groupBy": "outcome", "project": project_id}
    await probe(OUTCOME_STATS, api.stats_v2({**stats, "statsPeriod": "24h", "interval": "1h"}, project=slug))
    for capability in ALL:
        if capability is ARCHIVE_SUBSTATUS:  # only a write shows it, and the check never writes
            report.note(f"capability {capability.name}: learned at the first archive (not probed: it takes a write)")
            continue
        offers = api.offers(capability)
        if offers:
            report.ok(f"capability {capability.name}: {capability.current}")
        elif offers is False:
            report.note(f"capability {capability.name}: older form, {capability.older}")
        elif failed.get(capability.name) in BROKEN:
            report.fail(
                f"capability {capability.name}: {capability.current} answered {failed[capability.name]} (a web "
                "page or an error, not Sentry's API). Fix: check SENTRY_URL and the proxy in front of it."
            )
        else:
            why = failed.get(capability.name, f"project {slug} has no issue to try it on")
            report.note(f"capability {capability.name}: not determined ({why})")
    for warning in api.warnings:  # what the older forms cannot give (e.g. no per-outcome statistics)
        report.note(warning)


def _report_scopes(settings: Settings, access: set[str], report: Report) -> None:
    needed = needed_scopes(settings)
    have = [scope for scope in needed if any(form in access for form in IMPLIED_BY[scope])]
    missing = [scope for scope in needed if scope not in have]
    if have:
        report.ok(f"scopes present: {' '.join(have)}")
    for scope in missing:
        tools = sorted(op.name for op in OPERATIONS.values() if scope in op.scopes)
        fix = "create a token with it" + ("" if scope != "event:write" else ", or set SENTRY_MONITOR_READ_ONLY=true")
        report.fail(f"scope {scope} missing: {', '.join(tools)} will answer MISSING_SCOPE. Fix: {fix}.")
    if settings.read_only:
        report.note("read-only mode: the tools that change Sentry are hidden, so event:write is not needed")


def main(flags: Mapping[str, str | None]) -> int:
    """Print the report to stdout; the exit code is 1 when anything failed."""
    report = anyio.run(run_check, None, flags)
    print(report.text())
    return 1 if report.failures else 0
