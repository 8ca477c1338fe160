"""update-issues against the local Sentry of each flavor: what a dry run reads, what a real run sends and refuses."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs

import httpx
import pytest

from mcp_servers.framework.contracts import ModuleInput, ModuleOutput
from mcp_servers.sentry_monitor.src.processor import SentryErrorMonitorModule
from mcp_servers.sentry_monitor.src.shared.results import records
from mcp_servers.sentry_sandbox.bulk import add_issues
from tests.conftest import account_for_changes, issue_states, sandbox_settings
from tests.integration.ops import run

if TYPE_CHECKING:
    from mcp_servers.sentry_sandbox import SandboxServer

pytestmark = pytest.mark.anyio
ISSUES = "/api/0/organizations/sandbox/issues/"
BULK = r"/organizations/sandbox/issues/$"


@pytest.fixture
def bulk_sandbox(flavored_sandbox: SandboxServer) -> Iterator[SandboxServer]:
    """The local Sentry of each flavor, without faults or logged requests; its issues restored after the test."""
    sandbox = flavored_sandbox
    sandbox.clear_faults()
    sandbox.clear_requests()
    before = issue_states(sandbox)
    yield sandbox
    account_for_changes(sandbox, before)
    sandbox.reset()
    sandbox.clear_faults()


def module(sandbox: SandboxServer, **overrides: Any) -> SentryErrorMonitorModule:
    return SentryErrorMonitorModule(sandbox_settings(sandbox, **overrides))


def project_issues(sandbox: SandboxServer, prefix: str, status: str = "unresolved") -> list[tuple[str, str]]:
    """(numeric id, short id) of the project's issues with that status, as the sandbox stores them."""
    store = sandbox.store
    found = [
        (str(issue.id), store.short_id(issue))
        for issue in store.issues()
        if store.short_id(issue).startswith(prefix) and issue.status == status
    ]
    return sorted(found)


def resolve_directly(sandbox: SandboxServer, issue_id: str) -> None:
    """Resolve one issue behind the server's back, then forget the request."""
    answer = httpx.put(
        f"{sandbox.url}{ISSUES}{issue_id}/",
        json={"status": "resolved"},
        headers={"Authorization": f"Bearer {sandbox.token}"},
    )
    assert answer.status_code == 200, answer.text
    sandbox.clear_requests()


def sent(sandbox: SandboxServer, method: str) -> list[dict[str, list[str]]]:
    """The query of each request of `method` to the organization's issue list, in order."""
    return [parse_qs(r["query"]) for r in sandbox.requests() if r["method"] == method and r["path"] == ISSUES]


def statuses(sandbox: SandboxServer, ids: list[str]) -> list[str]:
    return [sandbox.store.issue(int(issue_id)).status for issue_id in ids]  # type: ignore[union-attr]


def ok(output: ModuleOutput) -> dict[str, Any]:
    assert output.ok and output.data is not None, output.error
    return output.data


async def test_a_dry_run_lists_what_would_change_and_writes_nothing(bulk_sandbox: SandboxServer) -> None:
    sandbox = bulk_sandbox
    (first, *rest) = project_issues(sandbox, "BACKEND-")[:4]
    resolve_directly(sandbox, first[0])
    before = issue_states(sandbox)
    ids = [first[0], *(numeric for numeric, _ in rest)]
    async with module(sandbox) as server:
        output = await server.execute(
            ModuleInput(operation="update-issues", parameters={"issue_ids": ids, "status": "resolved"})
        )
        text = server.render(output)
    data = ok(output)
    assert data["dry_run"] is True and data["issue_ids"] == [numeric for numeric, _ in rest]
    assert [row["short_id"] for row in records(data["changes"])] == [short for _, short in rest]
    assert all(row["status"] == "unresolved" for row in records(data["changes"]))
    assert data["unchanged"] == [first[1]]
    assert issue_states(sandbox) == before and sent(sandbox, "PUT") == [] and output.side_effects == []
    (listed,) = sent(sandbox, "GET")  # one request for every id
    assert sorted(listed["id" if sandbox.flavor == "glitchtip" else "group"]) == sorted(ids)
    assert text.startswith("Dry run: 3 of 4 issues would become resolved:\n")
    assert f"1 already resolved: {first[1]}." in text
    assert f"Run again with dry_run=false and issue_ids={data['issue_ids']}." in text


