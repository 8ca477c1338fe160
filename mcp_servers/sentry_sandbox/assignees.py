"""`assignedTo` in an issue update: who it names, and whether Sentry lets that one own issues of a project.

Sentry parses the value with `parse_and_validate_actor` (`sentry/types/actor.py`, through `ActorField`) and then
`GroupValidator.validate_assignedTo` (`sentry/api/helpers/group_index/validators/group.py`):

* `""` (any falsy value) unassigns; JSON `null` is refused ("This field may not be null.", DRF's rule for a
  field without `allow_null`);
* a number, a string of digits or `user:<id>` names a user by id, `team:<id>` a team by id (teams are never named
  by slug); any other string is looked up as a username, then as an email; what none of that parses answers
  "Could not parse actor. ...";
* an id nobody has answers "ActorType.USER does not exist" / "ActorType.TEAM does not exist" (Sentry formats
  its `ActorType` enum with an f-string, which on Python >= 3.11 writes the member's qualified name);
* a user outside the organization answers "User is not a member of this organization";
* the user must be in a team of the issue's project ("Cannot assign to non-team member"), the team one of the
  project's ("Cannot assign to a team without access to the project").
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from .directory import Directory, Team, User

UNPARSABLE = "Could not parse actor. Format should be `type:id` where type is `team` or `user`."


class AssigneeError(ValueError):
    """`assignedTo` names no one Sentry would assign; the message is Sentry's."""


def serialize_actor(actor: User | Team) -> dict[str, Any]:
    """Sentry's `ActorSerializer`: an issue's `assignedTo`."""
    if isinstance(actor, Team):
        return {"type": "team", "id": actor.id, "name": actor.slug}
    return {"type": "user", "id": actor.id, "name": actor.display_name, "email": actor.email}


def _parse(value: Any, directory: Directory) -> tuple[str, str]:
    """(`user`|`team`, id) of an actor identifier; raises AssigneeError when it does not parse."""
    if isinstance(value, int):  # bool included, as in Python
        return "user", str(int(value))
    if not isinstance(value, str):
        raise AssigneeError(UNPARSABLE)
    for prefix in ("user:", "team:"):
        if value.startswith(prefix):
            number = value[len(prefix) :]
            if not number.strip().lstrip("+-").isdigit():
                raise AssigneeError(UNPARSABLE)
            return prefix[:-1], str(int(number))
    if value.isdigit():
        return "user", str(int(value))
    lowered = value.lower()
    by_username = next((u for u in directory.users if u.username.lower() == lowered), None)
    by_email = next((u for u in directory.users if u.email.lower() == lowered), None) if "@" in value else None
    user = by_username or by_email
    if user is None:
        raise AssigneeError(UNPARSABLE)
    return "user", user.id


def resolve_assignee(value: Any, directory: Directory, project_ids: Iterable[str]) -> User | Team | None:
    """The user or team `value` names, allowed on every project of `project_ids`; None to unassign.

    Raises AssigneeError with Sentry's message otherwise.
    """
    if value is None:
        raise AssigneeError("This field may not be null.")
    if not value:  # "", 0, false, [] and {} unassign, as `parse_and_validate_actor` reads any falsy value
        return None
    kind, actor_id = _parse(value, directory)
    if kind == "team":
        team = next((t for t in directory.teams if t.id == actor_id), None)
        if team is None:
            raise AssigneeError("ActorType.TEAM does not exist")
        for project_id in project_ids:
            if team not in directory.teams_of_project(project_id):
                raise AssigneeError("Cannot assign to a team without access to the project")
        return team
    user = directory.user_by_id(actor_id)
    if user is None:
        raise AssigneeError("ActorType.USER does not exist")
    member = directory.member_of(user.id)
    if member is None:
        raise AssigneeError("User is not a member of this organization")
    for project_id in project_ids:
        if member not in directory.project_members(project_id):
            raise AssigneeError("Cannot assign to non-team member")
    return user
