"""list-assignees: the users and teams an issue of one project can be assigned to, one line each."""

from __future__ import annotations

from pydantic import Field

from ..sentry import models
from ..shared.results import Result
from ._assignees import check_assignees_supported, read_assignable, team_actor, team_matches, user_matches
from ._params import ProjectSlug
from .operation import Operation, OperationContext, Parameters


class ListAssigneesParams(Parameters):
    project_slug: ProjectSlug
    query: str | None = Field(default=None, max_length=200, description="Text in an email, username, name or slug.")


class Assignees(Result):
    project: str
    users: list[str] = Field(default_factory=list)
    teams: list[str] = Field(default_factory=list)


def user_line(user: models.UserRef) -> str:
    """`Ana Lima <ana@example.com> (ana, id 2)`: what is the same as the email is said once."""
    head = f"{user.name} <{user.email}>" if user.name and user.name != user.email else user.email or user.name
    extra = [user.username] if user.username and user.username not in (user.email, user.name) else []
    return f"{head} ({', '.join([*extra, f'id {user.id}'])})"


async def list_assignees(ctx: OperationContext, params: ListAssigneesParams) -> Assignees:
    await check_assignees_supported(ctx, "project_slug")
    ctx.api.check_project_allowed(params.project_slug)
    assignable = await read_assignable(ctx, params.project_slug)
    wanted = (params.query or "").strip().lower().removeprefix("#")
    users = [u for u in assignable.users if user_matches(u, wanted)]
    teams = [t for t in assignable.teams if team_matches(t, wanted)]
    result = Assignees(
        project=params.project_slug,
        users=[user_line(u) for u in sorted(users, key=lambda u: (u.name or u.email).lower())],
        teams=[team_actor(t).label for t in sorted(teams, key=lambda t: t.slug)],
    )
    if users or teams:
        example = users[0].email if users else team_actor(teams[0]).label
        ctx.recommend(f"Assign with assign-issue(issue_id=..., assignee='{example}'): an email, username, id or #slug.")
    elif wanted:
        ctx.warn(f"No member or team of {params.project_slug} matches {params.query!r}; call without query to see all.")
    return result


def render_assignees(result: Assignees) -> str:
    lines = [f"{result.project}: {len(result.users)} user(s), {len(result.teams)} team(s) can be assigned"]
    lines.extend(f"  {line}" for line in result.users)
    if result.teams:
        lines.append("  teams: " + ", ".join(result.teams))
    return "\n".join(lines)


OPERATION = Operation(
    name="list-assignees",
    title="List assignees",
    description=(
        "List who can be assigned issues of a Sentry project (for assign-issue): members as "
        "`name <email> (username, id N)`, invitations left out, and teams as `#slug`."
    ),
    params=ListAssigneesParams,
    result=Assignees,
    handler=list_assignees,
    render=render_assignees,
    scopes=("project:read",),
)
