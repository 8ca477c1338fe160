"""Transient faults are retried with backoff, within the deadline, then answered with a retryable error."""

from __future__ import annotations

import re

import pytest

from mcp_servers.sentry_sandbox import SandboxServer
from tests.reliability.conftest import RETRIES, Run

pytestmark = pytest.mark.anyio
LIST = r"/organizations/sandbox/issues/$"


async def test_429_with_retry_after_is_waited_out_then_answers(faulty: SandboxServer, run: Run) -> None:
    faulty.add_fault("rate_limit", LIST, times=1, retry_after=0.3)
    outcome = await run("get-recent-issues", project_slug="backend", limit=2)
    assert outcome.output.ok and outcome.requests_to("/issues/") == 2
    assert outcome.seconds >= 0.3  # the server's wait was honoured


async def test_429_with_only_the_reset_header_is_waited_out(faulty: SandboxServer, run: Run) -> None:
    faulty.add_fault("rate_limit", LIST, times=1, reset_in=0.2)
    outcome = await run("get-recent-issues", project_slug="backend", limit=2)
    assert outcome.output.ok and outcome.requests_to("/issues/") == 2


async def test_persistent_429_answers_rate_limited_after_the_retries(faulty: SandboxServer, run: Run) -> None:
    faulty.add_fault("rate_limit", LIST, retry_after=0.1)
    outcome = await run("get-recent-issues", project_slug="backend")
    error = outcome.output.error
    assert error is not None and (outcome.code, error.category.value, error.retryable) == (
        "RATE_LIMITED",
        "rate_limit",
        True,
    )
    assert error.details["retry_after_s"] == pytest.approx(0.1) and error.details["status_code"] == 429
    assert outcome.requests_to("/issues/") == RETRIES + 1 and outcome.output.status.value == "error"


async def test_a_wait_past_the_deadline_is_not_slept(faulty: SandboxServer, run: Run) -> None:
    faulty.add_fault("rate_limit", LIST, retry_after=60)
    outcome = await run("get-recent-issues", {"timeout": 2.0}, project_slug="backend")
    assert outcome.code == "RATE_LIMITED" and outcome.output.error is not None
    assert outcome.output.error.details["retry_after_s"] == 60
    assert outcome.seconds < 1.0 and outcome.requests_to("/issues/") == 1


@pytest.mark.parametrize("status", [502, 503, 504])
async def test_gateway_errors_with_html_are_retried(faulty: SandboxServer, run: Run, status: int) -> None:
    faulty.add_fault("html", LIST, times=1, status=status)
    assert (await run("get-recent-issues", project_slug="backend")).output.ok
    faulty.add_fault("html", LIST, status=status)
    outcome = await run("get-recent-issues", project_slug="backend")
    error = outcome.output.error
    assert error is not None and (error.code, error.retryable, error.details["status_code"]) == (
        "SENTRY_UNAVAILABLE",
        True,
        status,
    )
    assert "<" not in error.message and outcome.requests_to("/issues/") == RETRIES + 1


async def test_a_500_is_retried_exactly_once_and_keeps_its_error_id(faulty: SandboxServer, run: Run) -> None:
    faulty.add_fault("error", LIST, status=500)
    outcome = await run("get-recent-issues", project_slug="backend")
    error = outcome.output.error
    assert error is not None and error.code == "SENTRY_UNAVAILABLE" and error.retryable
    assert re.fullmatch(r"[0-9a-f]{32}", error.details["error_id"])
    assert outcome.requests_to("/issues/") == 2


@pytest.mark.parametrize(
    ("status", "code"),
    [
        (400, "INVALID_PARAMETER"),
        (403, "PROJECT_NOT_ALLOWED"),
        (404, "PROJECT_NOT_FOUND"),
        (410, "UNSUPPORTED_BY_SERVER"),
    ],
)
async def test_other_4xx_are_never_retried(faulty: SandboxServer, run: Run, status: int, code: str) -> None:
    faulty.add_fault("error", LIST, status=status)
    outcome = await run("get-recent-issues", project_slug="backend")
    assert outcome.code == code and outcome.output.error is not None and not outcome.output.error.retryable
    assert outcome.requests_to("/issues/") == 1


async def test_a_slow_answer_within_the_deadline_is_awaited(faulty: SandboxServer, run: Run) -> None:
    faulty.add_fault("slow", LIST, delay=0.4)
    outcome = await run("get-recent-issues", project_slug="backend", limit=3)
    assert outcome.output.ok and outcome.seconds >= 0.4 and outcome.requests_to("/issues/") == 1


async def test_a_hang_answers_timeout_within_the_deadline_plus_a_second(faulty: SandboxServer, run: Run) -> None:
    faulty.add_fault("hang", LIST)
    outcome = await run("get-recent-issues", {"timeout": 1.5}, project_slug="backend")
    error = outcome.output.error
    assert error is not None and (error.code, error.retryable) == ("TIMEOUT", True)
    assert error.details["timeout_s"] == 1.5 and outcome.seconds < 1.5 + 1.0


async def test_a_dropped_connection_is_retried_then_answers_network_error(faulty: SandboxServer, run: Run) -> None:
    faulty.add_fault("drop", LIST, times=1)
    assert (await run("get-recent-issues", project_slug="backend")).output.ok
    faulty.add_fault("drop", LIST)
    outcome = await run("get-recent-issues", project_slug="backend")
    error = outcome.output.error
    assert error is not None and (error.code, error.retryable) == ("NETWORK_ERROR", True)
    assert outcome.requests_to("/issues/") == RETRIES + 1


async def test_an_unreachable_sentry_answers_network_error(run: Run) -> None:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    outcome = await run("get-project-stats", {"url": url}, project_slug="backend")
    assert outcome.code == "NETWORK_ERROR" and outcome.output.metadata.api_calls == RETRIES + 1
