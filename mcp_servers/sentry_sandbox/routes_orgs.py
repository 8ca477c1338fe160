"""Organization, project and statistics routes (REFERENCE §1, §6)."""

from __future__ import annotations

from starlette.responses import JSONResponse, Response

from .api_base import ApiError, Ctx, find_project, int_param, project_filter, truthy
from .models import Project
from .pagination import link_header, paginate, parse_cursor
from .query_tokens import tokenize_query
from .serialize_orgs import serialize_organization, serialize_project_detail, serialize_project_summary
from .stats import compute_sessions, compute_stats_v2, parse_stats_query

MAX_PER_PAGE = 100


def _per_page(ctx: Ctx) -> int:
    per_page = int_param(ctx, "per_page", MAX_PER_PAGE, "Invalid per_page value.")
    if per_page > MAX_PER_PAGE:
        raise ApiError(400, {"detail": "Invalid per_page value. Cannot exceed 100."})
    return max(1, per_page)


def _access(ctx: Ctx) -> list[str]:
    return sorted(ctx.access.scopes)


def list_organizations(ctx: Ctx) -> Response:
    """`GET organizations/`: the sandbox organization, for its members (filtered loosely by `query`)."""
    org = ctx.store.organization
    query = (ctx.params.get("query") or "").strip().lower()
    term = query.split(":", 1)[1] if ":" in query else query
    wanted = not term or term in (org.slug, org.name.lower(), org.id, "active")
    matches = [org] if wanted and ctx.access.in_organization else []
    page = paginate(len(matches), parse_cursor(ctx.params.get("cursor")), _per_page(ctx))
    body = [serialize_organization(o, ctx.state.base_url) for o in matches[page.start : page.stop]]
    return JSONResponse(body, headers={"Link": link_header(ctx.state.base_url, ctx.request.url.path, ctx.params, page)})


def get_organization(ctx: Ctx) -> Response:
    """`GET organizations/{org}/`."""
    return JSONResponse(serialize_organization(ctx.store.organization, ctx.state.base_url, _access(ctx)))


def _project_matches(ctx: Ctx, project: Project, query: str) -> bool:
    """Sentry's `OrganizationProjectsEndpoint` filters: free text (name or slug), `id`, `slug`, `team`, `!team`,
    `is_member`; any other key matches nothing."""
    teams = {t.slug for t in ctx.store.directory.teams_of_project(project.id)}
    for key, values in tokenize_query(query).items():
        if key == "query":
            text = " ".join(values).lower()
            matched = text in project.slug or text in project.name.lower()
        elif key == "id":
            if not all(v.isdigit() for v in values):
                message = {"message": "All 'id' values must be integers."}
                raise ApiError(400, {"error": {"params": {"stats_period": message}}})
            matched = project.id in values
        elif key == "slug":
            matched = project.slug in values
        elif key in ("team", "!team"):
            matched = bool(teams & set(values)) == (key == "team")
        elif key == "is_member":
            matched = any(ctx.access.is_member_of(team) for team in teams)
        else:
            matched = False
        if not matched:
            return False
    return True


def list_org_projects(ctx: Ctx) -> Response:
    """`GET organizations/{org}/projects/` (`query`, `all_projects`, pagination): every project of the
    organization, each saying whether the caller is a member of it and may read it."""
    query = ctx.params.get("query") or ""
    projects = sorted((p for p in ctx.store.projects if _project_matches(ctx, p, query)), key=lambda p: p.slug)
    items = [serialize_project_summary(p, ctx.store, ctx.access) for p in projects]
    if truthy(ctx.params.get("all_projects")):
        return JSONResponse(items)
    page = paginate(len(items), parse_cursor(ctx.params.get("cursor")), _per_page(ctx))
    headers = {"Link": link_header(ctx.state.base_url, ctx.request.url.path, ctx.params, page)}
    return JSONResponse(items[page.start : page.stop], headers=headers)


def get_project(ctx: Ctx) -> Response:
    """`GET projects/{org}/{project}/` (slug or numeric id)."""
    project = find_project(ctx)
    return JSONResponse(serialize_project_detail(project, ctx.store, ctx.access, ctx.state.base_url))


VISIBILITIES = ("all", "hidden", "visible")


def list_project_environments(ctx: Ctx) -> Response:
    """`GET projects/{org}/{project}/environments/`: the environments the project's events named (none hidden)."""
    project = find_project(ctx)
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
