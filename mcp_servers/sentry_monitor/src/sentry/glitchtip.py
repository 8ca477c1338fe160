"""What GlitchTip needs asked, or read, differently from Sentry, for the same answer (see `kinds`).

Each function takes what a route would send to Sentry (or what GlitchTip answered) and gives what GlitchTip
must be sent (or what Sentry would have answered), or says what GlitchTip cannot answer at all. The
differences are those in ../shared/glitchtip/README.md, verified against GlitchTip's source (c264800f).
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

from ..base.errors import UnsupportedByServer
from .client import Params
from .responses import ApiResponse

ALL_PROJECTS = "-1"
FIRST_SEEN = re.compile(r"(?<!\S)firstSeen:-(\d+)([hdw])(?!\S)")
STATUS_QUERY = re.compile(r"(?<!\S)(!is:\S+|is:(?!(?:unresolved|resolved|ignored)(?!\S))\S+)")
"""An `is:` search GlitchTip cannot answer: it reads `is:` as a status, so any value but these three (Sentry's
regressed, escalating, new, assigned, unassigned, bookmarked...) matches nothing, and `!is:` is read as a tag."""
SENTRY_STATES = ("regressed", "escalating", "new", "archived", "for_review", "ongoing")
"""Issue states of Sentry's that GlitchTip does not keep."""
SENTRY_ONLY_KEYS = re.compile(
    r"(?<!\S)!?(error\.unhandled|error\.handled|lastSeen|times_seen|age|assigned|assigned_or_suggested|bookmarks|"
    r"issue\.priority|issue\.category|issue\.type):"
)
"""Search keys of Sentry's that GlitchTip reads as tags of that name, so that they match nothing there."""
UNITS = {"h": 3600, "d": 86400, "w": 604800}
NO_USERS = (
    "GlitchTip counts no users per issue (its userCount is always 0), so user counts are left out here; "
    "get-issue-details counts an issue's users from its user tags."
)


def issue_list_params(params: Params) -> dict[str, str | int | Sequence[str]]:
    """An issue-list query as GlitchTip takes it: all projects by leaving `project` out (it reads -1 as a project
    id), a first-seen window as `start` (it reads `firstSeen:-24h` as a tag). Raises UnsupportedByServer for
    Sentry's issue states it has not (`is:regressed`, `is:escalating`, `is:new`)."""
    sent: dict[str, str | int | Sequence[str]] = dict(params)
    projects = sent.get("project")
    if projects is not None:
        listed = [projects] if isinstance(projects, str | int) else projects
        kept = [str(p) for p in listed if str(p) != ALL_PROJECTS]
        if kept:
            sent["project"] = kept
        else:
            del sent["project"]
    query = str(sent.get("query") or "")
    state = STATUS_QUERY.search(query)
    if state:
        term = state.group(1)
        value = term.split(":", 1)[1]
        said = (
            f"GlitchTip keeps no '{value}' issue state: '{term}' would match nothing there."
            if value in SENTRY_STATES
            else f"GlitchTip cannot search '{term}': its is: takes only unresolved, resolved or ignored (it has no "
            "assignees or bookmarks), so it would match nothing there."
        )
        raise UnsupportedByServer(
            said,
            recovery="Search by is:unresolved, is:resolved or is:ignored, first seen (a period), level, tags or text.",
            capability=term,
        )
    unknown = SENTRY_ONLY_KEYS.search(query)
    if unknown:
        raise UnsupportedByServer(
            f"GlitchTip has no '{unknown.group(1)}:' search: it would read it as a tag and match nothing.",
            recovery="Search by is:unresolved|resolved|ignored, level:, has:, tag:value, first seen or free text.",
            capability=f"{unknown.group(1)}:",
        )
    window = FIRST_SEEN.search(query)
    if window:
        seconds = int(window.group(1)) * UNITS[window.group(2)]
        sent["start"] = _iso(datetime.now(UTC) - timedelta(seconds=seconds))
        sent["query"] = FIRST_SEEN.sub("", query).strip()
    return sent


