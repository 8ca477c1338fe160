"""get-error-events and get-event against GlitchTip's issues/{id}/events/ routes."""

from __future__ import annotations

import json

import pytest

from .expected import issue_id, tag
from .glitchtip import GlitchTipApi
from .tools import Tools

pytestmark = pytest.mark.anyio


async def test_error_events_are_glitchtips(tools: Tools, api: GlitchTipApi) -> None:
    number = issue_id(api, "quantity")
    expected = api.events(number)  # newest first
    answer = (await tools.call("get-error-events", issue_id=number, limit=25)).ok()
    shown = answer.rows("events")
    assert [row["event_id"] for row in shown] == [row["event_id"] for row in expected]
    for row, event in zip(shown, expected, strict=True):
        assert (row["environment"], row["release"]) == (tag(event, "environment"), tag(event, "release"))
        assert (row["user"] or {}).get("email") == event["user"]["email"]
    assert answer.data.get("next_cursor") is None


async def test_error_events_page_through_every_event(tools: Tools, api: GlitchTipApi) -> None:
    number = issue_id(api, "quantity")
    expected = [row["event_id"] for row in api.events(number)]
    assert len(expected) > 2
    seen: list[str] = []
    cursor: str | None = None
    for _ in range(len(expected)):
        arguments = {"issue_id": number, "limit": 2, **({"cursor": cursor} if cursor else {})}
        answer = (await tools.call("get-error-events", **arguments)).ok()
        seen += [row["event_id"] for row in answer.rows("events")]
        cursor = answer.data.get("next_cursor")
        if cursor is None:
            break
    assert seen == expected


@pytest.mark.parametrize("key", ["basket", "gateway", "checkout"])
async def test_latest_event_is_glitchtips(tools: Tools, api: GlitchTipApi, key: str) -> None:
    number = issue_id(api, key)
    latest = api.event(number, "latest")
    raised = [value for entry in latest["entries"] if entry["type"] == "exception" for value in entry["data"]["values"]]
    answer = (await tools.call("get-event", issue_id=number, event_id="latest")).ok()
    event = answer.data["event"]
    assert event["event_id"] == latest["eventID"]
    assert (event["release"], event["environment"]) == (tag(latest, "release"), tag(latest, "environment"))
    assert sorted((row["type"], row["value"], row["handled"]) for row in event["exceptions"]) == sorted(
        (value["type"], value["value"], value["mechanism"]["handled"]) for value in raised
    )


async def test_event_by_id_is_glitchtips(tools: Tools, api: GlitchTipApi) -> None:
    number = issue_id(api, "quantity")
    oldest = api.events(number)[-1]
    answer = (await tools.call("get-event", issue_id=number, event_id=oldest["event_id"])).ok()
    event = answer.data["event"]
    assert event["event_id"] == oldest["event_id"]
    assert (event["release"], event["environment"]) == (tag(oldest, "release"), tag(oldest, "environment"))
    assert event["user"]["email"] == oldest["user"]["email"]


async def test_message_event_shows_its_message(tools: Tools, api: GlitchTipApi) -> None:
    number = issue_id(api, "disk")
    latest = api.event(number, "latest")
    assert latest["message"] == "disk almost full"
    answer = (await tools.call("get-event", issue_id=number, event_id="latest")).ok()
    assert latest["message"] in answer.text
    assert latest["message"] in json.dumps(answer.data["event"])


async def test_oldest_event_is_read_or_said_unsupported(tools: Tools, api: GlitchTipApi) -> None:
    number = issue_id(api, "quantity")
    oldest = api.events(number)[-1]
    answer = await tools.call("get-event", issue_id=number, event_id="oldest")
    if answer.is_error:
        assert answer.error_code == "UNSUPPORTED_BY_SERVER", str(answer)
    else:
        assert answer.data["event"]["event_id"] == oldest["event_id"]
