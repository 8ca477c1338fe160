"""The bench's facts checklist (bench/facts.py): the same facts found in a text and, by meaning, in JSON.

Today's result shape and a leaner one (empty fields left out, `events`/`users` for the counts, frames as
strings, timestamps to the second, the exception carried by the title, permalinks as a template, lists as
tables) must both pass; a result without a fact must fail.
"""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from typing import Any

import pytest

from bench.facts import (
    EVENT_FACTS,
    ISSUE_FACTS,
    LIST_FACTS,
    IssueFacts,
    ListedIssue,
    check_event_list,
    check_issue,
    check_issue_list,
    event_times,
    issue_facts,
    listed_issue,
)

URL = "http://127.0.0.1:8000/organizations/sandbox/issues"
FILE = "mcp_servers/sentry_sandbox/demo_app.py"
KIND, VALUE = "ConnectionError", "database connection pool exhausted (size=20, waiting=89)"
FACTS = IssueFacts(
    id="6500000006",
    short_id="BACKEND-6",
    exception_type=KIND,
    exception_value=VALUE,
    filename=FILE,
    line=67,
    count=68,
    user_count=12,
    first_seen=datetime(2026, 11, 12, 14, 48, 13, 160970, tzinfo=UTC),
    last_seen=datetime(2026, 12, 1, 22, 54, 23, 428416, tzinfo=UTC),
    permalinks=(f"{URL}/6500000006", f"{URL}/BACKEND-6"),
)

TODAY: dict[str, Any] = {
    "status": "success",
    "data": {
        "issue": {
            "id": "6500000006",
            "short_id": "BACKEND-6",
            "title": f"{KIND}: {VALUE}",
            "culprit": "mcp_servers.sentry_sandbox.demo_app in acquire_connection",
            "count": 68,
            "user_count": 12,
            "count_24h": 60,
            "first_seen": "2026-11-12T14:48:13.160970Z",
            "last_seen": "2026-12-01T22:54:23.428416Z",
            "error_type": KIND,
            "error_value": VALUE,
            "assignee": None,
            "permalink": f"{URL}/6500000006/",
        },
        "latest_event": {
            "event_id": "4451b4bd5a0747679754ba48188d1272",
            "timestamp": "2026-12-01T22:54:23.428416Z",
            "exceptions": [
                {
                    "type": KIND,
                    "value": VALUE,
                    "frames": [
                        {"filename": FILE, "function": "fetch_dashboard", "in_app": True, "line": 71},
                        {"filename": FILE, "function": "acquire_connection", "in_app": True, "line": 67},
                    ],
                }
            ],
        },
    },
    "error": None,
    "recommendations": [],
}


def lean(frame: str) -> dict[str, Any]:
    """The same answer, lean: no empty fields, renamed counts, frames as strings, no fractions, a template."""
    return {
        "data": {
            "issue": {
                "id": "6500000006",
                "short_id": "BACKEND-6",
                "title": f"{KIND}: {VALUE}",
                "culprit": "demo_app in acquire_connection",
                "events": 68,
                "users": 12,
                "first_seen": "2026-11-12T14:48:13Z",
                "last_seen": "2026-12-01T22:54:23Z",
            },
            "latest_event": {"timestamp": "2026-12-01T22:54:23Z", "frames": [frame]},
            "permalink_template": f"{URL}/{{id}}/",
        }
    }


LEAN_FRAMES = [f"acquire_connection ({FILE}:67)", f"{FILE}:67 in acquire_connection"]


def test_the_facts_are_read_from_sentrys_issue_and_latest_event() -> None:
    frames = [
        {"filename": "seed.py", "lineNo": 161, "inApp": True},
        {"filename": FILE, "lineNo": 67, "inApp": True},
        {"filename": "threading.py", "lineNo": 9, "inApp": False},
    ]
    event = {
        "entries": [
            {
                "type": "exception",
                "data": {"values": [{"type": KIND, "value": VALUE, "stacktrace": {"frames": frames}}]},
            }
        ]
    }
    detail = {
        "id": "6500000006",
        "shortId": "BACKEND-6",
        "count": "68",
        "userCount": 12,
        "firstSeen": "2026-11-12T14:48:13.160970Z",
        "lastSeen": "2026-12-01T22:54:23.428416Z",
        "permalink": f"{URL}/6500000006/",
    }
    assert issue_facts(detail, event, (f"{URL}/BACKEND-6",)) == FACTS


