"""`stats_v2` (outcomes, REFERENCE §6b) and `sessions` (release health, §6c) computations."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from .models import Outcome, SessionUpdate
from .store import SandboxStore
from .times import iso, parse_datetime, parse_period

STATS_FIELDS = ("sum(quantity)", "sum(times_seen)")
STATS_GROUP_BY = ("outcome", "category", "reason", "project")
OUTCOMES = ("accepted", "filtered", "rate_limited", "invalid", "abuse", "client_discard", "cardinality_limited")
CATEGORIES = (
    "error",
    "transaction",
    "attachment",
    "replay",
    "profile",
    "profile_duration",
    "profile_duration_ui",
    "profile_chunk",
    "profile_chunk_ui",
    "monitor",
    "span",
    "session",
)
# `error` covers the `default` and `security` event categories.
CATEGORY_ALIASES = {"error": ("error", "default", "security")}
SESSION_FIELDS = (
    "sum(session)",
    "count_unique(user)",
    "crash_free_rate(session)",
    "crash_free_rate(user)",
    "crash_rate(session)",
    "crash_rate(user)",
)
SESSION_GROUP_BY = ("project", "release", "environment", "session.status")
ONE_HOUR = 3600
ONE_DAY = 86400
DEFAULT_PERIOD = timedelta(days=1)


class StatsError(ValueError):
    """A bad parameter (answered as 400 `{"detail": str(error)}`)."""


@dataclass(frozen=True)
class TimeRange:
    start: datetime
    end: datetime
    interval: int  # seconds

    def intervals(self) -> list[datetime]:
        count = math.ceil((self.end - self.start).total_seconds() / self.interval)
        return [self.start + timedelta(seconds=self.interval * i) for i in range(count)]

    def index(self, moment: datetime) -> int | None:
        if moment < self.start or moment >= self.end:
            return None
        return int((moment - self.start).total_seconds() // self.interval)


def time_range(
    stats_period: str | None, start: str | None, end: str | None, interval: str | None, now: datetime, clamp_end: bool
) -> TimeRange:
    """Sentry's `get_date_range_rollup_from_params(round_range=True)`; raises StatsError."""
    parsed = parse_period(interval or "1h")
    if parsed is None or parsed.total_seconds() <= 0:
        raise StatsError(f"Invalid interval: {interval!r}")
    seconds = int(ONE_HOUR * math.ceil(parsed.total_seconds() / ONE_HOUR))
    if seconds > ONE_DAY:
        raise StatsError("The interval has to be less than one day.")
    if ONE_DAY % seconds != 0:
        raise StatsError("The interval should divide one day without a remainder.")
    if start or end:
        if stats_period:
            raise StatsError("Invalid date range. Use either statsPeriod or start and end.")
        begin, finish = parse_datetime(start), parse_datetime(end)
        if begin is None or finish is None or begin >= finish:
            raise StatsError("Invalid date range: start and end must be ISO-8601 dates, start before end.")
    else:
        period = parse_period(stats_period) if stats_period else DEFAULT_PERIOD
        if period is None:
            raise StatsError(f"Invalid statsPeriod: {stats_period!r}")
        begin, finish = now - period, now
    span = timedelta(seconds=seconds * math.ceil((finish - begin).total_seconds() / seconds))
    finish = datetime.fromtimestamp(seconds * math.ceil(finish.timestamp() / seconds), UTC)
    begin = finish - span
    if span.total_seconds() / seconds > 10_000:
        raise StatsError(
            "Your interval and date range would create too many results. "
            "Use a larger interval, or a smaller date range."
        )
    if clamp_end and finish > now:
        finish_clamped = datetime.fromtimestamp(60 * (math.floor(now.timestamp() / 60) + 1), UTC)
        return TimeRange(begin, max(finish_clamped, begin + timedelta(seconds=1)), seconds)
    return TimeRange(begin, finish, seconds)


def _choices(values: Sequence[str], allowed: Sequence[str], label: str) -> list[str]:
    for value in values:
        if value not in allowed:
            raise StatsError(f'Invalid {label}: "{value}"')
    return list(values)


@dataclass(frozen=True)
class StatsQuery:
    fields: list[str]
    group_by: list[str]
    categories: list[str]
    outcomes: list[str]
    reasons: list[str]
    project_ids: set[str] | None  # None = all projects
    range: TimeRange


def parse_stats_query(params: dict[str, list[str]], project_ids: set[str] | None, now: datetime) -> StatsQuery:
    fields = params.get("field", [])
    if not fields:
        raise StatsError('Request is missing a "field"')
    return StatsQuery(
        fields=_choices(fields, STATS_FIELDS, "field"),
        group_by=_choices(params.get("groupBy", []), STATS_GROUP_BY, "groupBy"),
        categories=_choices(params.get("category", []), CATEGORIES, "category"),
        outcomes=_choices(params.get("outcome", []), OUTCOMES, "outcome"),
        reasons=params.get("reason", []),
        project_ids=project_ids,
        range=time_range(
            _first(params, "statsPeriod"),
            _first(params, "start"),
            _first(params, "end"),
            _first(params, "interval"),
            now,
            False,
        ),
    )


def _first(params: dict[str, list[str]], key: str) -> str | None:
    values = params.get(key)
    return values[0] if values else None


