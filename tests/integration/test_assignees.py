"""assign-issue, list-assignees and get-issue-details' owners against the local Sentry: who is matched, what is
written (and when nothing is), the recorded change, and how many requests the owners' names take."""

from __future__ import annotations

import dataclasses
import time
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import pytest

from mcp_servers.sentry_sandbox.directory import MEMBER, Member, User
from mcp_servers.sentry_sandbox.ownership import Ownership
from tests.conftest import SandboxPool, sandbox_settings
from tests.integration.ops import Factory, data, run
from tests.sandbox.sandbox_helpers import api_client

if TYPE_CHECKING:
    from mcp_servers.framework.contracts import ModuleOutput
    from mcp_servers.sentry_sandbox import SandboxServer

pytestmark = pytest.mark.anyio
PEOPLE = ("/members/", "/teams/")


def puts(sandbox: SandboxServer) -> list[dict[str, Any]]:
    return [r for r in sandbox.requests() if r["method"] == "PUT"]


def people_requests(sandbox: SandboxServer) -> list[str]:
    return [r["path"] for r in sandbox.requests() if r["path"].endswith(PEOPLE)]


def assigned_to(sandbox: SandboxServer, short_id: str) -> dict[str, Any] | None:
    """The issue's assignee as the local Sentry itself answers it."""
    with api_client(sandbox) as api:
        value: dict[str, Any] | None = api.get(f"organizations/sandbox/issues/{short_id}/").json()["assignedTo"]
    return value


def refused(output: ModuleOutput, code: str) -> dict[str, Any]:
    assert output.error is not None and output.error.code == code, output.error
    assert output.data is None and output.side_effects == []
    return output.error.details


# -- assign-issue: each way of naming the assignee -----------------------------------------------


@pytest.mark.parametrize(
    ("assignee", "label", "actor"),
    [
        ("ana@example.com", "ana@example.com", ("user", "2")),
        ("ANA", "ana@example.com", ("user", "2")),  # username, any case
        ("2", "ana@example.com", ("user", "2")),  # a user id
        ("Chloe Martin", "chloe@example.com", ("user", "4")),  # a name
        ("me", "sandbox@example.com", ("user", "1")),  # the token's user
        ("#platform", "#platform", ("team", "2")),
        ("platform", "#platform", ("team", "2")),  # a team slug without #
    ],
)
async def test_assign_issue_names_the_assignee_every_way_and_records_the_change(
    make_module: Factory, clean_sandbox: SandboxServer, assignee: str, label: str, actor: tuple[str, str]
) -> None:
    output = await run(make_module(), "assign-issue", issue_id="WORKER-1", assignee=assignee)
    result = data(output)
    assert (result["assignee"], result["changed"]) == (label, True)
    (change,) = output.side_effects
    assert (change.kind, change.target) == ("issue_assigned", "issue:WORKER-1")
    assert (change.before, change.after) == ({"assignee": None}, {"assignee": label})
    assert output.recommendations == ["To undo: assign-issue(issue_id='WORKER-1', assignee='none')."]
    (put,) = puts(clean_sandbox)
    assert put["path"].startswith("/api/0/organizations/sandbox/issues/")
    stored = assigned_to(clean_sandbox, "WORKER-1")
    assert stored is not None and (stored["type"], stored["id"]) == actor


