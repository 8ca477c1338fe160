"""The facts a user needs from an answer, checked in what the model reads: a result's text, or its JSON.

The expected facts come from Sentry's own API. A text is checked for how a person would write the fact
(`68 events`, `**Occurrences**: 68`, `File "app.py", line 67`, a timestamp); a structured result is
checked by meaning, not by the text's phrasing: a count is a JSON number under a count or events key,
a frame is `file:line` inside a string or a filename field beside a line field, a timestamp equals the
expected one to the second (to the minute in a list), a permalink may be a template (`{id}`, `<id>`)
expanded with the issue's id, and the exception's type and value may be carried by the issue's title
(`Type: value`). Empty fields may be left out, and a list may be sent as a table (`columns`, `rows`,
`common`): the checks read it back as the list of objects it stands for.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

Read = str | dict[str, Any]
"""What a client hands the model: a result's text, or its structured content (a JSON object)."""

ISSUE_FACTS = (
    "exception type",
    "exception value",
    "crashing in-app frame",
    "event count",
    "user count",
    "first seen",
    "last seen",
    "permalink",
)
LIST_FACTS = ("id or short id", "title", "event count", "user count", "last seen")
EVENT_FACTS = ("event ids", "timestamps")

EVENT_COUNT_KEYS = frozenset({"count", "events", "eventcount", "eventscount", "timesseen", "occurrences"})
USER_COUNT_KEYS = frozenset({"usercount", "users", "userscount", "usersimpacted", "usersaffected", "affectedusers"})
LINE_KEYS = frozenset({"line", "lineno", "linenumber"})
EVENT_LABELS = r"events?|occurrences|times seen"
USER_LABELS = r"users?(?: impacted| affected)?|affected users"

SECOND, MINUTE = timedelta(seconds=1), timedelta(minutes=1)
_TIME = re.compile(
    r"(?<!\d)(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2})(?P<seconds>:\d{2}(?:\.\d+)?)?(?P<zone>Z|[+-]\d{2}:?\d{2})?"
)
_AGO = re.compile(r"\b(an?|\d+)\s+(second|minute|hour|day|week|month|year)s?\s+ago\b", re.IGNORECASE)
_UNITS = {"second": 1, "minute": 60, "hour": 3600, "day": 86400, "week": 7 * 86400, "month": 30 * 86400}
_PLACEHOLDER = re.compile(r"[{<](?:issue[_ ]?)?(?:short[_ ]?)?id[}>]", re.IGNORECASE)
_URL = re.compile(r"https?://\S+")
_EVENT_ID = re.compile(r"[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}")


def parse_time(stamp: str) -> datetime:
    """An ISO 8601 timestamp as an aware UTC datetime (no zone: UTC, as Sentry's API and both servers use)."""
    parsed = datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    return (parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)).astimezone(UTC)


# -- what is expected, read from Sentry -----------------------------------------------------------


@dataclass(frozen=True)
class IssueFacts:
    """One issue's facts, as the "one issue" answer should carry them."""

    id: str
    short_id: str
    exception_type: str
    exception_value: str
    filename: str
    line: int
    count: int
    user_count: int
    first_seen: datetime
    last_seen: datetime
    permalinks: tuple[str, ...]


def issue_facts(detail: dict[str, Any], latest_event: dict[str, Any], links: tuple[str, ...] = ()) -> IssueFacts:
    """From Sentry's issue detail and its latest event; `links` are other URLs that count as the permalink."""
    exception = next(e for e in latest_event["entries"] if e["type"] == "exception")["data"]["values"][-1]
    frame = [f for f in exception["stacktrace"]["frames"] if f["inApp"]][-1]
    return IssueFacts(
        id=str(detail["id"]),
        short_id=detail["shortId"],
        exception_type=exception["type"],
        exception_value=exception["value"] or "",
        filename=frame["filename"],
        line=int(frame["lineNo"]),
        count=int(detail["count"]),
        user_count=int(detail["userCount"]),
        first_seen=parse_time(detail["firstSeen"]),
        last_seen=parse_time(detail["lastSeen"]),
        permalinks=tuple(link.rstrip("/") for link in (detail["permalink"], *links)),
    )


@dataclass(frozen=True)
class ListedIssue:
    """One issue as a list of issues should show it."""

    id: str
    short_id: str
    title: str
    count: int
    user_count: int
    last_seen: datetime


def listed_issue(issue: dict[str, Any]) -> ListedIssue:
    """From one issue of Sentry's issue list."""
    return ListedIssue(
        id=str(issue["id"]),
        short_id=issue["shortId"],
        title=issue["title"],
        count=int(issue["count"]),
        user_count=int(issue["userCount"]),
        last_seen=parse_time(issue["lastSeen"]),
    )


def event_times(events: list[dict[str, Any]]) -> dict[str, datetime]:
    """Event id -> when it happened, from Sentry's list of an issue's events."""
    return {str(e["eventID"]).replace("-", "").lower(): parse_time(e["dateCreated"]) for e in events}


# -- walking a structured result ------------------------------------------------------------------


