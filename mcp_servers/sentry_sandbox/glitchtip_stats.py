"""GlitchTip's `organizations/{org}/stats_v2/` (`apps/stats/api.py`): its SQL, reproduced.

GlitchTip counts accepted events per project and hour received. The endpoint needs `category`
(`error|transaction`), `field`, `start` and `end`; `interval` is `1d`, `1h` (default) or `1m`; other
parameters (`statsPeriod`, `groupBy`, `outcome`) are ignored. `start` is cut to its hour and the series
runs to `end` plus one hour, cut to its hour. Each step joins the hourly counts of the hour from its start
(`date >= ts AND date < ts + interval '1 hour'`, whatever the interval): with `1d` only the first hour
of each day counts. A step with no count is null; a step whose only counts are of projects not asked for
drops out of the answer (the `WHERE ... or event_stat is null` of the LEFT JOIN). More than 1000 steps
(whole days times 24 for `1h`, 1440 for `1m`) is a 422; no project left (`project=-1`) a 404.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from .api_base import ApiError, Ctx
from .stats import CATEGORY_ALIASES

HOUR = timedelta(hours=1)
STEPS = {"1d": timedelta(days=1), "1h": HOUR, "1m": timedelta(minutes=1)}
STEPS_PER_DAY = {"1d": 1, "1h": 24, "1m": 1440}
MAX_STEPS = 1000
NOT_FOUND = {"detail": "Not Found"}


class StatsV2Query(BaseModel):
    """GlitchTip's `StatsV2Schema`."""

    model_config = ConfigDict(populate_by_name=True)

    category: Literal["error", "transaction"]
    interval: Literal["1d", "1h", "1m"] | None = "1h"
    project: list[Annotated[int, Field(ge=-1)]] | None = None
    stats_field: Literal["sum(quantity)", "sum(times_seen)"] = Field(alias="field")
    start: datetime
    end: datetime


def parse_query(ctx: Ctx) -> StatsV2Query:
    """The request's parameters; 422 in django-ninja's shape when one is missing or refused."""
    values: dict[str, Any] = {key: ctx.params.get(key) for key in ("category", "interval", "field", "start", "end")}
    values = {key: value for key, value in values.items() if value is not None}
    if "project" in ctx.params:
        values["project"] = ctx.params.getlist("project")
    try:
        query = StatsV2Query.model_validate(values)
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            loc = list(error["loc"])
            item: dict[str, Any] = {
                "type": error["type"],
                "loc": ["query", *(["filters"] if len(loc) > 1 else []), *loc],
                "msg": error["msg"],
            }
            if error.get("ctx"):
                item["ctx"] = {k: str(v) for k, v in error["ctx"].items()}
            problems.append(item)
        raise ApiError(422, {"detail": problems}) from exc
    for name in ("start", "end"):
        moment = getattr(query, name)
        if moment.tzinfo is None:  # Django reads naive times as UTC
            setattr(query, name, moment.replace(tzinfo=UTC))
    if (query.end - query.start).days * STEPS_PER_DAY[query.interval or "1h"] > MAX_STEPS:
        raise ApiError(422, {"detail": [{"end": "Too many intervals"}]})
    return query


def _hourly_counts(ctx: Ctx, category: str) -> Counter[tuple[datetime, str]]:
    counts: Counter[tuple[datetime, str]] = Counter()
    if category != "error":
        return counts  # the sandbox has no transactions
    for outcome in ctx.store.outcomes():
        if outcome.outcome == "accepted" and outcome.category in CATEGORY_ALIASES["error"]:
            hour = outcome.timestamp.replace(minute=0, second=0, microsecond=0)
            counts[(hour, outcome.project_id)] += outcome.quantity
    return counts


def compute(ctx: Ctx, query: StatsV2Query) -> dict[str, Any]:
    """The answer: `intervals` (ISO with `+00:00`) and one group's series, null where nothing counted."""
    projects = {p.id for p in ctx.store.projects}
    if query.project:
        projects &= {str(i) for i in query.project}
    if not projects:
        raise ApiError(404, NOT_FOUND)
    start = query.start.replace(minute=0, second=0, microsecond=0)
    end = (query.end + HOUR).replace(minute=0, second=0, microsecond=0)
    step = STEPS[query.interval or "1h"]
    counts = _hourly_counts(ctx, query.category)
    intervals: list[str] = []
    series: list[int | None] = []
    moment = start
    while moment <= end:
        joined = [(project, n) for (hour, project), n in counts.items() if moment <= hour < moment + HOUR]
        kept = [n for project, n in joined if project in projects]
        if not joined or kept:
            intervals.append(moment.isoformat())
            series.append(sum(kept) if kept else None)
        moment += step
    return {"intervals": intervals, "groups": [{"series": {query.stats_field: series}}]}
