"""add-issue-note under faults: the POST is sent once and never again, and a cut-off one is said to be unknown."""

from __future__ import annotations

from typing import Any

import pytest

from mcp_servers.sentry_monitor.src.processor import SentryErrorMonitorModule
from mcp_servers.sentry_sandbox import SandboxServer
from tests.reliability.conftest import Outcome, Run

pytestmark = pytest.mark.anyio
NOTES = r"/organizations/sandbox/issues/\d+/notes/$"
UNKNOWN = "may or may not have been added"


def posts(outcome: Outcome) -> list[str]:
    return [r["path"] for r in outcome.requests if r["method"] == "POST"]


def notes_of(sandbox: SandboxServer, short_id: str) -> list[str]:
    issue = sandbox.store.issue_by_short_id(short_id)
    assert issue is not None
    return [entry["data"]["text"] for entry in issue.activity if entry["type"] == "note"]


@pytest.mark.parametrize(
    ("fault", "code"),
    [
        ({"kind": "error", "status": 500}, "SENTRY_UNAVAILABLE"),
        ({"kind": "html", "status": 503}, "SENTRY_UNAVAILABLE"),
        ({"kind": "drop"}, "NETWORK_ERROR"),
        ({"kind": "rate_limit", "retry_after": 0.1}, "RATE_LIMITED"),
    ],
)
async def test_a_failed_post_is_never_sent_again_and_is_said_to_be_unknown(
    faulty: SandboxServer, run: Run, fault: dict[str, Any], code: str
) -> None:
    faulty.add_fault(fault.pop("kind"), NOTES, method="POST", times=1, **fault)
    outcome = await run("add-issue-note", issue_id="BACKEND-2", text="checked the pool")
    assert outcome.code == code, outcome.output.error
    assert len(posts(outcome)) == 1  # retry_attempts is 2: a GET would have been sent up to 3 times
    assert outcome.output.side_effects == [] and notes_of(faulty, "BACKEND-2") == []
    (warning,) = [w for w in outcome.output.warnings if UNKNOWN in w]
    assert "get-issue-details(issue_id='BACKEND-2')" in warning and "twice" in warning
    # Transient or not, the error does not invite a blind retry: the note may be there already.
    error = outcome.output.error
    assert error is not None and error.retryable is False and error.details["may_have_applied"] is True
    assert "get-issue-details(issue_id='BACKEND-2') before calling again" in error.recovery_suggestion
    text = SentryErrorMonitorModule().render(outcome.output)
    assert "Retry: only after checking" in text and "Retry: yes" not in text


@pytest.mark.parametrize(
    "fault",
    [
        {"kind": "wrong_shape", "body": []},  # a 2xx that names no note
        {"kind": "bad_json"},  # a 2xx whose body is not JSON
    ],
)
async def test_a_post_answered_with_no_note_is_said_to_be_unknown(
    faulty: SandboxServer, run: Run, fault: dict[str, Any]
) -> None:
    faulty.add_fault(fault.pop("kind"), NOTES, method="POST", times=1, **fault)
    outcome = await run("add-issue-note", issue_id="BACKEND-2", text="odd answer")
    assert outcome.code == "BAD_UPSTREAM_RESPONSE" and len(posts(outcome)) == 1
    assert any(UNKNOWN in w for w in outcome.output.warnings) and outcome.output.side_effects == []


async def test_a_hung_post_answers_timeout_and_says_the_note_is_unknown(faulty: SandboxServer, run: Run) -> None:
    faulty.add_fault("hang", NOTES, method="POST")
    outcome = await run("add-issue-note", {"timeout": 1.5}, issue_id="BACKEND-2", text="hung note")
    assert outcome.code == "TIMEOUT" and outcome.seconds < 2.5 and len(posts(outcome)) <= 1
    assert any(UNKNOWN in w and "get-issue-details(issue_id='BACKEND-2')" in w for w in outcome.output.warnings)
    assert outcome.output.side_effects == []


async def test_a_post_refused_for_a_token_without_a_user_says_so(faulty: SandboxServer, run: Run) -> None:
    outcome = await run("add-issue-note", {"auth_token": faulty.token_for(None)}, issue_id="BACKEND-2", text="bot")
    assert outcome.code == "MISSING_SCOPE" and len(posts(outcome)) == 1
    assert outcome.output.error is not None and "acts as a user" in outcome.output.error.message
    assert "user auth token" in outcome.output.error.recovery_suggestion
    assert not any(UNKNOWN in w for w in outcome.output.warnings) and notes_of(faulty, "BACKEND-2") == []


@pytest.mark.parametrize("text", ["", "   \n ", "x" * 5001])
async def test_empty_or_too_long_text_is_refused_before_any_request(faulty: SandboxServer, run: Run, text: str) -> None:
    outcome = await run("add-issue-note", issue_id="BACKEND-2", text=text)
    assert outcome.code == "INVALID_PARAMETER" and outcome.output.error is not None
    assert outcome.output.error.details["field"] == "text" and outcome.requests == []


async def test_the_longest_text_is_sent_whole(faulty: SandboxServer, run: Run) -> None:
    outcome = await run("add-issue-note", issue_id="BACKEND-2", text="z" * 5000)
    assert outcome.output.ok and len(posts(outcome)) == 1 and notes_of(faulty, "BACKEND-2") == ["z" * 5000]
