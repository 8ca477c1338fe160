"""Assignment, ownership, bulk mutate and the `group=` issue list of the local Sentry."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from mcp_servers.sentry_sandbox import SandboxServer
from mcp_servers.sentry_sandbox.ownership import Ownership, issue_owners
from tests.sandbox.sandbox_helpers import api_client, assert_matches_spec, relax, response_schema

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


# -- owners ---------------------------------------------------------------------------------------


def test_owners_come_with_expand_owners(api: httpx.Client) -> None:
    assert "owners" not in api.get(f"{ISSUES}BACKEND-A/").json()
    detail = api.get(f"{ISSUES}BACKEND-A/", params={"expand": "owners"})
    owners = detail.json()["owners"]
    assert [(o["type"], o["owner"]) for o in owners] == [("ownershipRule", "user:3"), ("suspectCommit", "user:2")]
    assert_matches_spec(detail.json(), response_schema(f"{ORG_SPEC}/issues/{{issue_id}}/"))
    assert api.get(f"{ISSUES}BACKEND-1/", params={"expand": "owners"}).json()["owners"] is None
    listed = api.get(ISSUES, params={"query": "", "expand": "owners"}).json()
    owned = {i["shortId"]: [o["owner"] for o in i["owners"] or []] for i in listed}
    assert owned["BACKEND-7"] == ["team:1"] and owned["WORKER-3"] == ["team:2"] and owned["BACKEND-1"] == []
    assert all(i["owners"] is None for i in api.get(ISSUES, params={"query": ""}).json())


# -- bulk mutate ----------------------------------------------------------------------------------


BULK_NULLABLE = ("assignedTo", "inbox", "substatus", "shareId")


def test_bulk_assign_answers_the_change_in_spec_shape(api: httpx.Client) -> None:
    ids = [_id(api, s) for s in ("BACKEND-1", "BACKEND-2")]
    response = api.put(ISSUES, params={"id": ids}, json={"assignedTo": "ana", "isSubscribed": True, "unknown": 1})
    assert response.status_code == 200
    assert response.json() == {"assignedTo": ANA, "isSubscribed": True, "subscriptionDetails": {"reason": "unknown"}}
    assert {api.get(f"{ISSUES}{i}/").json()["assignedTo"]["id"] for i in ids} == {"2"}
    assert_matches_spec(response.json(), relax(response_schema(f"{ORG_SPEC}/issues/", "put"), nullable=BULK_NULLABLE))
    cleared = api.put(ISSUES, params={"id": ids}, json={"assignedTo": ""})
    assert cleared.json() == {"assignedTo": None}


def test_bulk_status_with_details(api: httpx.Client) -> None:
    ids = [_id(api, s) for s in ("BACKEND-1", "WORKER-1")]
    body = {"status": "ignored", "statusDetails": {"ignoreDuration": 30}}
    response = api.put(ISSUES, params={"id": ids}, json=body)
    delta = response.json()
    assert (delta["status"], delta["substatus"], delta["inbox"]) == ("ignored", "archived_until_condition_met", None)
    assert set(delta["statusDetails"]) == {"ignoreUntil", "actor"}
    assert_matches_spec(delta, relax(response_schema(f"{ORG_SPEC}/issues/", "put"), nullable=BULK_NULLABLE))
    assert {_status(api, s) for s in ("BACKEND-1", "WORKER-1")} == {"ignored"}


def test_bulk_assignee_must_be_allowed_on_every_project(api: httpx.Client) -> None:
    ids = [_id(api, s) for s in ("BACKEND-1", "WORKER-1")]
    refused = api.put(ISSUES, params={"id": ids}, json={"assignedTo": "ben@example.com"})
    assert (refused.status_code, refused.json()) == (400, {"assignedTo": ["Cannot assign to non-team member"]})
    assert api.get(f"{ISSUES}BACKEND-1/").json()["assignedTo"] is None
    both = api.put(ISSUES, params={"id": ids}, json={"assignedTo": "ana"})
    assert both.json() == {"assignedTo": ANA}


def test_bulk_resolve_in_release_is_one_project_only(api: httpx.Client) -> None:
    ids = [_id(api, s) for s in ("BACKEND-1", "WORKER-1")]
    body = {"status": "resolved", "statusDetails": {"inNextRelease": True}}
    refused = api.put(ISSUES, params={"id": ids}, json=body)
    assert (refused.status_code, refused.json()) == (400, {"detail": "Cannot set resolved for multiple projects."})


def test_bulk_without_id_changes_every_issue_the_search_finds(api: httpx.Client, sandbox: SandboxServer) -> None:
    unresolved_worker = [i["shortId"] for i in api.get(ISSUES, params={"project": sandbox.project_id("worker")}).json()]
    assert len(unresolved_worker) > 1
    response = api.put(ISSUES, params={"project": sandbox.project_id("worker")}, json={"status": "resolved"})
    assert response.json()["status"] == "resolved"
    assert {_status(api, s) for s in unresolved_worker} == {"resolved"}
    assert _status(api, "BACKEND-1") == "unresolved"


def test_bulk_ids_out_of_scope_fall_back_to_the_search(api: httpx.Client, sandbox: SandboxServer) -> None:
    """Sentry's `update_groups_with_search_fn`: `id`s that find no issue in the selected projects are dropped, and
    then the search (default `is:unresolved`) chooses what changes: a client must never send such ids."""
    backend_issue = _id(api, "BACKEND-1")
    worker = sandbox.project_id("worker")
    response = api.put(ISSUES, params={"id": backend_issue, "project": worker}, json={"hasSeen": True})
    assert response.json() == {"hasSeen": True}
    assert api.get(f"{ISSUES}BACKEND-1/").json()["hasSeen"] is False
    assert api.get(f"{ISSUES}WORKER-1/").json()["hasSeen"] is True
    nothing = api.put(ISSUES, params={"id": "1", "query": "is:unresolved level:warning"}, json={"status": "resolved"})
    assert nothing.status_code == 204


def test_bulk_by_a_user_changes_only_their_projects(api: httpx.Client, sandbox: SandboxServer) -> None:
    with api_client(sandbox, sandbox.token_for("chloe@example.com")) as chloe:
        assert chloe.put(ISSUES, params={"query": "is:unresolved"}, json={"status": "resolved"}).status_code == 200
    assert _status(api, "WORKER-1") == "resolved" and _status(api, "BACKEND-1") == "unresolved"


# -- the group= list ------------------------------------------------------------------------------


def test_group_lists_the_given_issues_whatever_the_query(api: httpx.Client, sandbox: SandboxServer) -> None:
    ids = [_id(api, s) for s in ("WORKER-2", "BACKEND-1")]  # WORKER-2 is resolved
    response = api.get(ISSUES, params={"group": ids, "query": "is:unresolved"})
    assert response.status_code == 200 and "Link" not in response.headers
    assert [i["shortId"] for i in response.json()] == ["BACKEND-1", "WORKER-2"]
    schema = relax(response_schema(f"{ORG_SPEC}/issues/"), nullable=("owners", "inbox"))
    assert_matches_spec(response.json(), schema)
    backend_only = api.get(ISSUES, params={"group": ids, "project": sandbox.project_id("backend")}).json()
    assert [i["shortId"] for i in backend_only] == ["BACKEND-1"]
    refused = api.get(ISSUES, params={"group": "BACKEND-1"})
    assert (refused.status_code, refused.json()) == (400, {"detail": "Group ids must be integers"})
    with api_client(sandbox, sandbox.token_for("ben@example.com")) as ben:
        assert [i["shortId"] for i in ben.get(ISSUES, params={"group": ids}).json()] == ["BACKEND-1"]


def test_bulk_by_short_ids_and_refused_bodies(api: httpx.Client) -> None:
    response = api.put(ISSUES, params={"id": ["BACKEND-1", "BACKEND-2"]}, json={"isBookmarked": True})
    assert response.json() == {"isBookmarked": True}
    assert api.get(f"{ISSUES}BACKEND-2/").json()["isBookmarked"] is True
    assert api.put(ISSUES, params={"id": "NOPE-1"}, json={"isBookmarked": True}).status_code == 404
    refused = api.put(ISSUES, params={"id": _id(api, "BACKEND-1")}, json=["status"])
    assert (refused.status_code, refused.json()) == (400, {"detail": "Invalid request body: expected a JSON object."})
    shared = api.put(ISSUES, params={"id": _id(api, "BACKEND-1")}, json={"isPublic": True}).json()
    assert shared["isPublic"] is True and len(shared["shareId"]) == 32


def test_ownership_rules_match_paths_modules_urls_and_tags(sandbox: SandboxServer) -> None:
    rules = ("path:*demo_app.py #platform", "module:*.demo_app chloe@example.com", "url:*nowhere* ana", "bad rule")
    ownership = Ownership(rules={"backend": rules})
    issue = sandbox.store.issue_by_short_id("BACKEND-1")
    assert issue is not None
    owners = issue_owners(issue, "backend", ownership, sandbox.store.directory)
    assert [(kind, who) for kind, who, _when in owners] == [("ownershipRule", "team:2"), ("ownershipRule", "user:4")]
