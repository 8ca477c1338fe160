"""resolve-issue under faults: one PUT per attempt, only to the issue asked for, the same end state as one PUT."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from mcp_servers.sentry_sandbox import SandboxServer
from tests.reliability.conftest import RETRIES, Outcome, Run

pytestmark = pytest.mark.anyio
ISSUE = r"/organizations/sandbox/issues/\d+/$"


def issue_state(sandbox: SandboxServer, short_id: str) -> dict[str, Any]:
    url = f"{sandbox.url}/api/0/organizations/sandbox/issues/{short_id}/"
    data: dict[str, Any] = httpx.get(url, headers={"Authorization": f"Bearer {sandbox.token}"}).json()
    return {key: data[key] for key in ("id", "status", "substatus", "statusDetails")}


def puts(outcome: Outcome) -> list[str]:
    return [r["path"] for r in outcome.requests if r["method"] == "PUT"]


async def one_put_end_state(faulty: SandboxServer, run: Run) -> dict[str, Any]:
    outcome = await run("resolve-issue", issue_id="BACKEND-2")
    assert outcome.output.ok and len(puts(outcome)) == 1
    state = issue_state(faulty, "BACKEND-2")
    faulty.reset()
    return state


@pytest.mark.parametrize(
    "fault",
    [
        {"kind": "html", "status": 503},
        {"kind": "drop"},
        {"kind": "error", "status": 500},
        {"kind": "rate_limit", "retry_after": 0.1},
    ],
)
async def test_a_retried_put_ends_as_one_put_would(faulty: SandboxServer, run: Run, fault: dict[str, Any]) -> None:
    expected = await one_put_end_state(faulty, run)
    faulty.add_fault(fault.pop("kind"), ISSUE, method="PUT", times=1, **fault)
    outcome = await run("resolve-issue", issue_id="BACKEND-2")
    assert outcome.output.ok, outcome.output.error
    assert puts(outcome) == [f"/api/0/organizations/sandbox/issues/{expected['id']}/"] * 2  # once per attempt
    assert issue_state(faulty, "BACKEND-2") == expected
    (change,) = outcome.output.side_effects
    assert change.after is not None and change.after["status"] == "resolved"


async def test_a_put_that_keeps_failing_is_sent_once_per_attempt_and_changes_nothing(
    faulty: SandboxServer, run: Run
) -> None:
    before = issue_state(faulty, "BACKEND-2")
    faulty.add_fault("html", ISSUE, method="PUT", status=502)
    outcome = await run("resolve-issue", issue_id="BACKEND-2")
    assert outcome.code == "SENTRY_UNAVAILABLE" and len(puts(outcome)) == RETRIES + 1
    assert outcome.output.side_effects == [] and issue_state(faulty, "BACKEND-2") == before
    assert any("may or may not have reached Sentry" in w for w in outcome.output.warnings)


async def test_a_hung_put_answers_timeout_and_says_the_change_is_unknown(faulty: SandboxServer, run: Run) -> None:
    faulty.add_fault("hang", ISSUE, method="PUT")
    outcome = await run("resolve-issue", {"timeout": 1.5}, issue_id="BACKEND-2")
    assert outcome.code == "TIMEOUT" and outcome.seconds < 2.5 and len(puts(outcome)) <= 1
    assert any("check with get-issue-details(issue_id='BACKEND-2')" in w for w in outcome.output.warnings)


async def test_a_put_refused_with_403_is_not_retried_and_not_called_unknown(faulty: SandboxServer, run: Run) -> None:
    faulty.add_fault("error", ISSUE, method="PUT", status=403)
    outcome = await run("resolve-issue", issue_id="BACKEND-2")
    assert outcome.code == "MISSING_SCOPE" and len(puts(outcome)) == 1 and outcome.output.warnings == []
    assert outcome.output.error is not None and outcome.output.error.details["required_scope"] == "event:write"


async def test_only_the_issue_asked_for_is_changed(faulty: SandboxServer, run: Run) -> None:
    def statuses() -> dict[str, str]:
        issues = httpx.get(
            f"{faulty.url}/api/0/organizations/sandbox/issues/",
            params={"query": "", "limit": 100},
            headers={"Authorization": f"Bearer {faulty.token}"},
        ).json()
        return {issue["shortId"]: issue["status"] for issue in issues}

    before = statuses()
    faulty.add_fault("drop", ISSUE, method="PUT", times=1)
    assert (await run("resolve-issue", issue_id="WORKER-1")).output.ok
    after = statuses()
    assert {key for key in before if before[key] != after[key]} == {"WORKER-1"}