async def test_a_dry_run_by_project_and_query_lists_the_matching_issues_and_their_ids(
    bulk_sandbox: SandboxServer,
) -> None:
    expected = project_issues(bulk_sandbox, "WORKER-")
    output = await run(
        module(bulk_sandbox), "update-issues", project_slug="worker", query="is:unresolved", status="ignored"
    )
    data = ok(output)
    assert sorted(data["issue_ids"]) == sorted(numeric for numeric, _ in expected) and len(expected) > 1
    assert [row["id"] for row in records(data["changes"])] == data["issue_ids"]
    assert sent(bulk_sandbox, "PUT") == [] and output.side_effects == []
    assert output.warnings == []  # on GlitchTip too: its rows show no user counts, so none is said to be missing


async def test_a_real_run_sends_one_list_request_and_one_put_with_only_the_issues_to_change(
    bulk_sandbox: SandboxServer,
) -> None:
    sandbox = bulk_sandbox
    (first, *rest) = project_issues(sandbox, "BACKEND-")[:4]
    resolve_directly(sandbox, first[0])
    changing = [numeric for numeric, _ in rest]
    untouched = {key: state for key, state in issue_states(sandbox).items() if str(key) not in changing}
    output = await run(
        module(sandbox), "update-issues", issue_ids=[first[0], *changing], status="resolved", dry_run=False
    )
    data = ok(output)
    assert data["dry_run"] is False and data["issue_ids"] == changing and data["unchanged"] == [first[1]]
    assert statuses(sandbox, changing) == ["resolved"] * 3
    assert {key: state for key, state in issue_states(sandbox).items() if str(key) not in changing} == untouched
    assert len(sent(sandbox, "GET")) == 1 and output.metadata.api_calls == 2
    (put,) = sent(sandbox, "PUT")
    assert sorted(put["id"]) == sorted(changing)  # the issue already resolved is not sent
    if sandbox.flavor == "glitchtip":
        assert set(put) == {"id"}  # its query and project would filter too
    else:
        assert put["query"] == [f"issue.id:[{','.join(changing)}]"]
    assert [effect.target for effect in output.side_effects] == [f"issue:{short}" for _, short in rest]
    for effect in output.side_effects:
        assert effect.kind == "issue_status_changed" and effect.before is not None and effect.after is not None
        assert effect.before["status"] == "unresolved" and effect.after["status"] == "resolved"
    assert output.recommendations == [f"Undo: update-issues(issue_ids={changing}, status='unresolved', dry_run=false)."]


async def test_every_issue_of_the_organization_is_read_in_one_request_and_changed_in_one_put(
    bulk_sandbox: SandboxServer,
) -> None:
    sandbox = bulk_sandbox
    add_issues(sandbox.store, 90, events_per_issue=1)  # gone again when the fixture resets the sandbox
    ids = [str(issue.id) for issue in sandbox.store.issues()][:100]
    assert len(ids) == 100
    # 100 side effects alone are about 23,000 characters: a budget that holds them, so that nothing is cut here
    server = module(sandbox, max_result_chars=100_000)
    output = await run(server, "update-issues", issue_ids=ids, status="ignored", dry_run=False, max_issues=100)
    data = ok(output)
    assert len(data["issue_ids"]) + len(data.get("unchanged", [])) == len(ids) and data["issue_ids"]
    assert set(statuses(sandbox, ids)) == {"ignored"}
    assert len(sent(sandbox, "GET")) == 1 and len(sent(sandbox, "PUT")) == 1
    assert len(output.side_effects) == len(data["issue_ids"])


async def test_a_short_id_is_looked_up_then_listed_with_the_numeric_ids(clean_sandbox: SandboxServer) -> None:
    (first, second) = project_issues(clean_sandbox, "BACKEND-")[:2]
    output = await run(module(clean_sandbox), "update-issues", issue_ids=[first[1], second[0]], status="resolved")
    assert ok(output)["issue_ids"] == [first[0], second[0]]
    (listed,) = sent(clean_sandbox, "GET")
    assert listed["group"] == [second[0]] and output.metadata.api_calls == 2  # the short id's own lookup


