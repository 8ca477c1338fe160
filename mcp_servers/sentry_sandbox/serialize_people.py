"""API shapes of people: users, organization members and teams (camelCase, as Sentry's serializers write them).

Sources: the published OpenAPI spec's `listOrganizationMembers`, `listProjectMembers`, `listOrganizationTeams`
and `listProjectTeams` answers, `sentry/api/serializers/models/organization_member/` and `.../team.py`.
"""

from __future__ import annotations

from typing import Any

from .access import Access
from .directory import OWNER, Directory, Member, Team, User
from .models import Project
from .serialize_orgs import serialize_team_project
from .store import SandboxStore
from .times import iso

AVATAR = {"avatarType": "letter_avatar", "avatarUuid": None, "avatarUrl": None}
MEMBER_FLAGS = ("idp:provisioned", "idp:role-restricted", "sso:linked", "sso:invalid", "member-limit:restricted")


def serialize_user(user: User, requester: bool = False) -> dict[str, Any]:
    """Sentry's `UserSerializer`; `requester` adds what it shows a user of themselves (`options`, `flags`)."""
    data: dict[str, Any] = {
        "id": user.id,
        "name": user.name,
        "username": user.username,
        "email": user.email,
        "avatarUrl": "",
        "isActive": True,
        "isSuspended": False,
        "hasPasswordAuth": True,
        "isManaged": False,
        "dateJoined": user.date_joined,
        "lastLogin": None,
        "has2fa": False,
        "lastActive": None,
        "isSuperuser": False,
        "isStaff": False,
        "experiments": {},
        "emails": [{"id": user.id, "email": user.email, "is_verified": True}],
        "avatar": dict(AVATAR),
    }
    if requester:
        data["options"] = {
            "theme": "system",
            "language": "en",
            "stacktraceOrder": -1,
            "defaultIssueEvent": "recommended",
            "timezone": "UTC",
            "clock24Hours": False,
        }
        data["flags"] = {"newsletter_consent_prompt": False}
        data["identities"] = []
    return data


def serialize_member(member: Member, directory: Directory) -> dict[str, Any]:
    """An organization member (`OrganizationMemberSerializer`): an invitation has `user` null and `pending`."""
    user = directory.user_by_id(member.user_id)
    inviter = directory.user_by_id(member.inviter_id)
    email = directory.email_of(member)
    user_data = serialize_user(user) if user is not None else None
    if user_data is not None:
        user_data["canReset2fa"] = False
    return {
        "id": member.id,
        "email": email,
        "name": user.display_name if user is not None else email,
        "user": user_data,
        "orgRole": member.role,
        "pending": member.pending,
        "expired": False,
        "flags": {**dict.fromkeys(MEMBER_FLAGS, False), "partnership:restricted": False},
        "dateCreated": iso(member.date_created),
        "inviteStatus": "approved",
        "inviterName": inviter.display_name if inviter is not None else None,
    }


def serialize_team(team: Team, store: SandboxStore, access: Access, detailed: bool = False) -> dict[str, Any]:
    """A team (`TeamSerializer`) as `access` sees it; `detailed` adds its `projects` and `externalTeams`."""
    directory = store.directory
    is_member = access.is_member_of(team.slug)
    has_access = is_member or access.user is None or (access.member is not None and access.every_project)
    role = None
    if is_member and access.member is not None:
        role = "admin" if access.member.role == OWNER else "contributor"
    data: dict[str, Any] = {
        "id": team.id,
        "slug": team.slug,
        "name": team.name,
        "dateCreated": iso(team.date_created),
        "isMember": is_member,
        "teamRole": role,
        "flags": {"idp:provisioned": False},
        "access": sorted(access.scopes) if has_access else [],
        "hasAccess": has_access,
        "isPending": False,
        "memberCount": sum(1 for m in directory.team_members(team) if not m.pending),
        "avatar": dict(AVATAR),
    }
    if detailed:
        projects: list[Project] = [p for p in store.projects if team.slug in directory.project_teams.get(p.id, ())]
        data["externalTeams"] = []
        data["projects"] = [serialize_team_project(p, store, access) for p in sorted(projects, key=lambda p: p.slug)]
    return data