def untable(value: Any) -> Any:
    """`value` with every table (`columns`, `rows`, optional `common`) read back as the list of objects."""
    if isinstance(value, dict):
        columns, rows = value.get("columns"), value.get("rows")
        if isinstance(columns, list) and isinstance(rows, list):
            common = value.get("common")
            common = common if isinstance(common, dict) else {}
            return [
                untable({**common, **{str(c): cell for c, cell in zip(columns, row, strict=False) if cell is not None}})
                for row in rows
                if isinstance(row, list)
            ]
        return {key: untable(item) for key, item in value.items()}
    if isinstance(value, list):
        return [untable(item) for item in value]
    return value


def _objects(value: Any) -> Iterator[dict[str, Any]]:
    """Every JSON object in `value`, itself included."""
    if isinstance(value, dict):
        yield value
        value = list(value.values())
    if isinstance(value, list):
        for item in value:
            yield from _objects(item)


def _strings(value: Any) -> Iterator[str]:
    """Every string in `value` (keys aside)."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict | list):
        for item in value.values() if isinstance(value, dict) else value:
            yield from _strings(item)


def _key(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", name.lower())


def _number_under(value: Any, keys: frozenset[str], number: int) -> bool:
    """`number` is a JSON number under one of `keys` (compared without case, `_` or `-`)."""
    return any(
        _key(key) in keys and type(item) is int and item == number
        for found in _objects(value)
        for key, item in found.items()
    )


def _scalar_ids(found: dict[str, Any]) -> set[str]:
    return {str(item) for item in found.values() if isinstance(item, str | int) and not isinstance(item, bool)}


# -- checks shared by text and JSON strings -------------------------------------------------------


def _times_in(strings: list[str]) -> Iterator[tuple[datetime, timedelta]]:
    """Every timestamp written in `strings`, with its precision (a second, or a minute)."""
    for string in strings:
        for match in _TIME.finditer(string):
            zone = match["zone"] or "+00:00"
            try:
                stamp = parse_time(f"{match[1]}T{match[2]}{match['seconds'] or ''}{zone}")
            except ValueError:
                continue
            yield stamp, SECOND if match["seconds"] else MINUTE


def _ages_in(strings: list[str]) -> Iterator[tuple[timedelta, timedelta]]:
    """Every relative age written in `strings` ("3 minutes ago"), with its unit."""
    for string in strings:
        for match in _AGO.finditer(string):
            unit = _UNITS.get(match[2].lower(), 365 * 86400)
            count = 1 if match[1].lower() in ("a", "an") else int(match[1])
            yield timedelta(seconds=count * unit), timedelta(seconds=unit)


def _has_time(
    strings: list[str], expected: datetime, coarsest: timedelta = SECOND, now: datetime | None = None
) -> bool:
    """`expected` is written in `strings`, to the second or to the minute when `coarsest` allows it, or
    (when `now` is given) as an age such as "3 minutes ago", right within its unit."""
    for stamp, precision in _times_in(strings):
        step = int(precision.total_seconds())
        if precision <= coarsest and int(stamp.timestamp()) // step == int(expected.timestamp()) // step:
            return True
    if now is None:
        return False
    return any(abs((now - expected) - age) <= unit for age, unit in _ages_in(strings))


def _has_link(strings: list[str], facts: IssueFacts) -> bool:
    """One of the issue's links is in `strings`, a template (`{id}`, `<id>`) expanded with its id or short id."""
    for string in strings:
        for issue_id in (facts.id, facts.short_id):
            for url in _URL.findall(_PLACEHOLDER.sub(issue_id, string)):
                if url.rstrip(".,;:)]>\"'`/") in facts.permalinks:
                    return True
    return False


def _frame_pattern(filename: str, line: int) -> re.Pattern[str]:
    """`file:67`, or `File "file", line 67`."""
    return re.compile(rf"{re.escape(filename)}(?::|\"?,?\s+line\s+){line}(?!\d)")


def _labelled(text: str, number: int, labels: str) -> bool:
    """`68 events` or `Events: 68` (with markdown around the label)."""
    pattern = rf"(?<![\d.]){number}\s+(?:{labels})\b|\b(?:{labels})\b[*_:\s]{{1,6}}{number}(?!\d|[.,]\d)"
    return re.search(pattern, text, re.IGNORECASE) is not None


# -- one issue ------------------------------------------------------------------------------------


def check_issue(read: Read, facts: IssueFacts) -> dict[str, bool]:
    """Each fact of `ISSUE_FACTS`: is it in what the model reads?"""
    return _issue_in_json(untable(read), facts) if isinstance(read, dict) else _issue_in_text(read, facts)


def _issue_in_text(text: str, facts: IssueFacts) -> dict[str, bool]:
    kind = rf"(?<![\w.]){re.escape(facts.exception_type)}(?!\w)"
    return {
        "exception type": re.search(kind, text) is not None,
        "exception value": facts.exception_value in text,
        "crashing in-app frame": _frame_pattern(facts.filename, facts.line).search(text) is not None,
        "event count": _labelled(text, facts.count, EVENT_LABELS),
        "user count": _labelled(text, facts.user_count, USER_LABELS),
        "first seen": _has_time([text], facts.first_seen),
        "last seen": _has_time([text], facts.last_seen),
        "permalink": _has_link([text], facts),
    }