async def test_reassigning_and_unassigning_say_who_had_it_and_how_to_undo(
    make_module: Factory, clean_sandbox: SandboxServer
) -> None:
    assert data(await run(make_module(), "assign-issue", issue_id="WORKER-1", assignee="#platform"))["changed"]
    moved = await run(make_module(), "assign-issue", issue_id="WORKER-1", assignee="chloe@example.com")
    (change,) = moved.side_effects
    assert (change.before, change.after) == ({"assignee": "#platform"}, {"assignee": "chloe@example.com"})
    assert moved.recommendations == ["To undo: assign-issue(issue_id='WORKER-1', assignee='#platform')."]
    cleared = await run(make_module(), "assign-issue", issue_id="WORKER-1", assignee="none")
    assert data(cleared) == {"id": data(moved)["id"], "short_id": "WORKER-1", "changed": True}
    (change,) = cleared.side_effects
    assert (change.before, change.after) == ({"assignee": "chloe@example.com"}, {"assignee": None})
    assert change.description == "Unassigned WORKER-1 (was chloe@example.com)."
    assert assigned_to(clean_sandbox, "WORKER-1") is None
    clean_sandbox.clear_requests()
    again = await run(make_module(), "assign-issue", issue_id="WORKER-1", assignee="none")
    assert data(again)["changed"] is False and again.side_effects == [] and puts(clean_sandbox) == []
    assert again.warnings == ["WORKER-1 is already unassigned; nothing was changed."]
    assert people_requests(clean_sandbox) == []  # `none` needs no lookup


async def test_assigning_the_same_assignee_again_sends_nothing(
    make_module: Factory, clean_sandbox: SandboxServer
) -> None:
    assert data(await run(make_module(), "assign-issue", issue_id="BACKEND-1", assignee="ben@example.com"))
    clean_sandbox.clear_requests()
    again = await run(make_module(), "assign-issue", issue_id="BACKEND-1", assignee="3")
    assert data(again) == {"id": data(again)["id"], "short_id": "BACKEND-1", "assignee": "ben@example.com"} | {
        "changed": False
    }
    assert puts(clean_sandbox) == [] and again.side_effects == []


# -- assign-issue: refusals, each before any write -----------------------------------------------


async def test_an_unknown_assignee_answers_candidates_and_writes_nothing(
    make_module: Factory, clean_sandbox: SandboxServer
) -> None:
    output = await run(make_module(), "assign-issue", issue_id="WORKER-1", assignee="example")
    details = refused(output, "ASSIGNEE_NOT_FOUND")
    assert details == {
        "assignee": "example",
        "candidates": ["ana@example.com", "chloe@example.com", "sandbox@example.com"],
    }
    assert output.error is not None and "list-assignees" in output.error.recovery_suggestion
    assert puts(clean_sandbox) == [] and assigned_to(clean_sandbox, "WORKER-1") is None
    nobody = await run(make_module(), "assign-issue", issue_id="WORKER-1", assignee="zed")
    assert refused(nobody, "ASSIGNEE_NOT_FOUND") == {"assignee": "zed"}


async def test_a_user_outside_the_project_is_not_found(make_module: Factory, clean_sandbox: SandboxServer) -> None:
    """Ben is a member of the organization, not of a team of the worker project."""
    output = await run(make_module(), "assign-issue", issue_id="WORKER-1", assignee="ben@example.com")
    assert refused(output, "ASSIGNEE_NOT_FOUND")["assignee"] == "ben@example.com"
    assert puts(clean_sandbox) == []


async def test_a_pending_invitation_is_never_matched(make_module: Factory, clean_sandbox: SandboxServer) -> None:
    output = await run(make_module(), "assign-issue", issue_id="BACKEND-1", assignee="dev@example.com")
    assert refused(output, "ASSIGNEE_NOT_FOUND") == {"assignee": "dev@example.com"}
    near = await run(make_module(), "assign-issue", issue_id="BACKEND-1", assignee="dev")
    assert "dev@example.com" not in refused(near, "ASSIGNEE_NOT_FOUND").get("candidates", [])
    assert puts(clean_sandbox) == []
    listed = data(await run(make_module(), "list-assignees", project_slug="backend"))
    assert not any("dev@example.com" in line for line in listed["users"])


