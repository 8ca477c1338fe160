"""Faults are never taken for a missing route: only 405/410, a 422 naming the parameter, or an HTML 404/500 from a
route that never answered JSON make the client try the older form (on the sentry flavor, which serves both)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from mcp_servers.sentry_monitor.src.sentry import capabilities
from mcp_servers.sentry_sandbox import SandboxServer
from tests.reliability.conftest import Run

pytestmark = pytest.mark.anyio
ISSUE = r"/organizations/sandbox/issues/\d+/$"
LATEST = r"/organizations/sandbox/issues/\d+/events/latest/$"
LEGACY = "/api/0/issues/"


@pytest.fixture(autouse=True)
def unknown_server(faulty: SandboxServer) -> Iterator[None]:
    """Each test meets the server for the first time, and leaves nothing learned behind."""
    capabilities.forget_server(f"{faulty.url}/api/0/")
    yield
    capabilities.forget_server(f"{faulty.url}/api/0/")


def issue_id(faulty: SandboxServer) -> str:
    return str(faulty.store.issues()[0].id)


@pytest.mark.parametrize(
    ("fault", "code"),
    [
        ({"kind": "html", "status": 503}, "SENTRY_UNAVAILABLE"),
        ({"kind": "html", "status": 502}, "SENTRY_UNAVAILABLE"),
        ({"kind": "error", "status": 500}, "SENTRY_UNAVAILABLE"),  # JSON with an errorId
        ({"kind": "rate_limit", "retry_after": 0.05}, "RATE_LIMITED"),
        ({"kind": "drop"}, "NETWORK_ERROR"),
    ],
)
async def test_faults_on_a_first_use_are_answered_not_taken_for_a_missing_route(
    faulty: SandboxServer, run: Run, fault: dict[str, object], code: str
) -> None:
    faulty.add_fault(str(fault.pop("kind")), LATEST, **fault)  # type: ignore[arg-type]
    outcome = await run("get-issue-details", issue_id=issue_id(faulty))
    assert outcome.code == code
    assert not [r for r in outcome.requests if r["path"].startswith(LEGACY)]


async def test_an_html_500_from_a_route_that_answered_json_is_a_fault(faulty: SandboxServer, run: Run) -> None:
    assert (await run("get-issue-details", issue_id=issue_id(faulty))).output.ok
    faulty.add_fault("html", LATEST, status=500)
    outcome = await run("get-issue-details", issue_id=issue_id(faulty))
    assert outcome.code == "SENTRY_UNAVAILABLE" and outcome.output.error is not None and outcome.output.error.retryable
    assert not [r for r in outcome.requests if r["path"].startswith(LEGACY)]


async def test_an_html_500_from_a_route_never_seen_answering_json_falls_back_once(
    faulty: SandboxServer, run: Run
) -> None:
    faulty.add_fault("html", LATEST, status=500)
    first = await run("get-issue-details", issue_id=issue_id(faulty))
    assert first.output.ok and first.output.warnings == []
    assert [r["path"] for r in first.requests if r["path"].startswith(LEGACY)] == [
        f"{LEGACY}{issue_id(faulty)}/events/latest/"
    ]
    second = await run("get-issue-details", issue_id=issue_id(faulty))
    assert second.output.ok and len(second.requests) == 2 and second.requests_to("/latest/") == 1


@pytest.mark.parametrize("status", [405, 410])
async def test_a_capability_neither_form_offers_is_unsupported_by_server(
    faulty: SandboxServer, run: Run, status: int
) -> None:
    faulty.add_fault("error", r"/issues/\d+/$", method="GET", status=status)
    outcome = await run("resolve-issue", issue_id=issue_id(faulty))
    error = outcome.output.error
    assert error is not None and (error.code, error.details["capability"]) == ("UNSUPPORTED_BY_SERVER", "issue lookup")
    assert outcome.output.status.value == "failure" and "issue lookup" in error.message
    assert outcome.requests_to("/issues/") == 2 and outcome.requests_to("/issues/", "PUT") == 0


async def test_a_422_naming_another_parameter_is_not_a_sort_fallback(faulty: SandboxServer, run: Run) -> None:
    body = {"detail": [{"type": "string_too_long", "loc": ["query", "query"], "msg": "too long"}]}
    faulty.add_fault("error", r"/organizations/sandbox/issues/$", status=422, body=body)
    outcome = await run("get-recent-issues", project_slug="backend", query="level:error")
    error = outcome.output.error
    assert error is not None and (error.code, error.details["field"]) == ("INVALID_PARAMETER", "query")
    assert error.details["rejected_parameters"] == ["query"] and "query: too long" in error.message
    assert outcome.requests_to("/issues/") == 1