def _outcome_key(outcome: Outcome, group_by: list[str]) -> tuple[tuple[str, Any], ...]:
    values: dict[str, Any] = {
        "outcome": outcome.outcome,
        "category": "error" if outcome.category in CATEGORY_ALIASES["error"] else outcome.category,
        "reason": outcome.reason or "none",
        "project": int(outcome.project_id),
    }
    return tuple((key, values[key]) for key in group_by)


def compute_stats_v2(store: SandboxStore, query: StatsQuery) -> dict[str, Any]:
    """Outcomes grouped as asked; with `groupBy=project` there are no intervals and no series."""
    categories = {c for cat in query.categories for c in CATEGORY_ALIASES.get(cat, (cat,))}
    rng = query.range
    intervals = rng.intervals()
    groups: dict[tuple[tuple[str, Any], ...], list[int]] = {}
    for outcome in store.outcomes():
        index = rng.index(outcome.timestamp)
        if index is None:
            continue
        if query.project_ids is not None and outcome.project_id not in query.project_ids:
            continue
        if categories and outcome.category not in categories:
            continue
        if query.outcomes and outcome.outcome not in query.outcomes:
            continue
        if query.reasons and (outcome.reason or "none") not in query.reasons:
            continue
        row = groups.setdefault(_outcome_key(outcome, query.group_by), [0] * len(intervals))
        row[index] += outcome.quantity
    if not query.group_by and not groups:
        groups[()] = [0] * len(intervals)
    by_project = "project" in query.group_by
    result_groups = []
    for key, counts in sorted(groups.items(), key=lambda item: str(item[0])):
        group: dict[str, Any] = {"by": dict(key), "totals": {f: sum(counts) for f in query.fields}}
        if not by_project:
            group["series"] = {f: list(counts) for f in query.fields}
        result_groups.append(group)
    result: dict[str, Any] = {"start": iso(rng.start), "end": iso(rng.end)}
    if not by_project:
        result["intervals"] = [iso(moment) for moment in intervals]
    result["groups"] = result_groups
    return result


# -- sessions -----------------------------------------------------------------------------------


def session_state(update: SessionUpdate) -> str:
    """`healthy | errored | crashed | abnormal`, as `session.status` groups them."""
    if update.status == "crashed":
        return "crashed"
    if update.status == "abnormal":
        return "abnormal"
    if update.errors > 0 or update.status == "errored":
        return "errored"
    return "healthy"


def _session_field(name: str, sessions: list[SessionUpdate]) -> float | int | None:
    if name == "sum(session)":
        return len(sessions)
    users = {s.did for s in sessions if s.did}
    if name == "count_unique(user)":
        return len(users)
    if not sessions:
        return None
    if name.endswith("(session)"):
        crashed = sum(1 for s in sessions if session_state(s) == "crashed") / len(sessions)
    else:
        if not users:
            return None
        crashed = len({s.did for s in sessions if s.did and session_state(s) == "crashed"}) / len(users)
    return round(1 - crashed, 6) if name.startswith("crash_free_rate") else round(crashed, 6)


def compute_sessions(
    store: SandboxStore,
    params: dict[str, list[str]],
    project_ids: set[str] | None,
    now: datetime,
) -> dict[str, Any]:
    """`GET organizations/{org}/sessions/` from the stored session updates; raises StatsError."""
    fields = params.get("field", [])
    if not fields:
        raise StatsError('Request is missing a "field"')
    _choices(fields, SESSION_FIELDS, "field")
    group_by = _choices(params.get("groupBy", []), SESSION_GROUP_BY, "groupBy")
    rng = time_range(
        _first(params, "statsPeriod"),
        _first(params, "start"),
        _first(params, "end"),
        _first(params, "interval"),
        now,
        True,
    )
    environments = set(params.get("environment", []))
    query = (_first(params, "query") or "").strip()
    release_filter = query[len("release:") :].strip('"') if query.startswith("release:") else None
    selected = [
        s
        for s in store.sessions()
        if rng.index(s.started) is not None
        and (project_ids is None or s.project_id in project_ids)
        and (not environments or (s.environment or "") in environments)
        and (release_filter is None or s.release == release_filter)
    ]
    key_of: dict[str, Callable[[SessionUpdate], Any]] = {
        "project": lambda s: int(s.project_id),
        "release": lambda s: s.release or "",
        "environment": lambda s: s.environment or "",
        "session.status": session_state,
    }
    buckets: dict[tuple[tuple[str, Any], ...], list[SessionUpdate]] = {}
    for session in selected:
        buckets.setdefault(tuple((g, key_of[g](session)) for g in group_by), []).append(session)
    if not group_by and not buckets:
        buckets[()] = []
    intervals = rng.intervals()
    include_totals = _first(params, "includeTotals") != "0"
    include_series = _first(params, "includeSeries") != "0"
    groups = []
    for key, sessions in sorted(buckets.items(), key=lambda item: str(item[0])):
        per_interval: list[list[SessionUpdate]] = [[] for _ in intervals]
        for session in sessions:
            index = rng.index(session.started)
            if index is not None and index < len(per_interval):
                per_interval[index].append(session)
        groups.append(
            {
                "by": dict(key),
                "totals": {f: _session_field(f, sessions) for f in fields} if include_totals else {},
                "series": {f: [_session_field(f, chunk) for chunk in per_interval] for f in fields}
                if include_series
                else {},
            }
        )
    return {
        "start": iso(rng.start),
        "end": iso(rng.end),
        "query": query,
        "intervals": [iso(moment) for moment in intervals] if include_series else [],
        "groups": groups,
    }