def _issue_in_json(value: dict[str, Any], facts: IssueFacts) -> dict[str, bool]:
    strings = list(_strings(value))
    kind, message = facts.exception_type, facts.exception_value
    title = f"{kind}: {message}"
    frame = _frame_pattern(facts.filename, facts.line)
    return {
        "exception type": any(s == kind or s.startswith(f"{kind}: ") for s in strings),
        "exception value": not message or any(s in (message, title) for s in strings),
        "crashing in-app frame": any(frame.search(s) for s in strings)
        or any(_is_frame(found, facts) for found in _objects(value)),
        "event count": _number_under(value, EVENT_COUNT_KEYS, facts.count),
        "user count": _number_under(value, USER_COUNT_KEYS, facts.user_count),
        "first seen": _has_time(strings, facts.first_seen),
        "last seen": _has_time(strings, facts.last_seen),
        "permalink": _has_link(strings, facts),
    }


def _is_frame(found: dict[str, Any], facts: IssueFacts) -> bool:
    """An object with the frame's file (or a path ending in it) and its line number."""
    names = [v for v in found.values() if isinstance(v, str)]
    has_file = any(name == facts.filename or name.endswith(f"/{facts.filename}") for name in names)
    return has_file and any(_key(k) in LINE_KEYS and type(v) is int and v == facts.line for k, v in found.items())


# -- lists of issues and of events ----------------------------------------------------------------


def check_issue_list(read: Read, issues: list[ListedIssue], limit: int, now: datetime) -> dict[str, bool]:
    """`LIST_FACTS` for a list of up to `limit` of `issues`: are `min(limit, len(issues))` of them there (by
    id or short id), and for every one shown its title, event and user counts and last seen (to the minute,
    or as an age at `now`, the time of the answer)? In a text, an issue's facts are looked for from its
    first mention to the next issue's; in JSON, in the objects that carry its id or short id."""
    if isinstance(read, dict):
        objects = list(_objects(untable(read)))
        shown: dict[ListedIssue, Read] = {}
        for issue in issues:
            if mine := [found for found in objects if {issue.id, issue.short_id} & _scalar_ids(found)]:
                shown[issue] = {"objects": mine}
    else:
        shown = dict(_text_blocks(read, issues))
    per_issue = [_listed_facts(found, issue, now) for issue, found in shown.items()]
    return {"id or short id": len(shown) >= min(limit, len(issues))} | {
        fact: bool(per_issue) and all(facts[fact] for facts in per_issue) for fact in LIST_FACTS[1:]
    }


def _listed_facts(found: Read, issue: ListedIssue, now: datetime) -> dict[str, bool]:
    """`LIST_FACTS` but the first, for one issue: in its part of a text, or in its JSON objects."""
    if isinstance(found, str):
        return {
            "title": issue.title in found,
            "event count": _labelled(found, issue.count, EVENT_LABELS),
            "user count": _labelled(found, issue.user_count, USER_LABELS),
            "last seen": _has_time([found], issue.last_seen, MINUTE, now),
        }
    strings = list(_strings(found))
    return {
        "title": issue.title in strings or any(issue.title == f"{a}: {b}" for a in strings for b in strings),
        "event count": _number_under(found, EVENT_COUNT_KEYS, issue.count),
        "user count": _number_under(found, USER_COUNT_KEYS, issue.user_count),
        "last seen": _has_time(strings, issue.last_seen, MINUTE, now),
    }


def _text_blocks(text: str, issues: list[ListedIssue]) -> dict[ListedIssue, str]:
    """Each issue named in `text` -> the text from its first mention to the next issue's."""
    starts: dict[ListedIssue, int] = {}
    for issue in issues:
        names = rf"(?<![\w-])(?:{re.escape(issue.short_id)}|{re.escape(issue.id)})(?![\w-])"
        if match := re.search(names, text):
            starts[issue] = match.start()
    ordered = sorted(starts.items(), key=lambda item: item[1])
    ends = [start for _, start in ordered[1:]] + [len(text)]
    return {issue: text[start:end] for (issue, start), end in zip(ordered, ends, strict=True)}


def check_event_list(read: Read, events: dict[str, datetime], limit: int) -> dict[str, bool]:
    """`EVENT_FACTS` for a list of up to `limit` of an issue's `events` (id -> time): are `min(limit, all)`
    of them there by id, and is each one's timestamp there to the second (in its object, for JSON; anywhere
    in a text, where a line may give the time before the id)?"""
    times: dict[str, list[str]] = {}
    if isinstance(read, dict):
        for found in _objects(untable(read)):
            for item in _scalar_ids(found):
                if (event_id := item.replace("-", "").lower()) in events:
                    times.setdefault(event_id, []).extend(_strings(found))
    else:
        for token in _EVENT_ID.findall(read.lower()):
            if (event_id := token.replace("-", "")) in events:
                times[event_id] = [read]
    return {
        "event ids": len(times) >= min(limit, len(events)),
        "timestamps": bool(times) and all(_has_time(found, events[event_id]) for event_id, found in times.items()),
    }
