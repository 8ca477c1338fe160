"""Organization, project and statistics routes (REFERENCE §1, §6)."""

from __future__ import annotations

from starlette.responses import JSONResponse, Response

from .api_base import NOT_FOUND, ApiError, Ctx, int_param, project_filter, truthy
from .models import Project
from .pagination import link_header, paginate, parse_cursor
from .serialize_orgs import SANDBOX_TEAM, serialize_organization, serialize_project_detail, serialize_project_summary
from .stats import compute_sessions, compute_stats_v2, parse_stats_query

MAX_PER_PAGE = 100


def _per_page(ctx: Ctx) -> int:
    per_page = int_param(ctx, "per_page", MAX_PER_PAGE, "Invalid per_page value.")
    if per_page > MAX_PER_PAGE:
        raise ApiError(400, {"detail": "Invalid per_page value. Cannot exceed 100."})
    return max(1, per_page)


def _access(ctx: Ctx) -> list[str]:
    return sorted(ctx.token.scopes)


def list_organizations(ctx: Ctx) -> Response:
    """`GET organizations/`: the one sandbox organization (filtered loosely by `query`)."""
    org = ctx.store.organization
    query = (ctx.params.get("query") or "").strip().lower()
    term = query.split(":", 1)[1] if ":" in query else query
    matches = [org] if not term or term in (org.slug, org.name.lower(), org.id, "active") else []
    page = paginate(len(matches), parse_cursor(ctx.params.get("cursor")), _per_page(ctx))
    body = [serialize_organization(o, ctx.state.base_url) for o in matches[page.start : page.stop]]
    return JSONResponse(body, headers={"Link": link_header(ctx.state.base_url, ctx.request.url.path, ctx.params, page)})


def get_organization(ctx: Ctx) -> Response:
    """`GET organizations/{org}/`."""
    return JSONResponse(serialize_organization(ctx.store.organization, ctx.state.base_url, _access(ctx)))


def _project_matches(project: Project, query: str) -> bool:
    for term in query.lower().split():
        key, sep, value = term.partition(":")
        if not sep:
            matched = term in project.slug or term in project.name.lower()
        else:
            expected = {"slug": project.slug, "id": project.id, "team": SANDBOX_TEAM["slug"]}.get(key, value)
            matched = value == expected
        if not matched:
            return False
    return True


def list_org_projects(ctx: Ctx) -> Response:
    """`GET organizations/{org}/projects/` (`query`, `all_projects`, pagination)."""
    query = ctx.params.get("query") or ""
    projects = sorted((p for p in ctx.store.projects if _project_matches(p, query)), key=lambda p: p.slug)
    items = [serialize_project_summary(p, ctx.store, _access(ctx)) for p in projects]
    if truthy(ctx.params.get("all_projects")):
        return JSONResponse(items)
    page = paginate(len(items), parse_cursor(ctx.params.get("cursor")), _per_page(ctx))
    headers = {"Link": link_header(ctx.state.base_url, ctx.request.url.path, ctx.params, page)}
    return JSONResponse(items[page.start : page.stop], headers=headers)


def get_project(ctx: Ctx) -> Response:
    """`GET projects/{org}/{project}/` (slug or numeric id)."""
    project = ctx.store.project(ctx.path("project"))
    if project is None:
        raise ApiError(404, NOT_FOUND)
    return JSONResponse(serialize_project_detail(project, ctx.store, _access(ctx), ctx.state.base_url))


VISIBILITIES = ("all", "hidden", "visible")


def list_project_environments(ctx: Ctx) -> Response:
    """`GET projects/{org}/{project}/environments/`: the environments the project's events named (none hidden)."""
    project = ctx.store.project(ctx.path("project"))
    if project is None:
        raise ApiError(404, NOT_FOUND)
    visibility = ctx.params.get("visibility") or "visible"
    if visibility not in VISIBILITIES:
        raise ApiError(400, {"detail": "Invalid value for 'visibility', valid values are: 'all', 'hidden', 'visible'"})
    names = sorted({e.environment for e in ctx.store.events() if e.project_id == project.id and e.environment})
    shown = [] if visibility == "hidden" else names
    return JSONResponse([{"id": str(index), "name": name, "isHidden": False} for index, name in enumerate(shown, 1)])


def _multi_params(ctx: Ctx) -> dict[str, list[str]]:
    params: dict[str, list[str]] = {}
    for key, value in ctx.params.multi_items():
        params.setdefault(key, []).append(value)
    return params


def org_stats_v2(ctx: Ctx) -> Response:
    """`GET organizations/{org}/stats_v2/`: outcomes grouped by outcome/category/reason/project."""
    query = parse_stats_query(_multi_params(ctx), project_filter(ctx), ctx.now)
    return JSONResponse(compute_stats_v2(ctx.store, query))


def org_sessions(ctx: Ctx) -> Response:
    """`GET organizations/{org}/sessions/`: release health from stored session updates."""
    return JSONResponse(compute_sessions(ctx.store, _multi_params(ctx), project_filter(ctx), ctx.now))