@pytest.mark.parametrize("result", [TODAY, *(lean(frame) for frame in LEAN_FRAMES)], ids=["today", "lean", "lean2"])
def test_every_fact_is_found_in_todays_and_a_lean_structured_result(result: dict[str, Any]) -> None:
    assert check_issue(result, FACTS) == dict.fromkeys(ISSUE_FACTS, True)


def test_a_structured_result_without_a_fact_misses_it() -> None:
    result = copy.deepcopy(TODAY)
    issue = result["data"]["issue"]
    del issue["user_count"]
    issue["count"] = "68"  # a string is not the count
    issue["first_seen"] = "2026-11-12T14:48Z"  # to the minute: not enough for one issue
    issue["permalink"] = f"{URL}/6500000007/"
    result["data"]["latest_event"]["exceptions"][0]["frames"][-1]["line"] = 66
    missing = {fact for fact, found in check_issue(result, FACTS).items() if not found}
    assert missing == {"user count", "event count", "first seen", "permalink", "crashing in-app frame"}
    leaner = lean(f"acquire_connection ({FILE}:671)")
    leaner["data"]["issue"]["title"] = "ConnectionError"
    leaner["data"]["permalink_template"] = f"{URL}/{{id}}/events/"
    missing = {fact for fact, found in check_issue(leaner, FACTS).items() if not found}
    assert missing == {"exception value", "crashing in-app frame", "permalink"}


def test_the_text_forms_of_both_servers_carry_the_facts() -> None:
    ours = (
        f"- BACKEND-6 [error, unresolved/ongoing] {KIND}: {VALUE}\n"
        "  68 events, 12 users; last seen 2026-12-01T22:54:23Z, first seen 2026-11-12T14:48:13Z\n"
        f"  {URL}/6500000006/\n"
        f"  at acquire_connection ({FILE}:67)\n"
    )
    official = (
        "**First Seen**: 2026-11-12T14:48:13.160Z\n**Last Seen**: 2026-12-01T22:54:23.428Z\n"
        f"**Occurrences**: 68\n**Users Impacted**: 12\n**URL**: {URL}/BACKEND-6\n"
        f'```\n{KIND}: {VALUE}\n```\n  File "{FILE}", line 67, in acquire_connection\n'
    )
    assert check_issue(ours, FACTS) == check_issue(official, FACTS) == dict.fromkeys(ISSUE_FACTS, True)
    assert not check_issue(ours.replace("68 events", "68"), FACTS)["event count"]
    assert not check_issue(ours.replace(":67)", ":671)"), FACTS)["crashing in-app frame"]


NOW = datetime(2026, 12, 1, 23, 0, tzinfo=UTC)
ISSUES = [
    ListedIssue(
        "6500000006",
        "BACKEND-6",
        "ConnectionError: pool exhausted",
        68,
        12,
        datetime(2026, 12, 1, 22, 54, 23, 428416, tzinfo=UTC),
    ),
    ListedIssue(
        "6500000002",
        "BACKEND-2",
        "ZeroDivisionError: division by zero",
        23,
        3,
        datetime(2026, 12, 1, 19, 40, 5, tzinfo=UTC),
    ),
    ListedIssue("6500000009", "BACKEND-9", "KeyError: 'user_id'", 9, 3, datetime(2026, 11, 28, 8, 0, 0, tzinfo=UTC)),
]


def test_an_issue_list_is_read_from_sentry() -> None:
    api: dict[str, Any] = {"id": "6500000002", "shortId": "BACKEND-2", "title": "ZeroDivisionError: division by zero"}
    api |= {"count": "23", "userCount": 3, "lastSeen": "2026-12-01T19:40:05Z"}
    assert listed_issue(api) == ISSUES[1]


def _todays_list() -> dict[str, Any]:
    issues = [
        {
            "id": i.id,
            "short_id": i.short_id,
            "title": i.title,
            "count": i.count,
            "user_count": i.user_count,
            "last_seen": i.last_seen.isoformat().replace("+00:00", "Z"),
            "assignee": None,
        }
        for i in ISSUES
    ]
    return {"data": {"issues": issues, "next_cursor": None}}