@pytest.mark.parametrize(
    ("parameters", "field", "said"),
    [
        ({"project_slug": "backend", "query": "is:unresolved", "dry_run": False}, "issue_ids", "takes issue_ids only"),
        ({"dry_run": False}, "issue_ids", "takes issue_ids only"),
        ({"issue_ids": [str(n) for n in range(1, 27)], "dry_run": False}, "issue_ids", "26 issue ids given"),
        ({"issue_ids": [str(n) for n in range(1, 12)], "max_issues": 10}, "issue_ids", "11 issue ids given"),
        ({"issue_ids": ["1"], "project_slug": "backend"}, "issue_ids", "not both"),
        ({"issue_ids": [], "dry_run": False}, "issue_ids", "empty"),
        ({"issue_ids": ["1"], "status": None}, "status", ""),
        ({"issue_ids": ["1"], "max_issues": 101}, "max_issues", ""),
    ],
)
async def test_refused_before_any_request(
    clean_sandbox: SandboxServer, parameters: dict[str, Any], field: str, said: str
) -> None:
    arguments = {"status": "resolved", **parameters}
    if arguments["status"] is None:
        del arguments["status"]
    output = await run(module(clean_sandbox), "update-issues", **arguments)
    assert output.error is not None and output.error.code == "INVALID_PARAMETER", output.error
    assert output.error.details["field"] == field and said in output.error.message
    assert clean_sandbox.requests() == []


async def test_an_issue_outside_the_allowed_projects_refuses_the_whole_call(clean_sandbox: SandboxServer) -> None:
    backend = [numeric for numeric, _ in project_issues(clean_sandbox, "BACKEND-")[:2]]
    (worker_id, worker_short) = project_issues(clean_sandbox, "WORKER-")[0]
    before = issue_states(clean_sandbox)
    output = await run(
        module(clean_sandbox, allowed_projects=frozenset({"backend"})),
        "update-issues",
        issue_ids=[*backend, worker_id],
        status="resolved",
        dry_run=False,
    )
    assert output.error is not None and output.error.code == "PROJECT_NOT_ALLOWED"
    assert worker_short in output.error.message and "Nothing was changed" in output.error.message
    assert output.error.details["issues"] == [worker_short]
    assert sent(clean_sandbox, "PUT") == [] and issue_states(clean_sandbox) == before
    several = await run(
        module(clean_sandbox, allowed_projects=frozenset({"worker"})),
        "update-issues",
        issue_ids=[*backend, worker_id],
        status="resolved",
    )
    assert several.error is not None and several.error.code == "PROJECT_NOT_ALLOWED"
    shorts = [short for numeric, short in project_issues(clean_sandbox, "BACKEND-") if numeric in backend]
    assert f"Issues {', '.join(shorts)} belong to project(s) backend" in several.error.message
    assert several.error.details["issues"] == shorts and sent(clean_sandbox, "PUT") == []


async def test_ids_naming_no_issue_refuse_the_real_run_and_are_named_in_a_dry_run(clean_sandbox: SandboxServer) -> None:
    (numeric, _) = project_issues(clean_sandbox, "BACKEND-")[0]
    real = await run(
        module(clean_sandbox), "update-issues", issue_ids=[numeric, "999999999"], status="resolved", dry_run=False
    )
    assert real.error is not None and real.error.code == "ISSUE_NOT_FOUND"
    assert real.error.details["issue_ids"] == ["999999999"] and sent(clean_sandbox, "PUT") == []
    dry = await run(module(clean_sandbox), "update-issues", issue_ids=[numeric, "999999999"], status="resolved")
    assert ok(dry)["not_found"] == ["999999999"] and ok(dry)["issue_ids"] == [numeric]


