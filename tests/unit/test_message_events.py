"""Message events (`capture_message`, `logging.error` without an exception): their text, logger and level.

No recorded message event is among ../shared/sentry-api/fixtures, so the events here are shaped as Sentry's
web API answers them (REFERENCE §4c; Sentry's Message interface: `formatted`, and the template `message` with
its `params` where they differ) and as GlitchTip does (top-level `message`, snake_case keys, no `level` tag).
"""

from __future__ import annotations

from typing import Any

import pytest

from mcp_servers.framework.contracts import ModuleInput, ModuleOutput
from mcp_servers.sentry_monitor.src.sentry import models
from mcp_servers.sentry_monitor.src.shared.events import EventInfo, log_message
from mcp_servers.sentry_monitor.src.shared.results import MAX_TEXT_CHARS, records
from mcp_servers.sentry_monitor.src.shared.text import event_lines
from tests.fakes import ScriptedSentry

pytestmark = pytest.mark.anyio
EVENT_ID = "d" * 32


def sentry_event(*entries: dict[str, Any], message: str = "", **extra: Any) -> dict[str, Any]:
    """An event detail as Sentry's EventSerializer answers it, with `entries` and `message` as given."""
    return {
        "id": EVENT_ID,
        "eventID": EVENT_ID,
        "groupID": "42",
        "type": "default" if not any(e["type"] == "exception" for e in entries) else "error",
        "title": extra.pop("title", message or "ZeroDivisionError: division by zero"),
        "message": message,
        "dateCreated": "2026-11-30T10:04:05.123456Z",
        "tags": extra.pop("tags", [{"key": "environment", "value": "production"}, {"key": "level", "value": "error"}]),
        "entries": list(entries),
        "metadata": {},
        **extra,
    }


def message_entry(formatted: str | None, template: str | None = None, params: list[Any] | None = None) -> Any:
    data = {"formatted": formatted, "message": template, "params": params}
    return {"type": "message", "data": {key: value for key, value in data.items() if value is not None}}


EXCEPTION = {
    "type": "exception",
    "data": {
        "values": [
            {
                "type": "ZeroDivisionError",
                "value": "division by zero",
                "mechanism": {"type": "logging", "handled": True},
                "stacktrace": {"frames": [{"function": "report", "filename": "app.py", "lineNo": 7, "inApp": True}]},
            }
        ]
    },
}
CAPTURED = sentry_event(
    message_entry("disk almost full"),
    message="disk almost full",
    tags=[{"key": "level", "value": "warning"}, {"key": "environment", "value": "production"}],
)
LOGGED = sentry_event(
    message_entry("disk 95% full on /var", "disk %s%% full on %s", ["95", "/var"]),
    message="disk 95% full on /var",
    tags=[{"key": "level", "value": "error"}, {"key": "logger", "value": "shop.jobs"}],
)


async def get_event(event: dict[str, Any]) -> tuple[ModuleOutput, str]:
    sentry = ScriptedSentry().json("GET", "/issues/42/events/latest/", event)
    async with sentry.module() as module:
        output = await module.execute(
            ModuleInput(operation="get-event", parameters={"issue_id": "42", "event_id": "latest"})
        )
        return output, module.render(output)


async def test_a_captured_message_shows_its_text_and_level() -> None:
    output, text = await get_event(CAPTURED)
    assert output.data is not None, output.error
    assert output.data["event"] == {
        "event_id": EVENT_ID,
        "timestamp": "2026-11-30T10:04:05Z",
        "message": "disk almost full",
        "level": "warning",
        "environment": "production",
    }
    assert text.splitlines()[1] == "Message [warning]: disk almost full"


async def test_a_logged_error_shows_the_formatted_text_its_logger_and_level() -> None:
    output, text = await get_event(LOGGED)
    assert output.data is not None, output.error
    event = output.data["event"]
    assert (event["message"], event["logger"], event["level"]) == ("disk 95% full on /var", "shop.jobs", "error")
    assert "exceptions" not in event
    assert "Message [error] shop.jobs: disk 95% full on /var" in text