def _lean_list() -> dict[str, Any]:
    """As a table: field names once, what all rows share in `common`, counts renamed, one title left to the
    exception's type and value."""
    columns = ["id", "short_id", "title", "events", "users", "last_seen", "error_type", "error_value"]
    rows: list[list[Any]] = [
        [i.id, i.short_id, i.title, i.count, i.user_count, f"{i.last_seen:%Y-%m-%dT%H:%M:%SZ}", None, None]
        for i in ISSUES
    ]
    rows[2][2], rows[2][6], rows[2][7] = None, "KeyError", "'user_id'"
    table = {"columns": columns, "rows": rows, "common": {"level": "error"}}
    return {"data": {"issues": table, "permalink_template": f"{URL}/{{id}}/"}}


def test_an_issue_list_is_checked_in_todays_shape_a_table_and_both_texts() -> None:
    ours = "\n".join(
        f"- {i.short_id} (#{i.id}) {i.title}\n  {i.count} events, {i.user_count} users; "
        f"last seen {i.last_seen:%Y-%m-%dT%H:%MZ}, first seen 2026-11-02T19:46Z"
        for i in ISSUES
    )
    ages = ["5 minutes ago", "3 hours ago", "4 days ago"]
    official = "".join(
        f"## {n}. [{i.short_id}]({URL}/{i.short_id})\n**{i.title}**\n- **Users**: {i.user_count}\n"
        f"- **Events**: {i.count}\n- **First seen**: 19 days ago\n- **Last seen**: {age}\n"
        for n, (i, age) in enumerate(zip(ISSUES, ages, strict=True), 1)
    )
    everything = dict.fromkeys(LIST_FACTS, True)
    for read in (_todays_list(), _lean_list(), ours, official):
        assert check_issue_list(read, ISSUES, 10, NOW) == everything, read
    missing = check_issue_list(official.replace("**Events**: 23", "**Events**: 22"), ISSUES, 10, NOW)
    assert [fact for fact, found in missing.items() if not found] == ["event count"]
    fewer = _todays_list()
    del fewer["data"]["issues"][1]
    fewer["data"]["issues"][0]["last_seen"] = "2026-12-01T22:53:59Z"
    missing = check_issue_list(fewer, ISSUES, 10, NOW)
    assert [fact for fact, found in missing.items() if not found] == ["id or short id", "last seen"]
    assert check_issue_list(fewer, ISSUES, 2, NOW)["id or short id"]


EVENTS = {
    "4451b4bd5a0747679754ba48188d1272": datetime(2026, 12, 1, 22, 54, 23, 428416, tzinfo=UTC),
    "77bccdad09bf492d91de4cf82c7e457e": datetime(2026, 12, 1, 22, 53, 39, 158933, tzinfo=UTC),
    "5e59312c12e24bcf9317678bc68b5a88": datetime(2026, 12, 1, 22, 50, 56, 768291, tzinfo=UTC),
}


def test_an_event_list_is_checked_by_ids_and_times_in_json_tables_and_text() -> None:
    api = [{"eventID": event_id, "dateCreated": stamp.isoformat()} for event_id, stamp in EVENTS.items()]
    assert event_times(api) == EVENTS
    today = {"data": {"events": [{"event_id": e, "timestamp": t.isoformat(), "user": None} for e, t in EVENTS.items()]}}
    rows = [[e, f"{t:%Y-%m-%dT%H:%M:%SZ}"] for e, t in EVENTS.items()]
    table = {"data": {"events": {"columns": ["event_id", "timestamp"], "rows": rows, "common": {"env": "prod"}}}}
    text = "\n".join(f"- {t:%Y-%m-%dT%H:%M:%SZ} {e}: ConnectionError" for e, t in EVENTS.items())
    for read in (today, table, text):
        assert check_event_list(read, EVENTS, 10) == dict.fromkeys(EVENT_FACTS, True), read
    assert check_event_list(text.splitlines()[0], EVENTS, 10) == {"event ids": False, "timestamps": True}
    rows[1][1] = "2026-12-01T22:53:40Z"
    assert check_event_list(table, EVENTS, 3) == {"event ids": True, "timestamps": False}