def issues_by_id_params(issue_ids: Sequence[str]) -> dict[str, str | int | Sequence[str]]:
    """Issues by numeric id as GlitchTip lists them: `id=` repeated (it knows no `group=`), every status (its
    list has no default query), all of them on one page."""
    return {"id": list(issue_ids), "limit": len(issue_ids)}


def bulk_update_params(issue_ids: Sequence[str]) -> dict[str, str | int | Sequence[str]]:
    """The query of a bulk update as GlitchTip takes it: `id=` repeated and nothing else (its `query` and
    `project` are filters too, and `project=-1` or a Sentry search term would select nothing)."""
    return {"id": list(issue_ids)}


def without_user_counts(response: ApiResponse) -> ApiResponse:
    """Issues as Sentry would answer for a server that counts no users: `userCount` null (not a measured 0)."""

    def issue(item: Any) -> Any:
        return {**item, "userCount": None} if isinstance(item, dict) else item

    data = response.data
    rewritten = [issue(item) for item in data] if isinstance(data, list) else issue(data)
    return replace(response, data=rewritten)


def comment_body(text: str) -> dict[str, Any]:
    """A comment as GlitchTip takes it (`PostCommentSchema`): the text under `data`, as Sentry's activity has it."""
    return {"data": {"text": text}}


def tags_params(keys: Sequence[str]) -> dict[str, str]:
    """An issue's tags as GlitchTip takes them: one `key` at most (it keeps the last of several), no `limit` (it
    sends every value)."""
    return {"key": keys[0]} if len(keys) == 1 else {}


def events_params(params: Params) -> dict[str, str | int | Sequence[str]]:
    """An issue's events page as GlitchTip takes it: it pages by `limit` and ignores `per_page`."""
    sent = {key: value for key, value in params.items() if key != "per_page"}
    if "per_page" in params:
        sent["limit"] = params["per_page"]
    return sent


def hourly_stats_params(params: Params) -> tuple[dict[str, str | int | Sequence[str]], int]:
    """Statistics asked by the hour (GlitchTip's daily buckets count only each day's first hour), and the
    seconds of one bucket asked for."""
    seconds = {"1d": 86400, "24h": 86400}.get(str(params.get("interval") or "1h"), 3600)
    return {**params, "interval": "1h"}, seconds


def regrouped_stats(response: ApiResponse, bucket_seconds: int, start: str, end: str) -> ApiResponse:
    """GlitchTip's hourly statistics as Sentry answers them: contiguous buckets of `bucket_seconds` from `start`
    up to `end`, none in the future. GlitchTip leaves out an hour in which only other projects had events (its
    SQL filters the joined rows), labels buckets in its own time zone, and runs an hour past `end`."""
    data = response.data
    first, stop = _parse(start), _parse(end)
    if not isinstance(data, dict) or not isinstance(data.get("intervals"), list) or first is None or stop is None:
        return response
    now = datetime.now(UTC)
    count = max(0, math.ceil((min(stop, now + timedelta(seconds=1)) - first).total_seconds() / bucket_seconds))
    starts = [first + timedelta(seconds=bucket_seconds * k) for k in range(count)]
    groups = []
    for group in data.get("groups") or []:
        if not isinstance(group, dict):
            continue
        series = {}
        for field, values in (group.get("series") or {}).items():
            sums = [0] * count
            for label, value in zip(data["intervals"], values, strict=False):
                moment = _parse(label)
                if moment is not None and value:
                    slot = int((moment - first).total_seconds() // bucket_seconds)
                    if 0 <= slot < count:
                        sums[slot] += int(value)
            series[field] = sums
        groups.append({**group, "series": series})
    return replace(response, data={**data, "intervals": [_iso(moment) for moment in starts], "groups": groups})


def _parse(value: Any) -> datetime | None:
    try:
        parsed = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")