async def test_an_ambiguous_name_answers_both_and_writes_nothing(
    make_module: Factory, clean_sandbox: SandboxServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A second Ana Lima joins backend-devs: the name names two people, each email still one."""
    directory = clean_sandbox.store.directory
    other = User("6", "Ana Lima", "ana.lima@example.com", "alima", "2024-07-01T00:00:00Z")
    member = Member("106", other.email, MEMBER, ("backend-devs",), datetime(2024, 7, 1, tzinfo=UTC), "6", "1")
    monkeypatch.setattr(
        clean_sandbox.store,
        "directory",
        dataclasses.replace(directory, users=(*directory.users, other), members=(*directory.members, member)),
    )
    output = await run(make_module(), "assign-issue", issue_id="BACKEND-1", assignee="ana lima")
    assert refused(output, "ASSIGNEE_NOT_FOUND") == {
        "assignee": "ana lima",
        "candidates": ["ana.lima@example.com", "ana@example.com"],  # as the project's members are listed
    }
    assert output.error is not None and "names several" in output.error.message
    assert puts(clean_sandbox) == []
    exact = await run(make_module(), "assign-issue", issue_id="BACKEND-1", assignee="alima")
    assert data(exact)["assignee"] == "ana.lima@example.com"


async def test_me_with_a_token_of_no_user_is_a_clear_error(make_module: Factory, clean_sandbox: SandboxServer) -> None:
    integration = clean_sandbox.token_for(None)
    output = await run(make_module(auth_token=integration), "assign-issue", issue_id="WORKER-1", assignee="me")
    details = refused(output, "INVALID_PARAMETER")
    assert details == {"field": "assignee"}
    assert output.error is not None and "'me'" in output.error.message and "acts as no user" in output.error.message
    assert puts(clean_sandbox) == [] and people_requests(clean_sandbox) == []


async def test_the_allow_list_refuses_before_any_lookup_or_write(
    make_module: Factory, clean_sandbox: SandboxServer
) -> None:
    module = make_module(allowed_projects=frozenset({"backend"}))
    output = await run(module, "assign-issue", issue_id="WORKER-1", assignee="ana")
    assert refused(output, "PROJECT_NOT_ALLOWED")["project"] == "worker"
    assert puts(clean_sandbox) == [] and people_requests(clean_sandbox) == []
    listing = await run(make_module(allowed_projects=frozenset({"backend"})), "list-assignees", project_slug="worker")
    assert refused(listing, "PROJECT_NOT_ALLOWED")["project"] == "worker"
    assert people_requests(clean_sandbox) == []


async def test_read_only_mode_hides_and_refuses_assign_issue(
    make_module: Factory, clean_sandbox: SandboxServer
) -> None:
    module = make_module(read_only=True)
    assert "assign-issue" not in module.operations and "list-assignees" in module.operations
    output = await run(module, "assign-issue", issue_id="WORKER-1", assignee="ana")
    assert refused(output, "READ_ONLY") == {}
    assert clean_sandbox.requests() == []


async def test_a_refused_write_names_the_assignee_field(make_module: Factory, clean_sandbox: SandboxServer) -> None:
    """Sentry's own 400 on `assignedTo` (here injected) is blamed on `assignee`, and nothing is recorded."""
    body = {"assignedTo": ["Cannot assign to non-team member"]}
    clean_sandbox.add_fault("error", r"/organizations/sandbox/issues/\d+/$", method="PUT", status=400, body=body)
    output = await run(make_module(), "assign-issue", issue_id="WORKER-1", assignee="ana")
    assert refused(output, "INVALID_PARAMETER")["field"] == "assignee"
    assert assigned_to(clean_sandbox, "WORKER-1") is None


# -- GlitchTip: no assignees, nothing asked ------------------------------------------------------


@pytest.fixture
def glitchtip(sandbox_pool: SandboxPool) -> SandboxServer:
    server = sandbox_pool.get("glitchtip")
    server.clear_requests()
    return server


async def test_glitchtip_has_no_assignees_and_is_asked_nothing_about_them(glitchtip: SandboxServer) -> None:
    from mcp_servers.sentry_monitor.src.processor import SentryErrorMonitorModule

    issue_id = str(glitchtip.store.issues()[0].id)
    for operation, arguments in (
        ("assign-issue", {"issue_id": issue_id, "assignee": "ana@example.com"}),
        ("list-assignees", {"project_slug": "backend"}),
    ):
        output = await run(SentryErrorMonitorModule(sandbox_settings(glitchtip)), operation, **arguments)
        assert refused(output, "UNSUPPORTED_BY_SERVER")["capability"] == "assignees"
        assert output.error is not None and "GlitchTip has no assignees" in output.error.message
    assert puts(glitchtip) == [] and people_requests(glitchtip) == []
    assert not any("issues" in r["path"] for r in glitchtip.requests())  # refused before reading the issue
    details = await run(SentryErrorMonitorModule(sandbox_settings(glitchtip)), "get-issue-details", issue_id=issue_id)
    assert "suggested_owners" not in data(details)["issue"]
    assert not any("expand" in r["query"] for r in glitchtip.requests()) and people_requests(glitchtip) == []


# -- list-assignees ----------------------------------------------------------------------------


async def test_list_assignees_is_one_line_each(make_module: Factory, clean_sandbox: SandboxServer) -> None:
    async with make_module() as module:
        from mcp_servers.framework.contracts import ModuleInput

        output = await module.execute(ModuleInput(operation="list-assignees", parameters={"project_slug": "backend"}))
        text = module.render(output)
    assert data(output) == {
        "project": "backend",
        "users": [
            "Ana Lima <ana@example.com> (ana, id 2)",
            "Ben Okafor <ben@example.com> (id 3)",
            "Sandbox User <sandbox@example.com> (id 1)",
        ],
        "teams": ["#backend-devs"],
    }
    assert text.splitlines()[:5] == [
        "backend: 3 user(s), 1 team(s) can be assigned",
        "  Ana Lima <ana@example.com> (ana, id 2)",
        "  Ben Okafor <ben@example.com> (id 3)",
        "  Sandbox User <sandbox@example.com> (id 1)",
        "  teams: #backend-devs",
    ]
    assert sorted(people_requests(clean_sandbox)) == [
        "/api/0/projects/sandbox/backend/members/",
        "/api/0/projects/sandbox/backend/teams/",
    ]
    assert not any("/organizations/sandbox/members/" in r["path"] for r in clean_sandbox.requests())


@pytest.mark.parametrize(
    ("query", "users", "teams"),
    [
        ("an", ["Ana Lima <ana@example.com> (ana, id 2)", "Sandbox User <sandbox@example.com> (id 1)"], []),
        ("#plat", [], ["#platform"]),
        ("CHLOE", ["Chloe Martin <chloe@example.com> (id 4)"], []),
        ("nobody", [], []),
    ],
)
async def test_list_assignees_query_keeps_what_contains_it(
    make_module: Factory, query: str, users: list[str], teams: list[str]
) -> None:
    output = await run(make_module(), "list-assignees", project_slug="worker", query=query)
    result = data(output)
    assert (result.get("users", []), result.get("teams", [])) == (users, teams)
    assert bool(output.warnings) is (not users and not teams)


# -- get-issue-details: assignee and suggested owners ----------------------------------------------


async def test_issue_details_name_the_suggested_owners_with_one_members_request(
    make_module: Factory, clean_sandbox: SandboxServer
) -> None:
    output = await run(make_module(), "get-issue-details", issue_id="BACKEND-A")
    issue = data(output)["issue"]
    assert issue["suggested_owners"] == ["ben@example.com (ownership rule)", "ana@example.com (suspect commit)"]
    assert "assignee" not in issue
    assert people_requests(clean_sandbox) == ["/api/0/projects/sandbox/backend/members/"]  # user owners only
    assert (
        "Give it to its suggested owner: assign-issue(issue_id='BACKEND-A', assignee='ben@example.com')."
        in output.recommendations
    )
    async with make_module() as module:
        from mcp_servers.framework.contracts import ModuleInput

        again = await module.execute(ModuleInput(operation="get-issue-details", parameters={"issue_id": "BACKEND-A"}))
        text = module.render(again)
    assert "  suggested owners: ben@example.com (ownership rule), ana@example.com (suspect commit)" in text


async def test_issue_details_show_a_team_assignee_and_team_owner_by_slug(
    make_module: Factory, clean_sandbox: SandboxServer
) -> None:
    assert data(await run(make_module(), "assign-issue", issue_id="WORKER-3", assignee="#platform"))
    clean_sandbox.clear_requests()
    output = await run(make_module(), "get-issue-details", issue_id="WORKER-3")
    issue = data(output)["issue"]
    assert (issue["assignee"], issue["suggested_owners"]) == ("#platform", ["#platform (ownership rule)"])
    assert people_requests(clean_sandbox) == ["/api/0/projects/sandbox/worker/teams/"]
    assert not any("assign-issue" in line for line in output.recommendations)  # assigned already
    listed = data(await run(make_module(), "get-recent-issues", project_slug="worker", query="is:unresolved"))
    assert "#platform" in str(listed["issues"])  # every tool shows a team the same way


async def test_issue_details_without_owners_ask_nothing_more(
    make_module: Factory, clean_sandbox: SandboxServer
) -> None:
    output = await run(make_module(), "get-issue-details", issue_id="BACKEND-1")
    assert "suggested_owners" not in data(output)["issue"]
    assert people_requests(clean_sandbox) == [] and output.metadata.api_calls == 2
    (issue_read,) = [r for r in clean_sandbox.requests() if r["path"].endswith("/issues/BACKEND-1/")]
    assert "expand=owners" in issue_read["query"]


@pytest.mark.parametrize("allowed", [None, frozenset({"backend"})])
async def test_owners_names_take_one_concurrent_round(
    make_module: Factory, clean_sandbox: SandboxServer, monkeypatch: pytest.MonkeyPatch, allowed: frozenset[str] | None
) -> None:
    """A user and a team own checkout: members and teams are read side by side (each answer delayed 0.6 s, the
    whole call takes well under the 1.2 s two rounds would), once each, whatever the number of owners."""
    rules = {"backend": ("url:*/api/checkout* ben@example.com #backend-devs ana@example.com",)}
    monkeypatch.setattr(clean_sandbox.store, "ownership", Ownership(rules=rules))
    delay = 0.6
    clean_sandbox.add_fault("slow", r"/projects/sandbox/backend/(members|teams)/$", delay=delay)
    started = time.monotonic()
    output = await run(make_module(allowed_projects=allowed), "get-issue-details", issue_id="BACKEND-A")
    elapsed = time.monotonic() - started
    assert data(output)["issue"]["suggested_owners"] == [
        "ben@example.com (ownership rule)",
        "#backend-devs (ownership rule)",
        "ana@example.com (ownership rule)",
    ]
    assert sorted(people_requests(clean_sandbox)) == [
        "/api/0/projects/sandbox/backend/members/",
        "/api/0/projects/sandbox/backend/teams/",
    ]
    assert output.metadata.api_calls == 4  # issue, latest event, members, teams
    assert elapsed < 2 * delay, elapsed


async def test_owners_without_project_read_keep_their_ids(make_module: Factory, clean_sandbox: SandboxServer) -> None:
    token = clean_sandbox.token_for("sandbox@example.com", scopes=["org:read", "event:read"])
    output = await run(make_module(auth_token=token), "get-issue-details", issue_id="BACKEND-A")
    assert data(output)["issue"]["suggested_owners"] == ["user:3 (ownership rule)", "user:2 (suspect commit)"]
    assert output.status.value == "partial_success"
    assert any(w.startswith("The suggested owners' names left out: PROJECT_NOT_ALLOWED") for w in output.warnings)