async def test_issue_details_show_the_latest_events_message() -> None:
    issue = {"id": "42", "shortId": "SHOP-1", "title": "disk 95% full on /var", "count": "2", "status": "unresolved"}
    sentry = ScriptedSentry().json("GET", "/issues/42/events/latest/", LOGGED)
    sentry.json("GET", "/organizations/acme/issues/42/", issue)
    async with sentry.module() as module:
        output = await module.execute(ModuleInput(operation="get-issue-details", parameters={"issue_id": "42"}))
        text = module.render(output)
    assert output.data is not None, output.error
    assert output.data["latest_event"]["message"] == "disk 95% full on /var"  # a message event keeps it
    assert "Message [error] shop.jobs: disk 95% full on /var" in text and "Raised" not in text
    assert not any("frame" in step for step in output.recommendations)


@pytest.mark.parametrize(
    ("event", "said"),
    [
        # the entry's template when it has no formatted text
        (sentry_event(message_entry(None, "cache cold"), message=""), "cache cold"),
        # GlitchTip: snake_case, the message top-level only, its logger as a field, no level tag
        (
            {"event_id": EVENT_ID, "message": "disk almost full", "logger": "shop.jobs", "tags": []},
            "Message shop.jobs: disk almost full",
        ),
        # an older server: `logentry` and `level` as fields
        (
            {"eventID": EVENT_ID, "logentry": {"formatted": "queue full"}, "level": "fatal", "message": None},
            "Message [fatal]: queue full",
        ),
    ],
)
async def test_the_message_is_read_wherever_the_server_puts_it(event: dict[str, Any], said: str) -> None:
    _output, text = await get_event(event)
    assert said in text


async def test_an_exception_event_keeps_only_a_message_that_adds_to_it() -> None:
    title = "ZeroDivisionError: division by zero"
    logged = sentry_event(EXCEPTION, message_entry("nightly report failed for eu"), message="x", title=title)
    output, text = await get_event(logged)
    assert output.data is not None
    event = output.data["event"]
    assert (event["message"], event["level"]) == ("nightly report failed for eu", "error")
    lines = text.splitlines()
    assert lines[1] == "Message [error]: nightly report failed for eu" and lines[2].startswith("Raised: ZeroDivision")
    for said in ("ZeroDivisionError: division by zero", "division by zero", ""):  # GlitchTip: message = title
        output, text = await get_event(sentry_event(EXCEPTION, message=said, title=title))
        assert output.data is not None
        assert {"message", "level", "logger"}.isdisjoint(output.data["event"]) and "Message" not in text


def test_a_long_message_is_bounded() -> None:
    event = models.Event.model_validate({"message": "x" * 5000, "entries": [{"type": "message", "data": "bad"}]})
    message = log_message(event)
    assert message is not None and len(message) == MAX_TEXT_CHARS and message.endswith("…")
    assert log_message(models.Event.model_validate({"message": {"formatted": "odd"}, "logentry": "odd"})) is None
    lines = event_lines(EventInfo(event_id=EVENT_ID, message="m", logger="app"), "Event")
    assert lines[1] == "Message app: m"


async def test_error_events_show_a_message_the_title_does_not_say() -> None:
    rows = [
        {**sentry_event(message="disk almost full"), "entries": []},  # the title says it
        {
            **sentry_event(message="nightly report failed", title="ZeroDivisionError: division by zero"),
            **{"id": "f" * 32, "eventID": "f" * 32},
        },
        {"event_id": "e" * 32, "title": "KeyError: 'id'", "message": "KeyError: 'id'"},  # GlitchTip's copy
    ]
    sentry = ScriptedSentry().json("GET", "/issues/42/events/", rows)
    async with sentry.module() as module:
        output = await module.execute(
            ModuleInput(operation="get-error-events", parameters={"issue_id": "42", "limit": 3})
        )
        text = module.render(output)
    assert output.data is not None, output.error
    events = records(output.data["events"])
    assert [event.get("message") for event in events] == [None, "nightly report failed", None]
    assert text.count("Message") == 1 and "division by zero (production)\n  Message: nightly report failed" in text
