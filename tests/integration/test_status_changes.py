"""resolve-issue, ignore-issue and unresolve-issue against the local Sentry: the exact bodies, the recorded change."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import pytest

from mcp_servers.sentry_monitor.src.sentry import capabilities
from tests.integration.ops import Factory, run

if TYPE_CHECKING:
    from mcp_servers.sentry_sandbox import SandboxServer


pytestmark = pytest.mark.anyio
ISSUE = r"/organizations/sandbox/issues/\d+/$"


def put_bodies(sandbox: SandboxServer) -> list[str]:
    return [r["path"] for r in sandbox.requests() if r["method"] == "PUT"]


def stored(sandbox: SandboxServer, short_id: str) -> tuple[str, str | None, dict[str, Any]]:
    issue = sandbox.store.issue_by_short_id(short_id)
    assert issue is not None
    return issue.status, issue.substatus, issue.status_details


@pytest.mark.parametrize(
    ("parameters", "substatus", "details", "said"),
    [
        ({}, "archived_forever", set(), "Archived forever: BACKEND-2"),
        ({"duration_minutes": 60}, "archived_until_condition_met", {"ignoreUntil"}, "for 60 minutes"),
        (
            {"count": 100, "window_minutes": 60},
            "archived_until_condition_met",
            {"ignoreCount", "ignoreWindow"},
            "until 100 more events within 60 minutes",
        ),
        ({"user_count": 10}, "archived_until_condition_met", {"ignoreUserCount"}, "until 10 more users"),
        ({"until_escalating": True}, "archived_until_escalating", set(), "until escalating"),
    ],
)
async def test_ignore_archives_with_each_condition(
    make_module: Factory,
    clean_sandbox: SandboxServer,
    parameters: dict[str, Any],
    substatus: str,
    details: set[str],
    said: str,
) -> None:
    # the first call to this server in the process also asks which kind of server it is (GET /api/settings/)
    asks_kind = capabilities.for_server(f"{clean_sandbox.url}/api/0/").kind is None
    output = await run(make_module(), "ignore-issue", issue_id="BACKEND-2", **parameters)
    assert output.ok and output.data is not None and output.data["changed"] is True, output.error
    status, stored_substatus, stored_details = stored(clean_sandbox, "BACKEND-2")
    assert (status, stored_substatus) == ("ignored", substatus)
    assert details <= set(stored_details) and set(output.data["issue"].get("status_details", {})) >= details
    (change,) = output.side_effects
    assert change.before == {"status": "unresolved", "substatus": "ongoing"}
    assert change.after == {"status": "ignored", "substatus": substatus} and said in change.description
    assert len(put_bodies(clean_sandbox)) == 1 and output.metadata.api_calls == 2 + asks_kind


@pytest.mark.parametrize(
    ("parameters", "field"),
    [
        ({"count": 5, "duration_minutes": 10}, "count"),
        ({"until_escalating": True, "user_count": 3}, "until_escalating"),
        ({"window_minutes": 60}, "window_minutes"),
        ({"duration_minutes": 10, "window_minutes": 60}, "window_minutes"),
        ({"count": 5, "window_minutes": 10081}, "window_minutes"),
        ({"count": 0}, "count"),
    ],
)
async def test_ignore_refuses_conflicting_conditions_before_any_request(
    make_module: Factory, clean_sandbox: SandboxServer, parameters: dict[str, Any], field: str
) -> None:
    output = await run(make_module(), "ignore-issue", issue_id="BACKEND-2", **parameters)
    assert output.error is not None and (output.error.code, output.error.details["field"]) == (
        "INVALID_PARAMETER",
        field,
    )
    assert clean_sandbox.requests() == []


async def test_an_older_server_gets_the_old_substatus_name_once_learned(
    make_module: Factory, clean_sandbox: SandboxServer
) -> None:
    capabilities.forget_server(f"{clean_sandbox.url}/api/0/")  # earlier tests taught it the current names
    body = {"substatus": ['"archived_until_escalating" is not a valid choice.']}
    clean_sandbox.add_fault("error", ISSUE, method="PUT", status=400, body=body, times=1)
    try:
        output = await run(make_module(), "ignore-issue", issue_id="BACKEND-2", until_escalating=True)
        assert output.ok and any("older substatus names" in w for w in output.warnings)
        assert stored(clean_sandbox, "BACKEND-2")[1] == "archived_until_escalating"
        assert len(put_bodies(clean_sandbox)) == 2
        clean_sandbox.clear_requests()
        again = await run(make_module(), "ignore-issue", issue_id="BACKEND-5", until_escalating=True)
        assert again.ok and len(put_bodies(clean_sandbox)) == 1  # the older name straight away
    finally:
        capabilities.forget_server(f"{clean_sandbox.url}/api/0/")


async def test_unresolve_reopens_and_says_when_there_was_nothing_to_do(
    make_module: Factory, clean_sandbox: SandboxServer
) -> None:
    assert (await run(make_module(), "ignore-issue", issue_id="WORKER-1")).ok
    output = await run(make_module(), "unresolve-issue", issue_id="WORKER-1")
    assert output.ok and output.data is not None and output.data["issue"]["status"] == "unresolved"
    (change,) = output.side_effects
    assert change.before == {"status": "ignored", "substatus": "archived_forever"}
    again = await run(make_module(), "unresolve-issue", issue_id="WORKER-1")
    assert again.ok and again.data is not None and again.data["changed"] is False and again.side_effects == []
    assert any("already unresolved" in w for w in again.warnings)


async def test_resolve_in_next_release(make_module: Factory, clean_sandbox: SandboxServer) -> None:
    output = await run(make_module(), "resolve-issue", issue_id="BACKEND-1", in_next_release=True)
    assert output.ok and output.data is not None, output.error
    assert output.data["issue"]["status_details"].get("inNextRelease") is True
    assert stored(clean_sandbox, "BACKEND-1")[0] == "resolved"
    again = await run(make_module(), "resolve-issue", issue_id="BACKEND-1", in_next_release=True)
    assert again.ok and again.data is not None and again.data["changed"] is False


async def test_resolve_in_next_release_without_releases_resolves_now(
    make_module: Factory, clean_sandbox: SandboxServer
) -> None:
    body = {
        "statusDetails": {"inNextRelease": ["No release data present in the system to form a basis for 'Next Release'"]}
    }
    clean_sandbox.add_fault("error", ISSUE, method="PUT", status=400, body=body, times=1)
    output = await run(make_module(), "resolve-issue", issue_id="BACKEND-1", in_next_release=True)
    assert output.ok and any("no releases" in w for w in output.warnings)
    assert stored(clean_sandbox, "BACKEND-1")[0] == "resolved" and len(put_bodies(clean_sandbox)) == 2
    assert json.dumps(output.data).count("inNextRelease") == 0