@pytest.mark.parametrize(
    ("fault", "settings", "code"),
    [
        ({"kind": "html", "status": 502}, {}, "SENTRY_UNAVAILABLE"),
        ({"kind": "hang"}, {"timeout": 1.5}, "TIMEOUT"),
    ],
)
async def test_a_cut_off_write_says_which_issues_may_or_may_not_have_changed(
    clean_sandbox: SandboxServer, fault: dict[str, Any], settings: dict[str, Any], code: str
) -> None:
    issues = project_issues(clean_sandbox, "BACKEND-")[:3]
    ids = [numeric for numeric, _ in issues]
    clean_sandbox.add_fault(fault.pop("kind"), BULK, method="PUT", **fault)
    output = await run(
        module(clean_sandbox, **settings), "update-issues", issue_ids=ids, status="resolved", dry_run=False
    )
    assert output.error is not None and output.error.code == code and output.side_effects == []
    (warning,) = [w for w in output.warnings if "may or may not have reached Sentry" in w]
    assert all(short in warning for _, short in issues) and f"update-issues(issue_ids={ids}" in warning


async def test_read_only_mode_hides_the_tool_and_refuses_it_without_a_request(clean_sandbox: SandboxServer) -> None:
    server = module(clean_sandbox, read_only=True)
    assert "update-issues" not in server.operations
    output = await run(server, "update-issues", issue_ids=["1"], status="resolved", dry_run=False)
    assert output.error is not None and output.error.code == "READ_ONLY" and clean_sandbox.requests() == []


# -- assignment ------------------------------------------------------------------------------------------------


def assignees(sandbox: SandboxServer, ids: list[str]) -> list[str | None]:
    """Each issue's assignee as the sandbox stores it: `user:<id>`, `team:<id>` or None."""
    found = [sandbox.store.issue(int(issue_id)) for issue_id in ids]
    return [f"{i.assigned_to['type']}:{i.assigned_to['id']}" if i and i.assigned_to else None for i in found]


def people_requests(sandbox: SandboxServer) -> list[str]:
    return [r["path"] for r in sandbox.requests() if r["path"].endswith(("/members/", "/teams/"))]


async def test_a_team_is_given_many_issues_in_one_put_after_a_dry_run_that_writes_nothing(
    clean_sandbox: SandboxServer,
) -> None:
    ids = [numeric for numeric, _ in project_issues(clean_sandbox, "BACKEND-")[:3]]
    dry = ok(await run(module(clean_sandbox), "update-issues", issue_ids=ids, assignee="#backend-devs"))
    assert dry["issue_ids"] == ids and dry["assignee"] == "#backend-devs"
    assert assignees(clean_sandbox, ids) == [None] * 3
    assert sent(clean_sandbox, "PUT") == []
    # A team is looked up among the project's teams only: its members are not read.
    assert people_requests(clean_sandbox) == ["/api/0/projects/sandbox/backend/teams/"]

    clean_sandbox.clear_requests()
    output = await run(module(clean_sandbox), "update-issues", issue_ids=ids, assignee="#backend-devs", dry_run=False)
    ok(output)
    assert assignees(clean_sandbox, ids) == ["team:1"] * 3
    assert len(sent(clean_sandbox, "GET")) == 1 and len(sent(clean_sandbox, "PUT")) == 1
    assert {effect.kind for effect in output.side_effects} == {"issue_assigned"}
    for effect in output.side_effects:
        assert effect.before == {"assignee": None} and effect.after == {"assignee": "#backend-devs"}
    assert output.recommendations == [f"Undo: update-issues(issue_ids={ids}, assignee='none', dry_run=false)."]

    undone = await run(module(clean_sandbox), "update-issues", issue_ids=ids, assignee="none", dry_run=False)
    assert ok(undone)["issue_ids"] == ids and assignees(clean_sandbox, ids) == [None] * 3


async def test_status_and_assignee_change_together_and_undo_names_both(clean_sandbox: SandboxServer) -> None:
    ids = [numeric for numeric, _ in project_issues(clean_sandbox, "BACKEND-")[:2]]
    output = await run(
        module(clean_sandbox), "update-issues", issue_ids=ids, status="resolved", assignee="ana", dry_run=False
    )
    ok(output)
    assert statuses(clean_sandbox, ids) == ["resolved"] * 2 and assignees(clean_sandbox, ids) == ["user:2"] * 2
    effect = output.side_effects[0]
    assert effect.kind == "issue_updated" and effect.after is not None
    assert effect.after["status"] == "resolved" and effect.after["assignee"] == "ana@example.com"
    assert "Assigned" in effect.description and "(was unassigned)" in effect.description
    assert output.recommendations == [
        f"Undo: update-issues(issue_ids={ids}, status='unresolved', assignee='none', dry_run=false)."
    ]
    text = SentryErrorMonitorModule().render(output)
    assert "2 of 2 issues are now resolved and assigned to ana@example.com." in text


