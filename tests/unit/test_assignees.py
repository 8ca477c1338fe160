"""Matching an assignee text to one user or team of a project, and how they read."""

from __future__ import annotations

import pytest

from mcp_servers.sentry_monitor.src.base.errors import AssigneeNotFound
from mcp_servers.sentry_monitor.src.operations._assignees import Actor, Assignable, match_assignee
from mcp_servers.sentry_monitor.src.operations.list_assignees import user_line
from mcp_servers.sentry_monitor.src.sentry.models import Member, Team, UserRef
from mcp_servers.sentry_monitor.src.shared.issues import assignee_label

ANA = UserRef(id="2", name="Ana Lima", username="ana", email="ana@example.com")
BEN = UserRef(id="3", name="Ben", username="ben@example.com", email="ben@example.com")
NUMBERS = UserRef(id="7", name="Seven", username="42", email="seven@example.com")
BACKEND = Team(id="1", slug="backend", name="Backend Devs")
ANA_TEAM = Team(id="9", slug="ana", name="Ana's team")
PEOPLE = Assignable(users=(ANA, BEN, NUMBERS), teams=(BACKEND,))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("ana@example.com", Actor("user", "2", "ana@example.com")),
        ("ANA@EXAMPLE.COM", Actor("user", "2", "ana@example.com")),
        ("Ana", Actor("user", "2", "ana@example.com")),  # username
        ("ana lima", Actor("user", "2", "ana@example.com")),  # name
        ("3", Actor("user", "3", "ben@example.com")),  # user id
        ("42", Actor("user", "7", "seven@example.com")),  # no user 42: then a username of digits
        ("#backend", Actor("team", "1", "#backend")),
        ("Backend", Actor("team", "1", "#backend")),
        (" ben ", Actor("user", "3", "ben@example.com")),  # a name, spaces around
    ],
)
def test_an_exact_match_wins(text: str, expected: Actor) -> None:
    assert match_assignee(text, PEOPLE, "backend") == expected


def test_a_user_id_comes_before_a_username_of_digits() -> None:
    taken = UserRef(id="42", name="Forty", username="forty", email="forty@example.com")
    people = Assignable(users=(NUMBERS, taken), teams=())
    assert match_assignee("42", people, "backend").label == "forty@example.com"


def test_a_username_and_a_team_slug_alike_are_ambiguous_unless_marked_with_hash() -> None:
    people = Assignable(users=(ANA,), teams=(ANA_TEAM,))
    with pytest.raises(AssigneeNotFound) as raised:
        match_assignee("ana", people, "backend")
    assert raised.value.details == {"assignee": "ana", "candidates": ["ana@example.com", "#ana"]}
    assert "names several" in raised.value.message and "nothing was sent" in raised.value.message
    assert match_assignee("#ana", people, "backend") == Actor("team", "9", "#ana")


def test_an_email_or_username_beats_another_users_name() -> None:
    named_like_an_email = UserRef(id="8", name="ana@example.com", username="other", email="other@example.com")
    people = Assignable(users=(named_like_an_email, ANA), teams=())
    assert match_assignee("ana@example.com", people, "backend").id == "2"


def test_unknown_text_offers_up_to_five_candidates_that_contain_it() -> None:
    many = tuple(UserRef(id=str(n), username=f"dev{n}", email=f"dev{n}@example.com") for n in range(8))
    with pytest.raises(AssigneeNotFound) as raised:
        match_assignee("dev", Assignable(users=many, teams=(Team(id="1", slug="devops"),)), "backend")
    assert raised.value.details["candidates"] == [f"dev{n}@example.com" for n in range(5)]
    assert raised.value.code == "ASSIGNEE_NOT_FOUND"
    with pytest.raises(AssigneeNotFound) as nothing:
        match_assignee("zed", PEOPLE, "backend")
    assert nothing.value.details == {"assignee": "zed"}
    assert nothing.value.message == "No member or team of project backend is 'zed'; nothing was sent."


def test_a_team_name_is_no_exact_match_but_a_candidate() -> None:
    with pytest.raises(AssigneeNotFound) as raised:
        match_assignee("Backend Devs", PEOPLE, "backend")
    assert raised.value.details["candidates"] == ["#backend"]


def test_hash_looks_at_teams_only() -> None:
    with pytest.raises(AssigneeNotFound) as raised:
        match_assignee("#ana", PEOPLE, "backend")
    assert "candidates" not in raised.value.details


def test_members_parse_with_invitations_recognisable() -> None:
    invited = Member.model_validate({"id": "105", "email": "dev@example.com", "user": None, "pending": True})
    joined = Member.model_validate({"id": "102", "email": "ana@example.com", "user": {"id": 2, "name": None}})
    assert (invited.pending, invited.user) == (True, None)
    assert joined.user == UserRef(id="2", name="", username="", email="")


@pytest.mark.parametrize(
    ("user", "line"),
    [
        (ANA, "Ana Lima <ana@example.com> (ana, id 2)"),
        (BEN, "Ben <ben@example.com> (id 3)"),  # the username is the email: said once
        (
            UserRef(id="5", email="x@example.com", username="x@example.com", name="x@example.com"),
            "x@example.com (id 5)",
        ),
    ],
)
def test_a_user_reads_on_one_line(user: UserRef, line: str) -> None:
    assert user_line(user) == line


@pytest.mark.parametrize(
    ("assigned_to", "label"),
    [
        ({"type": "team", "id": "2", "name": "platform"}, "#platform"),
        ({"type": "user", "id": "2", "name": "Ana Lima", "email": "ana@example.com"}, "ana@example.com"),
        ({"type": "user", "id": "2", "name": "Ana Lima"}, "Ana Lima"),
        ({"type": "team", "id": "2"}, "2"),
        (None, None),
    ],
)
def test_an_assignee_reads_as_assign_issue_takes_it(assigned_to: dict[str, str] | None, label: str | None) -> None:
    assert assignee_label(assigned_to) == label
