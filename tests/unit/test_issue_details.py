"""get-issue-details: two requests side by side, and a usable answer when the latest event is gone."""

from __future__ import annotations

import anyio
import httpx
import pytest

from mcp_servers.framework.contracts import ModuleInput
from mcp_servers.sentry_monitor.src.processor import SentryErrorMonitorModule
from tests.fakes import ScriptedSentry

pytestmark = pytest.mark.anyio
ISSUE = {"id": "42", "shortId": "BACKEND-1", "title": "ValueError: bad", "count": "3", "status": "unresolved"}
EVENT = {"eventID": "c" * 32, "entries": [{"type": "exception", "data": {"values": [{"type": "ValueError"}]}}]}
PATH = "/api/0/organizations/acme/issues/42/"


async def test_issue_and_latest_event_are_fetched_concurrently() -> None:
    """Each answer waits until the other request has arrived: sequential requests would time out."""
    arrived = {"issue": anyio.Event(), "event": anyio.Event()}

    async def answer(request: httpx.Request) -> httpx.Response:
        mine, other = ("event", "issue") if request.url.path.endswith("/latest/") else ("issue", "event")
        arrived[mine].set()
        with anyio.fail_after(2):
            await arrived[other].wait()
        return httpx.Response(200, json=EVENT if mine == "event" else ISSUE)

    module = SentryErrorMonitorModule(ScriptedSentry().module().settings, transport=httpx.MockTransport(answer))
    output = await module.execute(ModuleInput(operation="get-issue-details", parameters={"issue_id": "42"}))
    assert output.status.value == "success", output.error
    assert output.metadata.api_calls == 2


async def test_missing_latest_event_is_a_partial_success_with_a_warning() -> None:
    sentry = ScriptedSentry().json("GET", PATH, ISSUE)
    sentry.on("GET", f"{PATH}events/latest/", httpx.Response(404, json={"detail": "No matching event found."}))
    output = await sentry.module().execute(ModuleInput(operation="get-issue-details", parameters={"issue_id": "42"}))
    assert output.status.value == "partial_success"
    assert output.data is not None and "latest_event" not in output.data  # nothing to say: left out
    assert output.data["issue"]["short_id"] == "BACKEND-1"
    assert "no event" in output.warnings[0]


async def test_an_unknown_issue_wins_over_its_missing_event() -> None:
    sentry = ScriptedSentry().on("GET", "/events/latest/", httpx.Response(404, json={"detail": "x"}))
    sentry.on("GET", PATH, httpx.Response(404, json={"detail": "The requested resource does not exist"}))
    output = await sentry.module().execute(ModuleInput(operation="get-issue-details", parameters={"issue_id": "42"}))
    assert output.error is not None and output.error.code == "ISSUE_NOT_FOUND"


async def test_a_failing_event_request_fails_the_call() -> None:
    sentry = ScriptedSentry().json("GET", PATH, ISSUE)
    sentry.on("GET", f"{PATH}events/latest/", httpx.Response(401, json={"detail": "Invalid token"}))
    output = await sentry.module().execute(ModuleInput(operation="get-issue-details", parameters={"issue_id": "42"}))
    assert output.error is not None and output.error.code == "AUTH_FAILED"