@pytest.mark.parametrize(
    ("assignee", "projects", "said"),
    [
        ("example", ("BACKEND-",), "No member or team"),  # several contain it: ambiguous
        ("nobody-like-this", ("BACKEND-",), ""),
        ("ben@example.com", ("BACKEND-", "WORKER-"), ""),  # Ben is in backend's team only
    ],
)
async def test_an_assignee_not_found_in_every_project_writes_nothing(
    clean_sandbox: SandboxServer, assignee: str, projects: tuple[str, ...], said: str
) -> None:
    ids = [project_issues(clean_sandbox, prefix)[0][0] for prefix in projects]
    before = issue_states(clean_sandbox)
    output = await run(module(clean_sandbox), "update-issues", issue_ids=ids, assignee=assignee, dry_run=False)
    assert output.error is not None and output.error.code == "ASSIGNEE_NOT_FOUND", output.error
    assert said in output.error.message
    assert sent(clean_sandbox, "PUT") == [] and assignees(clean_sandbox, ids) == [None] * len(ids)
    assert issue_states(clean_sandbox) == before


async def test_the_same_person_in_two_projects_is_assigned_in_one_put(clean_sandbox: SandboxServer) -> None:
    ids = [project_issues(clean_sandbox, prefix)[0][0] for prefix in ("BACKEND-", "WORKER-")]
    output = await run(module(clean_sandbox), "update-issues", issue_ids=ids, assignee="ana", dry_run=False)
    ok(output)
    assert assignees(clean_sandbox, ids) == ["user:2", "user:2"] and len(sent(clean_sandbox, "PUT")) == 1
    assert sorted(people_requests(clean_sandbox)) == [
        "/api/0/projects/sandbox/backend/members/",
        "/api/0/projects/sandbox/backend/teams/",
        "/api/0/projects/sandbox/worker/members/",
        "/api/0/projects/sandbox/worker/teams/",
    ]


async def test_glitchtip_refuses_an_assignee_before_any_request(sandbox_pool: Any) -> None:
    glitchtip: SandboxServer = sandbox_pool.get("glitchtip")
    glitchtip.clear_requests()
    output = await run(module(glitchtip), "update-issues", issue_ids=["1"], assignee="me", dry_run=False)
    assert output.error is not None and output.error.code == "UNSUPPORTED_BY_SERVER", output.error
    assert output.error.details["field"] == "assignee"
    assert not [r for r in glitchtip.requests() if "/issues/" in r["path"]]


async def test_an_assignee_for_ids_naming_no_issue_looks_no_one_up(clean_sandbox: SandboxServer) -> None:
    output = await run(module(clean_sandbox), "update-issues", issue_ids=["999999999"], assignee="ana")
    data = ok(output)
    assert data["not_found"] == ["999999999"] and not data.get("issue_ids") and data["assignee"] == "ana"
    assert people_requests(clean_sandbox) == [] and sent(clean_sandbox, "PUT") == []


async def test_an_empty_answer_to_the_put_says_nothing_was_changed(clean_sandbox: SandboxServer) -> None:
    """Sentry answers 204, no body, when none of the ids matches any more (deleted or merged since they were read):
    the client takes any empty answer so; here a fault answers the PUT with an empty body and changes nothing."""
    issues = project_issues(clean_sandbox, "BACKEND-")[:2]
    ids = [numeric for numeric, _ in issues]
    clean_sandbox.add_fault("empty", BULK, method="PUT")
    output = await run(module(clean_sandbox), "update-issues", issue_ids=ids, status="resolved", dry_run=False)
    assert output.ok and output.status.value == "partial_success" and output.side_effects == []
    (warning,) = output.warnings
    assert warning.startswith("Sentry answered that none of") and "nothing was changed" in warning
    assert all(short in warning for _, short in issues)
    assert statuses(clean_sandbox, ids) == ["unresolved", "unresolved"]
    assert not any(step.startswith("Undo:") for step in output.recommendations)
