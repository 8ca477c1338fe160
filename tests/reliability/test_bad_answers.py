"""Answers that cannot be read: clear BAD_UPSTREAM_RESPONSE or RESPONSE_TOO_LARGE, never retried, never a crash."""

from __future__ import annotations

import tracemalloc

import pytest

from mcp_servers.sentry_sandbox import SandboxServer
from tests.reliability.conftest import Run

pytestmark = pytest.mark.anyio
LIST = r"/organizations/sandbox/issues/$"
ISSUE = r"/organizations/sandbox/issues/[^/]+/$"
LIMIT = 1024 * 1024


async def test_invalid_json_is_a_bad_upstream_response_with_an_excerpt(faulty: SandboxServer, run: Run) -> None:
    faulty.add_fault("bad_json", LIST, body='{"id": "1", "title": <b>oops</b>')
    outcome = await run("get-recent-issues", project_slug="backend")
    error = outcome.output.error
    assert error is not None and (error.code, error.retryable) == ("BAD_UPSTREAM_RESPONSE", False)
    assert error.details["status_code"] == 200 and error.details["excerpt"] == '{"id": "1", "title": oops'
    assert outcome.requests_to("/issues/") == 1


@pytest.mark.parametrize(
    ("operation", "path", "parameters", "what"),
    [
        ("get-recent-issues", LIST, {"project_slug": "backend"}, "the issues list"),
        ("get-issue-details", ISSUE, {"issue_id": "BACKEND-1"}, "the issue"),
        ("get-error-events", r"/events/$", {"issue_id": "BACKEND-1"}, "the events list"),
        ("get-project-stats", r"/stats_v2/$", {"project_slug": "backend"}, "the error statistics"),
        ("resolve-issue", ISSUE, {"issue_id": "BACKEND-1"}, "the issue"),
    ],
)
async def test_json_of_the_wrong_shape_names_what_was_expected(
    faulty: SandboxServer, run: Run, operation: str, path: str, parameters: dict[str, str], what: str
) -> None:
    faulty.add_fault("wrong_shape", path, method="GET")
    outcome = await run(operation, **parameters)
    error = outcome.output.error
    assert error is not None and error.code == "BAD_UPSTREAM_RESPONSE", error
    assert what in error.message and error.details["status_code"] == 200
    assert not [r for r in outcome.requests if r["method"] == "PUT"]


async def test_fields_of_the_wrong_type_are_a_bad_upstream_response(faulty: SandboxServer, run: Run) -> None:
    faulty.add_fault("wrong_shape", ISSUE, body={"id": {"nested": True}, "title": ["not", "text"]})
    outcome = await run("get-issue-details", issue_id="BACKEND-1")
    error = outcome.output.error
    assert error is not None and error.code == "BAD_UPSTREAM_RESPONSE" and "Sentry Issue" in error.message


@pytest.mark.parametrize(("operation", "path"), [("get-issue-details", ISSUE), ("get-recent-issues", LIST)])
async def test_an_empty_body_is_a_bad_upstream_response(
    faulty: SandboxServer, run: Run, operation: str, path: str
) -> None:
    faulty.add_fault("empty", path)
    parameters = {"issue_id": "BACKEND-1"} if "details" in operation else {"project_slug": "backend"}
    outcome = await run(operation, **parameters)
    assert outcome.code == "BAD_UPSTREAM_RESPONSE" and "an empty body" in outcome.output.error.message  # type: ignore[union-attr]


@pytest.mark.parametrize("declared", [False, True])
async def test_a_huge_body_is_refused_without_reading_it(faulty: SandboxServer, run: Run, declared: bool) -> None:
    """20 MB against a 1 MiB limit: RESPONSE_TOO_LARGE, not retried, and Python's peak memory stays near the limit."""
    faulty.add_fault("huge", LIST, size=20_000_000, body="content-length" if declared else None)
    tracemalloc.start()
    try:
        outcome = await run("get-recent-issues", {"max_response_bytes": LIMIT}, project_slug="backend")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    error = outcome.output.error
    assert error is not None and (error.code, error.retryable) == ("RESPONSE_TOO_LARGE", False)
    assert error.details["limit_bytes"] == LIMIT and outcome.requests_to("/issues/") == 1
    if declared:
        assert error.details["size_bytes"] == 20_000_000
    print(f"huge body, declared={declared}: peak traced memory {peak / 1e6:.2f} MB")
    assert peak < 6 * LIMIT, peak  # the body is 20x the limit
