"""Who an assignee text names: an email, username, name or user id, `#team-slug`, `me`, or `none`.

Names are looked up among the project's members and teams (`project:read`; the organization's member list
would need `member:read`), both read at once; invitations not accepted yet are left out, as Sentry refuses
them. The write takes `user:<id>` or `team:<id>` (Sentry names teams by id only), or `""` to unassign.
assign-issue uses `resolve_assignee`; a tool that assigns several issues can call it once per project.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from ..base.concurrency import gather_all
from ..base.errors import AssigneeNotFound, InvalidParameter, UnsupportedByServer
from ..sentry import models
from ..sentry.responses import ApiResponse
from .operation import OperationContext

MAX_CANDIDATES = 5
UNASSIGN = ("none", "")


@dataclass(frozen=True)
class Actor:
    """A user or team that can own issues: `label` is how we show it (a user's email, `#slug` for a team)."""

    kind: Literal["user", "team"]
    id: str
    label: str

    @property
    def assigned_to(self) -> str:
        """The value of Sentry's `assignedTo` naming this actor."""
        return f"{self.kind}:{self.id}"


@dataclass(frozen=True)
class Assignable:
    """Who can be assigned in a project: its members (invitations left out) and its teams."""

    users: tuple[models.UserRef, ...]
    teams: tuple[models.Team, ...]


def user_actor(user: models.UserRef) -> Actor:
    return Actor("user", user.id, user.email or user.username or user.name or f"user {user.id}")


def team_actor(team: models.Team) -> Actor:
    return Actor("team", team.id, f"#{team.slug}")


def is_assigned(actor: Actor | None, assigned_to: dict[str, object] | None) -> bool:
    """Whether an issue's `assignedTo` already names `actor` (None: nobody)."""
    if actor is None or not assigned_to:
        return actor is None and not assigned_to
    return (actor.kind, actor.id) == (assigned_to.get("type"), str(assigned_to.get("id")))


async def check_assignees_supported(ctx: OperationContext, field: str) -> None:
    """UNSUPPORTED_BY_SERVER on a server that keeps no assignees (GlitchTip), before any other request."""
    kind = await ctx.api.server_kind()
    if not kind.assignees:
        raise UnsupportedByServer(
            f"{kind.name} has no assignees: issues cannot be assigned to users or teams there. Nothing was sent.",
            recovery="Note the owner in a comment on the issue in the web UI instead.",
            capability="assignees",
            field=field,
        )


async def read_assignable(
    ctx: OperationContext, project_slug: str, *, users: bool = True, teams: bool = True
) -> Assignable:
    """The project's members and teams, read concurrently (only the lists asked for)."""
    reads = ([ctx.api.project_members(project_slug)] if users else []) + (
        [ctx.api.project_teams(project_slug)] if teams else []
    )
    answers: list[ApiResponse] = []
    for answer in await gather_all(reads):
        if isinstance(answer, Exception):
            raise answer
        answers.append(answer)
    members = answers[0].json_list("project members") if users else []
    team_rows = answers[-1].json_list("project teams") if teams else []
    if teams and answers[-1].next_cursor:
        ctx.warn(f"Project {project_slug} has more than 100 teams: only the first 100 were looked at.")
    parsed = [models.Member.model_validate(row) for row in members]
    return Assignable(
        users=tuple(m.user for m in parsed if m.user is not None and m.user.id and not m.pending),
        teams=tuple(t for t in (models.Team.model_validate(row) for row in team_rows) if t.id and t.slug),
    )


async def resolve_assignee(ctx: OperationContext, project_slug: str, text: str) -> Actor | None:
    """The user or team `text` names in the project; None for `none` (unassign).

    Raises UnsupportedByServer on a server without assignees (before any lookup), InvalidParameter (field
    `assignee`) for `me` with a token that acts as no user, AssigneeNotFound when no one or several match.
    """
    await check_assignees_supported(ctx, "assignee")
    wanted = text.strip()
    if wanted.lower() in UNASSIGN:
        return None
    if wanted.lower() == "me":
        return await _me(ctx)
    team_only = wanted.startswith("#")
    assignable = await read_assignable(ctx, project_slug, users=not team_only)
    return match_assignee(wanted, assignable, project_slug)


async def _me(ctx: OperationContext) -> Actor:
    root = (await ctx.api.root()).json_object("the API root")
    user = root.get("user")
    if not isinstance(user, dict) or not user.get("id"):
        raise InvalidParameter(
            "assignee",
            "assignee 'me' names the token's user, but this token acts as no user (an integration's token). "
            "Nothing was sent.",
            recovery="Name the assignee by email, username or #team-slug instead of 'me' (list-assignees lists them).",
        )
    return user_actor(models.UserRef.model_validate(user))


def match_assignee(text: str, assignable: Assignable, project_slug: str) -> Actor:
    """The one user or team `text` names exactly (case-insensitive); raises AssigneeNotFound otherwise.

    `#slug` names a team; a number is a user id first. An email, username or team slug matching beats a
    user's name matching.
    """
    wanted = text.strip().lower()
    users = () if wanted.startswith("#") else assignable.users
    teams = assignable.teams
    slug = wanted.removeprefix("#")
    if wanted.isdigit():
        by_id = [user_actor(u) for u in users if u.id == wanted]
        if by_id:
            return by_id[0]
    exact = _distinct(
        [user_actor(u) for u in users if wanted in (u.email.lower(), u.username.lower())]
        + [team_actor(t) for t in teams if t.slug.lower() == slug]
    ) or _distinct([user_actor(u) for u in users if u.name.lower() == wanted])
    if len(exact) == 1:
        return exact[0]
    if exact:
        raise AssigneeNotFound(
            f"{text!r} names several people or teams in project {project_slug}; nothing was sent.",
            assignee=text,
            candidates=[actor.label for actor in exact[:MAX_CANDIDATES]],
        )
    near = matching_labels(Assignable(users=tuple(users), teams=teams), slug)[:MAX_CANDIDATES]
    raise AssigneeNotFound(
        f"No member or team of project {project_slug} is {text!r}; nothing was sent.",
        assignee=text,
        candidates=near or None,
    )


def _distinct(actors: Iterable[Actor]) -> list[Actor]:
    return list(dict.fromkeys(actors))


def user_matches(user: models.UserRef, text: str) -> bool:
    """Whether `text` (lowercase) is in the user's email, username or name."""
    return any(text in field.lower() for field in (user.email, user.username, user.name))


def team_matches(team: models.Team, text: str) -> bool:
    """Whether `text` (lowercase) is in the team's slug or name."""
    return text in team.slug.lower() or text in team.name.lower()


def matching_labels(assignable: Assignable, text: str) -> list[str]:
    """Labels of the users and teams whose email, username, name or slug contain `text` (lowercase)."""
    return [user_actor(u).label for u in assignable.users if user_matches(u, text)] + [
        team_actor(t).label for t in assignable.teams if team_matches(t, text)
    ]
