"""The facts the tools must agree with, read from GlitchTip's own API (never from what the tier sent)."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

from . import send_events
from .glitchtip import GlitchTipApi


def issues_by_key(api: GlitchTipApi) -> dict[str, dict[str, Any]]:
    """The project's unresolved issues, keyed by the name the tier's plan gives each (`send_events.PLAN`)."""
    issues = api.issues()
    found = {}
    for planned in send_events.PLAN:
        matching = [issue for issue in issues if planned.title_part in issue["title"]]
        assert len(matching) == 1, f"{planned.key}: {len(matching)} issues titled with {planned.title_part!r}"
        found[planned.key] = matching[0]
    return found


def issue_id(api: GlitchTipApi, key: str) -> str:
    return str(issues_by_key(api)[key]["id"])


def tag(event: dict[str, Any], key: str) -> str | None:
    return next((row["value"] for row in event.get("tags") or [] if row["key"] == key), None)


def first_release(api: GlitchTipApi, issue: str) -> str | None:
    """The release of the issue's oldest event."""
    return tag(api.events(issue)[-1], "release")


def unhandled(api: GlitchTipApi, issue: str) -> bool:
    """Whether any of the issue's events is an exception nobody caught (its mechanism says handled=false)."""
    for event in api.events(issue):
        for entry in event.get("entries") or []:
            if entry.get("type") != "exception":
                continue
            for value in entry["data"].get("values") or []:
                if (value.get("mechanism") or {}).get("handled") is False:
                    return True
    return False


def events_by_environment(api: GlitchTipApi, issues: list[dict[str, Any]]) -> dict[str, int]:
    """Events per environment over these issues, from each issue's environment tag."""
    totals: Counter[str] = Counter()
    for issue in issues:
        totals.update(api.tags(str(issue["id"])).get("environment", {}))
    return dict(totals)


def stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def errors_since(api: GlitchTipApi, period: timedelta) -> int:
    """Accepted errors in the period up to now, summed from GlitchTip's hourly buckets."""
    now = datetime.now(UTC)
    return sum(count for _start, count in api.hourly_errors(stamp(now - period), stamp(now)))


def first_seen_since(api: GlitchTipApi, period: timedelta) -> list[dict[str, Any]]:
    """Unresolved issues first seen in the period (GlitchTip filters first-seen with `start`)."""
    return api.issues(start=stamp(datetime.now(UTC) - period))
