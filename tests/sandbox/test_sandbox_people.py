"""People in the local Sentry: members, teams, tokens acting as a user, and what each user may read."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from mcp_servers.sentry_sandbox import SandboxServer
from mcp_servers.sentry_sandbox.__main__ import describe, member_tokens
from tests.sandbox.sandbox_helpers import api_client, assert_matches_spec, links, response_schema

ORG_SPEC = "/api/0/organizations/{organization_id_or_slug}"
PROJECT_SPEC = "/api/0/projects/{organization_id_or_slug}/{project_id_or_slug}"
ISSUES = "organizations/sandbox/issues/"


def _emails(items: list[dict[str, Any]]) -> list[str]:
    return [item["email"] for item in items]


# -- members and teams ----------------------------------------------------------------------------


def test_org_members_list_users_and_the_pending_invitation_in_spec_shape(api: httpx.Client) -> None:
    response = api.get("organizations/sandbox/members/")
    assert response.status_code == 200
    members = response.json()
    assert _emails(members) == [
        "sandbox@example.com",
        "ana@example.com",
        "ben@example.com",
        "chloe@example.com",
        "dev@example.com",
    ]
    invited = members[-1]
    assert (invited["pending"], invited["user"], invited["name"], invited["inviterName"]) == (
        True,
        None,
        "dev@example.com",
        "Sandbox User",
    )
    assert members[0]["orgRole"] == "owner" and {m["orgRole"] for m in members[1:]} == {"member"}
    assert members[1]["user"] == members[1]["user"] | {"id": "2", "username": "ana", "name": "Ana Lima"}
    assert_matches_spec(members, response_schema(f"{ORG_SPEC}/members/"))


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("ana", ["ana@example.com"]),
        ("Okafor", ["ben@example.com"]),
        ("email:CHLOE@example.com", ["chloe@example.com"]),
        ("email:dev@example.com", ["dev@example.com"]),
        ("isInvited:true", ["dev@example.com"]),
        ("role:owner", ["sandbox@example.com"]),
        ("user.id:3 user.id:4", ["ben@example.com", "chloe@example.com"]),
        ("id:105", ["dev@example.com"]),
        ("scope:org:admin", ["sandbox@example.com"]),
        ("no-such-key:x", []),
    ],
)
def test_org_members_query_filters_as_sentry(api: httpx.Client, query: str, expected: list[str]) -> None:
    assert _emails(api.get("organizations/sandbox/members/", params={"query": query}).json()) == expected


def test_org_members_need_member_read(sandbox: SandboxServer) -> None:
    without = sandbox.token_for("sandbox@example.com", scopes=["org:read", "project:read", "event:read"])
    with api_client(sandbox, without) as client:
        response = client.get("organizations/sandbox/members/")
    assert response.status_code == 403
    assert response.json() == {"detail": "You do not have permission to perform this action."}


def test_project_members_are_the_members_of_its_teams(api: httpx.Client) -> None:
    backend = api.get("projects/sandbox/backend/members/")
    assert backend.status_code == 200 and "Link" not in backend.headers
    assert _emails(backend.json()) == ["ana@example.com", "ben@example.com", "dev@example.com", "sandbox@example.com"]
    assert _emails(api.get("projects/sandbox/worker/members/").json()) == [
        "ana@example.com",
        "chloe@example.com",
        "sandbox@example.com",
    ]
    assert_matches_spec(backend.json(), response_schema(f"{PROJECT_SPEC}/members/"))


def test_org_teams_with_their_projects_in_spec_shape(api: httpx.Client) -> None:
    response = api.get("organizations/sandbox/teams/")
    assert response.status_code == 200
    teams = response.json()
    assert [(t["id"], t["slug"], t["name"]) for t in teams] == [
        ("1", "backend-devs", "Backend Devs"),
        ("2", "platform", "Platform"),
    ]
    assert [[p["slug"] for p in t["projects"]] for t in teams] == [["backend"], ["worker"]]
    assert [t["memberCount"] for t in teams] == [3, 3]  # the invitation is not counted
    assert all(t["isMember"] and t["hasAccess"] and t["teamRole"] == "admin" for t in teams)
    assert_matches_spec(teams, response_schema(f"{ORG_SPEC}/teams/"))
    plain = api.get("organizations/sandbox/teams/", params={"detailed": "0"}).json()
    assert all("projects" not in t for t in plain)


def test_org_teams_query_and_errors(api: httpx.Client) -> None:
    def slugs(query: str) -> list[str]:
        return [t["slug"] for t in api.get("organizations/sandbox/teams/", params={"query": query}).json()]

    assert slugs("back") == ["backend-devs"]
    assert slugs("slug:platform") == ["platform"]
    assert slugs("id:1") == ["backend-devs"]
    assert slugs("whatever:1") == []
    refused = api.get("organizations/sandbox/teams/", params={"query": "id:one"})
    assert (refused.status_code, refused.json()) == (400, {"detail": "Invalid id value"})


def test_project_teams_in_spec_shape(api: httpx.Client, sandbox: SandboxServer) -> None:
    response = api.get(f"projects/sandbox/{sandbox.project_id('worker')}/teams/")
    assert response.status_code == 200
    assert [t["slug"] for t in response.json()] == ["platform"]
    assert_matches_spec(response.json(), response_schema(f"{PROJECT_SPEC}/teams/"))


def test_a_member_sees_which_teams_are_theirs(sandbox: SandboxServer) -> None:
    with api_client(sandbox, sandbox.token_for("ben@example.com")) as ben:
        teams = {t["slug"]: t for t in ben.get("organizations/sandbox/teams/").json()}
    assert (teams["backend-devs"]["isMember"], teams["backend-devs"]["teamRole"]) == (True, "contributor")
    assert (teams["platform"]["isMember"], teams["platform"]["hasAccess"], teams["platform"]["access"]) == (
        False,
        False,
        [],
    )


def test_projects_name_their_teams(api: httpx.Client) -> None:
    projects = {p["slug"]: p for p in api.get("organizations/sandbox/projects/").json()}
    assert [t["slug"] for t in projects["backend"]["teams"]] == ["backend-devs"]
    assert projects["worker"]["team"] == {"id": "2", "slug": "platform", "name": "Platform"}
    by_team = api.get("organizations/sandbox/projects/", params={"query": "team:platform"}).json()
    assert [p["slug"] for p in by_team] == ["worker"]
    assert [
        p["slug"] for p in api.get("organizations/sandbox/projects/", params={"query": "!team:platform"}).json()
    ] == ["backend"]


# -- tokens and GET /api/0/ -----------------------------------------------------------------------


def test_api_root_names_the_tokens_user_and_scopes(sandbox: SandboxServer) -> None:
    root = httpx.get(f"{sandbox.url}/api/0/", headers={"Authorization": f"Bearer {sandbox.token}"}).json()
    assert root["version"] == "0"
    assert root["auth"] == {"scopes": ["event:read", "event:write", "member:read", "org:read", "project:read"]}
    assert (root["user"]["id"], root["user"]["email"]) == ("1", "sandbox@example.com")
    assert "options" in root["user"]  # what Sentry shows a user of themselves
    ana = sandbox.token_for("ana", scopes=["org:read"])
    root = httpx.get(f"{sandbox.url}/api/0/", headers={"Authorization": f"Bearer {ana}"}).json()
    assert (root["user"]["name"], root["auth"]["scopes"]) == ("Ana Lima", ["org:read"])


def test_api_root_of_a_token_without_user_and_without_token(sandbox: SandboxServer) -> None:
    integration = sandbox.token_for(None, scopes=["event:read", "org:read"])
    root = httpx.get(f"{sandbox.url}/api/0/", headers={"Authorization": f"Bearer {integration}"}).json()
    assert root == {"version": "0", "auth": {"scopes": ["event:read", "org:read"]}, "user": None}
    assert httpx.get(f"{sandbox.url}/api/0/").json() == {"version": "0", "auth": None, "user": None}
    wrong = httpx.get(f"{sandbox.url}/api/0/", headers={"Authorization": "Bearer sntryu_nope"})
    assert (wrong.status_code, wrong.json()) == (401, {"detail": "Invalid token"})


def test_token_for_refuses_who_is_no_user(sandbox: SandboxServer) -> None:
    with pytest.raises(KeyError):
        sandbox.token_for("dev@example.com")  # an invitation not accepted yet has no user
    with pytest.raises(KeyError):
        sandbox.token_for("nobody@example.com")


# -- what a user may read -------------------------------------------------------------------------


def test_a_user_reads_only_the_issues_of_their_teams_projects(api: httpx.Client, sandbox: SandboxServer) -> None:
    with api_client(sandbox, sandbox.token_for("ben@example.com")) as ben:
        listed = ben.get(ISSUES, params={"query": ""}).json()
        assert listed and {i["project"]["slug"] for i in listed} == {"backend"}
        assert {i["project"]["slug"] for i in ben.get(ISSUES, params={"query": "", "project": "-1"}).json()} == {
            "backend"
        }
        for path in (f"{ISSUES}WORKER-1/", f"{ISSUES}WORKER-1/events/", "projects/sandbox/worker/"):
            refused = ben.get(path)
            assert refused.status_code == 403, path
            assert refused.json() == {"detail": "You do not have permission to perform this action."}
        worker_id = api.get(f"{ISSUES}WORKER-1/").json()["id"]
        assert ben.get(f"issues/{worker_id}/").status_code == 403
        assert ben.get(ISSUES, params={"project": sandbox.project_id("worker")}).status_code == 403
        assert ben.put(f"{ISSUES}WORKER-1/", json={"status": "resolved"}).status_code == 403
        assert ben.get(f"{ISSUES}BACKEND-1/").status_code == 200
        projects = {
            p["slug"]: (p["isMember"], p["hasAccess"]) for p in ben.get("organizations/sandbox/projects/").json()
        }
    assert projects == {"backend": (True, True), "worker": (False, False)}
    assert api.get(f"{ISSUES}WORKER-1/").json()["status"] == "unresolved"


def test_a_user_outside_the_organization_reads_nothing_of_it(sandbox: SandboxServer) -> None:
    with api_client(sandbox, sandbox.token_for("omar@partner.example")) as omar:
        assert omar.get("organizations/").json() == []
        refused = omar.get(ISSUES)
        assert (refused.status_code, refused.json()) == (
            403,
            {"detail": "You do not have permission to perform this action."},
        )


def test_a_token_without_user_reads_every_project(sandbox: SandboxServer) -> None:
    with api_client(sandbox, sandbox.token_for(None)) as integration:
        listed = integration.get(ISSUES, params={"query": ""}).json()
    assert {i["project"]["slug"] for i in listed} == {"backend", "worker"}


def test_a_token_has_at_most_its_roles_scopes(sandbox: SandboxServer) -> None:
    with api_client(sandbox, sandbox.token_for("ana", scopes=["org:read", "org:admin", "project:read"])) as ana:
        organization = ana.get("organizations/sandbox/").json()
    assert organization["access"] == ["org:read", "project:read"]  # a member's role has no org:admin


def test_projects_query_by_id_membership_and_unknown_keys(sandbox: SandboxServer) -> None:
    def slugs(client: httpx.Client, query: str) -> list[str]:
        return [p["slug"] for p in client.get("organizations/sandbox/projects/", params={"query": query}).json()]

    with api_client(sandbox, sandbox.token_for("chloe@example.com")) as chloe:
        assert slugs(chloe, "is_member:1") == ["worker"]
        assert slugs(chloe, f"id:{sandbox.project_id('backend')}") == ["backend"]
        assert slugs(chloe, "colour:blue") == []
        refused = chloe.get("organizations/sandbox/projects/", params={"query": "id:backend"})
    message = {"message": "All 'id' values must be integers."}
    assert (refused.status_code, refused.json()) == (400, {"error": {"params": {"stats_period": message}}})


def test_the_command_line_prints_a_token_for_each_member(sandbox: SandboxServer) -> None:
    text = describe(sandbox, member_tokens(sandbox))
    assert "token acting as ben@example.com (backend-devs): sntryu_" in text
    assert "token acting as ana@example.com (backend-devs, platform)" in text
    assert "dev@example.com" not in text  # an invitation has no token


def test_member_and_team_lists_page_by_per_page(api: httpx.Client) -> None:
    first = api.get("organizations/sandbox/members/", params={"per_page": 2})
    assert len(first.json()) == 2 and links(first)["next"][1] is True
    assert api.get("organizations/sandbox/teams/", params={"per_page": 101}).status_code == 400
    assert [
        t["slug"] for t in api.get("organizations/sandbox/teams/", params={"query": "hasExternalTeams:false"}).json()
    ] == [
        "backend-devs",
        "platform",
    ]
