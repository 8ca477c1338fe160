"""Who is in the sandbox organization: users, teams, members (invitations included), which teams hold which projects.

A `Directory` is fixed data, like the organization and its projects: the API reads it and never changes it, so it
is not part of the store's snapshots. `default_directory()` is the sandbox's; a server that needs other people
builds its own `Directory` and hands it to `SandboxStore`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

OWNER, MEMBER = "owner", "member"
# Roles whose members reach every project whatever their teams (Sentry's `is_global` roles).
GLOBAL_ROLES = frozenset({OWNER, "manager"})


@dataclass(frozen=True)
class User:
    """A user of the Sentry instance (a member of the organization or not)."""

    id: str
    name: str
    email: str
    username: str
    date_joined: str  # ISO-8601, as Sentry writes it

    @property
    def display_name(self) -> str:
        """Sentry's `User.get_display_name()`: the name, else the email, else the username."""
        return self.name or self.email or self.username


@dataclass(frozen=True)
class Team:
    id: str
    slug: str
    name: str
    date_created: datetime


@dataclass(frozen=True)
class Member:
    """An organization membership: a user's role and teams, or an invitation not accepted yet (`user_id` None)."""

    id: str
    email: str
    role: str
    teams: tuple[str, ...]  # team slugs
    date_created: datetime
    user_id: str | None = None
    inviter_id: str | None = None

    @property
    def pending(self) -> bool:
        return self.user_id is None


@dataclass(frozen=True)
class Directory:
    """Users, teams and members of one organization, and each project's teams (project id -> team slugs).

    `open_membership` is Sentry's organization flag: when set, every member reaches every project.
    """

    users: tuple[User, ...]
    teams: tuple[Team, ...]
    members: tuple[Member, ...]
    project_teams: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    open_membership: bool = False

    def user(self, key: str) -> User | None:
        """A user by id, email or username (email and username case-insensitive)."""
        lowered = key.strip().lower()
        for user in self.users:
            if key == user.id or lowered in (user.email.lower(), user.username.lower()):
                return user
        return None

    def user_by_id(self, user_id: str | None) -> User | None:
        return next((u for u in self.users if u.id == user_id), None) if user_id is not None else None

    def team(self, id_or_slug: str) -> Team | None:
        return next((t for t in self.teams if id_or_slug in (t.id, t.slug)), None)

    def member_of(self, user_id: str | None) -> Member | None:
        """The membership of a user, None when the user is not a member."""
        if user_id is None:
            return None
        return next((m for m in self.members if m.user_id == user_id), None)

    def member_teams(self, member: Member) -> list[Team]:
        return [t for t in self.teams if t.slug in member.teams]

    def teams_of_project(self, project_id: str) -> list[Team]:
        slugs = self.project_teams.get(project_id, ())
        return [t for t in self.teams if t.slug in slugs]

    def team_members(self, team: Team) -> list[Member]:
        return [m for m in self.members if team.slug in m.teams]

    def member_projects(self, member: Member, project_ids: list[str]) -> frozenset[str]:
        """The projects a member's teams hold (not counting a global role or open membership)."""
        return frozenset(p for p in project_ids if set(self.project_teams.get(p, ())) & set(member.teams))

    def project_members(self, project_id: str) -> list[Member]:
        """Members (invitations included) of a team of the project: Sentry's `ProjectMemberIndexEndpoint` set."""
        slugs = set(self.project_teams.get(project_id, ()))
        return [m for m in self.members if slugs & set(m.teams)]

    def email_of(self, member: Member) -> str:
        """Sentry's `OrganizationMember.get_email()`: the user's email, else the invited address."""
        user = self.user_by_id(member.user_id)
        return user.email if user is not None else member.email


def default_directory(project_ids: Mapping[str, str], now: datetime) -> Directory:
    """The sandbox's people: `project_ids` maps project slugs (`backend`, `worker`) to their ids.

    The owner (user 1, whose tokens `SandboxServer.token` and `read_only_token` are) and Ana are in both teams;
    Ben only in `backend-devs` (so no access to `worker`), Chloe only in `platform`; dev@example.com is invited
    (pending, into `backend-devs`); Omar is a user of the instance but no member of the organization.
    """
    joined = "2024-01-01T00:00:00Z"
    users = (
        User("1", "Sandbox User", "sandbox@example.com", "sandbox@example.com", joined),
        User("2", "Ana Lima", "ana@example.com", "ana", "2024-02-12T09:30:00Z"),
        User("3", "Ben Okafor", "ben@example.com", "ben@example.com", "2024-03-04T14:05:00Z"),
        User("4", "Chloe Martin", "chloe@example.com", "chloe@example.com", "2024-05-20T08:45:00Z"),
        User("5", "Omar Haddad", "omar@partner.example", "omar@partner.example", "2024-06-01T12:00:00Z"),
    )
    created = now - timedelta(days=380)
    teams = (
        Team("1", "backend-devs", "Backend Devs", created),
        Team("2", "platform", "Platform", created),
    )
    members = (
        Member("101", "sandbox@example.com", OWNER, ("backend-devs", "platform"), created, user_id="1"),
        Member("102", "ana@example.com", MEMBER, ("backend-devs", "platform"), created + timedelta(days=40), "2", "1"),
        Member("103", "ben@example.com", MEMBER, ("backend-devs",), created + timedelta(days=61), "3", "1"),
        Member("104", "chloe@example.com", MEMBER, ("platform",), created + timedelta(days=138), "4", "1"),
        Member("105", "dev@example.com", MEMBER, ("backend-devs",), now - timedelta(days=3), None, "1"),
    )
    holders = {"backend": ("backend-devs",), "worker": ("platform",)}
    project_teams = {project_id: holders.get(slug, ()) for slug, project_id in project_ids.items()}
    return Directory(users, teams, members, project_teams)
