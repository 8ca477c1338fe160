"""Assignment and ownership in the local Sentry."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from mcp_servers.sentry_sandbox import SandboxServer
from mcp_servers.sentry_sandbox.ownership import Ownership, issue_owners
from tests.sandbox.sandbox_helpers import api_client, assert_matches_spec, response_schema

ORG_SPEC = "/api/0/organizations/{organization_id_or_slug}"
ISSUES = "organizations/sandbox/issues/"
UNPARSABLE = "Could not parse actor. Format should be `type:id` where type is `team` or `user`."
ANA = {"type": "user", "id": "2", "name": "Ana Lima", "email": "ana@example.com"}
PLATFORM = {"type": "team", "id": "2", "name": "platform"}


def _id(api: httpx.Client, short_id: str) -> str:
    issue_id: str = api.get(f"{ISSUES}{short_id}/").json()["id"]
    return issue_id


def _status(api: httpx.Client, short_id: str) -> str:
    status: str = api.get(f"{ISSUES}{short_id}/").json()["status"]
    return status


# -- assignment -----------------------------------------------------------------------------------


@pytest.mark.parametrize("assignee", ["user:2", "2", 2, "ana", "ANA@example.com"])
def test_assign_to_a_user_by_id_username_or_email(api: httpx.Client, assignee: Any) -> None:
    response = api.put(f"{ISSUES}WORKER-1/", json={"assignedTo": assignee})
    assert response.status_code == 200, response.text
    assert response.json()["assignedTo"] == ANA
    assert_matches_spec(response.json(), response_schema(f"{ORG_SPEC}/issues/{{issue_id}}/", "put"))


def test_the_assignee_shows_in_every_issue_answer(api: httpx.Client, sandbox: SandboxServer) -> None:
    api.put(f"issues/{_id(api, 'WORKER-1')}/", json={"assignedTo": "team:2"})  # the older route
    detail = api.get(f"{ISSUES}WORKER-1/").json()
    assert detail["assignedTo"] == PLATFORM
    listed = {i["shortId"]: i for i in api.get(ISSUES, params={"query": ""}).json()}
    assert listed["WORKER-1"]["assignedTo"] == PLATFORM and listed["WORKER-2"]["assignedTo"] is None
    assert listed["WORKER-1"]["derivedData"]["isAssigned"] is True
    assert api.get("organizations/sandbox/shortids/WORKER-1/").json()["group"]["assignedTo"] == PLATFORM
    assigned = detail["activity"][0]
    assert (assigned["type"], assigned["data"]) == (
        "assigned",
        {"assignee": "2", "assigneeEmail": None, "assigneeType": "team"},
    )
    assert assigned["user"]["email"] == "sandbox@example.com"  # who assigned it
    cleared = api.put(f"{ISSUES}WORKER-1/", json={"assignedTo": ""})
    assert cleared.json()["assignedTo"] is None
    assert api.get(f"{ISSUES}WORKER-1/").json()["activity"][0]["type"] == "unassigned"


@pytest.mark.parametrize(
    ("assignee", "message"),
    [
        ("user:99", "ActorType.USER does not exist"),
        ("team:99", "ActorType.TEAM does not exist"),
        ("user:5", "User is not a member of this organization"),
        ("ben@example.com", "Cannot assign to non-team member"),  # Ben is not in the worker's team
        ("team:1", "Cannot assign to a team without access to the project"),
        ("#platform", UNPARSABLE),  # teams are named by id only
        ("dev@example.com", UNPARSABLE),  # an invitation has no user
        ("user:x", UNPARSABLE),
        ({"id": 2}, UNPARSABLE),
        (None, "This field may not be null."),
    ],
)
def test_assignment_refusals_are_400_with_sentrys_detail(api: httpx.Client, assignee: Any, message: str) -> None:
    response = api.put(f"{ISSUES}WORKER-1/", json={"assignedTo": assignee, "status": "resolved"})
    assert (response.status_code, response.json()) == (400, {"assignedTo": [message]})
    assert _status(api, "WORKER-1") == "unresolved"  # nothing changed


def test_assigned_search_names_me_my_teams_and_others(api: httpx.Client, sandbox: SandboxServer) -> None:
    api.put(f"{ISSUES}BACKEND-1/", json={"assignedTo": "ben@example.com"})
    api.put(f"{ISSUES}BACKEND-2/", json={"assignedTo": "team:1"})

    def found(client: httpx.Client, query: str) -> list[str]:
        return sorted(i["shortId"] for i in client.get(ISSUES, params={"query": query}).json())

    assert found(api, "assigned:ben@example.com") == ["BACKEND-1"]
    assert found(api, "assigned:#backend-devs") == ["BACKEND-2"]
    assert found(api, "assigned:me") == []
    with api_client(sandbox, sandbox.token_for("ben@example.com")) as ben:
        assert found(ben, "assigned:me") == ["BACKEND-1"]
        assert found(ben, "assigned:my_teams") == ["BACKEND-2"]
        assert found(ben, "assigned:[me,my_teams]") == ["BACKEND-1", "BACKEND-2"]
        assert "BACKEND-9" in found(ben, "assigned_or_suggested:me")  # Ben owns checkout by an ownership rule


def test_ownership_rules_match_paths_modules_urls_and_tags(sandbox: SandboxServer) -> None:
    rules = ("path:*demo_app.py #platform", "module:*.demo_app chloe@example.com", "url:*nowhere* ana", "bad rule")
    ownership = Ownership(rules={"backend": rules})
    issue = sandbox.store.issue_by_short_id("BACKEND-1")
    assert issue is not None
    owners = issue_owners(issue, "backend", ownership, sandbox.store.directory)
    assert [(kind, who) for kind, who, _when in owners] == [("ownershipRule", "team:2"), ("ownershipRule", "user:4")]
