"""People routes: the organization's members and teams, a project's members and teams, and `GET /api/0/`.

* `GET organizations/{org}/members/` (`listOrganizationMembers`, `member:read`): approved members and pending
  invitations, by member id, paged; `query` filters as Sentry's `OrganizationMemberIndexEndpoint` does (free text
  on name, email and username; `email`, `id`, `user.id`, `role`, `scope`, `isInvited`, `ssoLinked`, `has2fa`,
  `hasExternalUsers`; any other key matches nothing).
* `GET projects/{org}/{project}/members/` (`listProjectMembers`): members of the project's teams (invitations
  included), by email, not paged.
* `GET organizations/{org}/teams/` (`listOrganizationTeams`): by slug, paged, `detailed=0` without projects;
  `query` free text on name and slug, `slug`, `id` (400 "Invalid id value" for a non-number), `hasExternalTeams`.
* `GET projects/{org}/{project}/teams/` (`listProjectTeams`): by name, paged.
* `GET /api/0/` (Sentry's `IndexEndpoint`, no scope): `{"version": "0", "auth": {"scopes": [...]}, "user": ...}`,
  `user` null for a token without a user and both null without a token.
"""

from __future__ import annotations

from collections.abc import Callable

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from .access import ROLE_SCOPES
from .api_base import ApiError, Ctx, find_project, int_param, state_of
from .auth import INVALID_TOKEN, TOKEN_EXPIRED
from .directory import Directory, Member, Team
from .pagination import link_header, paginate, parse_cursor
from .query_tokens import tokenize_query
from .serialize_people import serialize_member, serialize_team, serialize_user
from .times import utcnow

MAX_PER_PAGE = 100


def _paged(ctx: Ctx, items: list[dict[str, object]]) -> Response:
    per_page = int_param(ctx, "per_page", MAX_PER_PAGE, "Invalid per_page value.")
    if per_page > MAX_PER_PAGE:
        raise ApiError(400, {"detail": "Invalid per_page value. Cannot exceed 100."})
    page = paginate(len(items), parse_cursor(ctx.params.get("cursor")), max(1, per_page))
    headers = {"Link": link_header(ctx.state.base_url, ctx.request.url.path, ctx.params, page)}
    return JSONResponse(items[page.start : page.stop], headers=headers)


def _member_filter(directory: Directory, key: str, values: list[str]) -> Callable[[Member], bool]:
    """One `query` key of the members list."""

    def user_text(member: Member) -> str:
        user = directory.user_by_id(member.user_id)
        return " ".join((user.name, user.email, user.username)).lower() if user else ""

    truth = "true" in values
    lowered = {v.lower() for v in values}
    filters: dict[str, Callable[[Member], bool]] = {
        "email": lambda m: m.email in values if m.pending else directory.email_of(m).lower() in lowered,
        "id": lambda m: m.id in values,
        "user.id": lambda m: m.user_id in values,
        "role": lambda m: m.role in values,
        "scope": lambda m: bool(ROLE_SCOPES.get(m.role, frozenset()) & set(values)),
        "isInvited": lambda m: m.pending == truth,
        "ssoLinked": lambda m: not truth,
        "has2fa": lambda m: not truth and not m.pending,
        "hasExternalUsers": lambda m: not truth,
        "query": lambda m: " ".join(values).lower() in user_text(m) or " ".join(values).lower() in m.email.lower(),
    }
    return filters.get(key, lambda m: False)


def list_members(ctx: Ctx) -> Response:
    """`GET organizations/{org}/members/`."""
    directory = ctx.store.directory
    members = sorted(directory.members, key=lambda m: int(m.id) if m.id.isdigit() else 0)
    for key, values in tokenize_query(ctx.params.get("query") or "").items():
        keep = _member_filter(directory, key, values)
        members = [m for m in members if keep(m)]
    return _paged(ctx, [serialize_member(m, directory) for m in members])


def list_project_members(ctx: Ctx) -> Response:
    """`GET projects/{org}/{project}/members/`."""
    project = find_project(ctx)
    directory = ctx.store.directory
    members = sorted(directory.project_members(project.id), key=lambda m: directory.email_of(m) or m.id)
    return JSONResponse([serialize_member(m, directory) for m in members])


def _team_matches(team: Team, key: str, values: list[str]) -> bool:
    if key == "query":
        text = " ".join(values).lower()
        return text in team.name.lower() or text in team.slug.lower()
    if key == "slug":
        return team.slug in values
    if key == "id":
        if not all(v.lstrip("-").isdigit() for v in values):
            raise ApiError(400, {"detail": "Invalid id value"})
        return int(team.id) in {int(v) for v in values}
    if key == "hasExternalTeams":
        return "true" not in values
    return False


def list_teams(ctx: Ctx) -> Response:
    """`GET organizations/{org}/teams/`."""
    teams = sorted(ctx.store.directory.teams, key=lambda t: t.slug)
    for key, values in tokenize_query(ctx.params.get("query") or "").items():
        teams = [t for t in teams if _team_matches(t, key, values)]
    detailed = ctx.params.get("detailed", "1") != "0"
    return _paged(ctx, [serialize_team(t, ctx.store, ctx.access, detailed) for t in teams])


def list_project_teams(ctx: Ctx) -> Response:
    """`GET projects/{org}/{project}/teams/`."""
    project = find_project(ctx)
    teams = sorted(ctx.store.directory.teams_of_project(project.id), key=lambda t: t.name)
    return _paged(ctx, [serialize_team(t, ctx.store, ctx.access) for t in teams])


async def api_root(request: Request) -> Response:
    """`GET /api/0/`: who the token acts as, and its scopes."""
    state = state_of(request)
    scheme, _, value = request.headers.get("authorization", "").partition(" ")
    if not value.strip():
        return JSONResponse({"version": "0", "auth": None, "user": None})
    token = state.tokens.find(value.strip()) if scheme.lower() in ("bearer", "token") else None
    if token is None:
        return JSONResponse(INVALID_TOKEN, status_code=401)
    if token.expired(utcnow()):
        return JSONResponse(TOKEN_EXPIRED, status_code=401)
    user = state.store.directory.user_by_id(token.user_id)
    return JSONResponse(
        {
            "version": "0",
            "auth": {"scopes": sorted(token.scopes)},
            "user": serialize_user(user, requester=True) if user is not None else None,
        }
    )
