"""What one token may do in the sandbox organization: its user, its membership, its scopes, the projects it reads.

Sentry limits a user's token twice: to the scopes the token was made with *and* the user's role grants, and to
the projects of the user's teams (every project for a global role such as owner, or with open membership).
A token without a user (an integration's) reaches every project with its own scopes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from .auth import ApiToken
from .directory import GLOBAL_ROLES, OWNER, Directory, Member, User
from .models import Project

_MEMBER_SCOPES = frozenset(
    {
        "event:read", "event:write", "event:admin", "project:releases", "project:read", "org:read",
        "member:read", "team:read", "alerts:read", "alerts:write",
    }
)  # fmt: skip
_OWNER_SCOPES = _MEMBER_SCOPES | frozenset(
    {
        "org:write", "org:admin", "org:integrations", "member:write", "member:admin", "member:invite",
        "team:write", "team:admin", "project:write", "project:admin",
    }
)  # fmt: skip
ROLE_SCOPES = {OWNER: _OWNER_SCOPES, "manager": _OWNER_SCOPES - {"org:admin"}, "member": _MEMBER_SCOPES}


@dataclass(frozen=True)
class Access:
    """The caller of one request: `user` None for a token without a user; `member` None outside the organization."""

    token: ApiToken
    user: User | None
    member: Member | None
    scopes: frozenset[str]
    project_ids: frozenset[str]
    every_project: bool

    @property
    def in_organization(self) -> bool:
        """False for a user who is no member of the organization (an integration token is in it)."""
        return self.user is None or self.member is not None

    def allows(self, any_of: tuple[str, ...]) -> bool:
        return any(scope in self.scopes for scope in any_of)

    def has_project(self, project_id: str) -> bool:
        return project_id in self.project_ids

    def is_member_of(self, team_slug: str) -> bool:
        return self.member is not None and team_slug in self.member.teams


def access_for(token: ApiToken, directory: Directory, projects: Sequence[Project]) -> Access:
    """What `token` may do: scopes cut to its user's role, projects cut to its user's teams."""
    every = [p.id for p in projects]
    if token.user_id is None:
        return Access(token, None, None, token.scopes, frozenset(every), True)
    user = directory.user_by_id(token.user_id)
    member = directory.member_of(token.user_id)
    if user is None or member is None:  # outside the organization: its scopes reach none of it
        return Access(token, user, None, token.scopes, frozenset(), False)
    scopes = token.scopes & ROLE_SCOPES.get(member.role, _MEMBER_SCOPES)
    if member.role in GLOBAL_ROLES or directory.open_membership:
        return Access(token, user, member, scopes, frozenset(every), True)
    reachable = directory.member_projects(member, every)
    return Access(token, user, member, scopes, reachable, reachable == frozenset(every))
