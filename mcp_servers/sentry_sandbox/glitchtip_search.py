"""GlitchTip's issue lists (`apps/issue_events/api/issues.py`): what an issue is to them, filters, query, sort.

Filters: `id` and `project` (integers; `project=-1` matches nothing, as no project has that id),
`environment`, and `start`/`end` on the first seen time (ISO dates or `now`, `now-24h`, `now - 30 m`).
`query` is split like a shell line; `is:` takes `unresolved|resolved|ignored` (anything else matches
nothing), `level:` a level name, `has:KEY` a tag key, any other `key:value` a tag; the first word without
a colon starts free text, which takes the rest of the query (see `glitchtip_fulltext.py`); with a `*` the
title may also match it as a pattern. A query that is an event UUID finds that event's issue. `sort`:
`last_seen`, `first_seen`, `count`, `priority` (log10 of the count plus last seen epoch / 300000), ascending,
or descending with `-`; 422 otherwise. Counts, first and last seen use the time GlitchTip received events.
"""

from __future__ import annotations

import math
import re
import shlex
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from pydantic import TypeAdapter, ValidationError

from .api_base import ApiError, Ctx
from .glitchtip_events import GlitchtipEvent, glitchtip_event
from .glitchtip_fulltext import event_search_text, lexemes, matches
from .glitchtip_pages import ServerError
from .glitchtip_paging import Ordering
from .models import Issue

STATUSES = ("unresolved", "resolved", "ignored")
SORTS = ("last_seen", "first_seen", "count", "priority")
SORT_CHOICES = (*SORTS, *(f"-{name}" for name in SORTS))
RELATIVE_TIME = re.compile(r"now\s*\-\s*\d+\s*(m|h|d)\s*$")
_DATETIME = TypeAdapter(datetime)
_INTS = TypeAdapter(list[int])


@dataclass
class IssueView:
    """An issue as GlitchTip keeps it: its events as ingested, counts, tags and search vector."""

    issue: Issue
    events: list[GlitchtipEvent]  # in the order received
    tags: dict[str, Counter[str]] = field(default_factory=dict)
    vector: set[str] = field(default_factory=set)

    @property
    def first(self) -> GlitchtipEvent:
        return self.events[0]

    @property
    def first_seen(self) -> datetime:
        return self.events[0].received

    @property
    def last_seen(self) -> datetime:
        return self.events[-1].received

    @property
    def count(self) -> int:
        return len(self.events)

    @property
    def priority(self) -> float:
        return math.log10(self.count) + self.last_seen.timestamp() / 300000.0


def issue_view(issue: Issue) -> IssueView:
    events = sorted((glitchtip_event(e) for e in issue.events), key=lambda e: (e.received, e.stored.sequence))
    view = IssueView(issue, events)
    for event in events:
        for key, value in event.tags.items():
            view.tags.setdefault(key, Counter())[value] += 1
        view.vector |= lexemes(event_search_text(event.title, event.culprit, event.stored.payload))
    return view


def _position(moment: datetime) -> str:
    return str(moment)


ORDERINGS = {
    "last_seen": Ordering("last_seen", lambda v: _position(v.last_seen), lambda v: v.last_seen, datetime.fromisoformat),
    "first_seen": Ordering(
        "first_seen", lambda v: _position(v.first_seen), lambda v: v.first_seen, datetime.fromisoformat
    ),
    "count": Ordering("count", lambda v: str(v.count), lambda v: v.count, int),
    "priority": Ordering("priority", lambda v: str(v.priority), lambda v: v.priority, float),
}


def ordering(sort: str) -> Ordering:
    base = ORDERINGS[sort.lstrip("-")]
    return Ordering(sort, base.position, base.value, base.parse)


def _error(kind: str, loc: list[Any], msg: str, ctx: dict[str, Any] | None = None) -> dict[str, Any]:
    item: dict[str, Any] = {"type": kind, "loc": loc, "msg": msg}
    if ctx:
        item["ctx"] = ctx
    return item


def _moment(raw: str, now: datetime, name: str, problems: list[dict[str, Any]]) -> datetime | None:
    if raw == "now":
        return now
    if RELATIVE_TIME.match(raw):
        text = raw.replace(" ", "")
        amount = int(re.findall(r"\d+", text)[0])
        return now - timedelta(**{{"m": "minutes", "h": "hours", "d": "days"}[text[-1]]: amount})
    try:
        moment = _DATETIME.validate_python(raw)
        return moment if moment.tzinfo else moment.replace(tzinfo=UTC)  # Django reads naive times as UTC
    except ValidationError as exc:
        for error in exc.errors():
            ctx = {k: str(v) for k, v in (error.get("ctx") or {}).items()}
            problems.append(_error(error["type"], ["query", name], error["msg"], ctx))
    return None


def _ints(ctx: Ctx, name: str, problems: list[dict[str, Any]]) -> list[int] | None:
    raw = ctx.params.getlist(name)
    if not raw:
        return None
    try:
        return _INTS.validate_python(raw)
    except ValidationError as exc:
        for error in exc.errors():
            problems.append(_error(error["type"], ["query", "filters", name, *error["loc"]], error["msg"]))
    return None


@dataclass(frozen=True)
class IssueFilters:
    """The list's filters (`IssueFilters`); `event_id` when the query is an event's UUID."""

    ids: list[int] | None
    start: datetime | None
    end: datetime | None
    projects: list[int] | None
    environments: list[str]
    query: str
    event_id: str | None


def parse_filters(ctx: Ctx, with_sort: bool) -> tuple[IssueFilters, str]:
    """The filters and sort of the request; 422 in django-ninja's shape for values it refuses."""
    problems: list[dict[str, Any]] = []
    ids = _ints(ctx, "id", problems)
    start = _moment(ctx.params["start"], ctx.now, "start", problems) if "start" in ctx.params else None
    end = _moment(ctx.params["end"], ctx.now, "end", problems) if "end" in ctx.params else None
    projects = _ints(ctx, "project", problems)
    sort = ctx.params.get("sort", "-last_seen") if with_sort else ""
    if with_sort and sort not in SORT_CHOICES:
        expected = ", ".join(f"'{name}'" for name in SORT_CHOICES[:-1]) + f" or '{SORT_CHOICES[-1]}'"
        message = f"Input should be {expected}"
        problems.append(_error("literal_error", ["query", "sort"], message, {"expected": expected}))
    if problems:
        raise ApiError(422, {"detail": problems})
    query = ctx.params.get("query") or ""
    event_id = None
    if query:
        try:
            event_id = uuid.UUID(query).hex
        except ValueError:
            event_id = None
    environments = [e for e in ctx.params.getlist("environment")]
    return IssueFilters(ids, start, end, projects, environments, query, event_id), sort


def _term_matches(view: IssueView, name: str, value: str) -> bool:
    if name == "is":
        return value in STATUSES and view.issue.status == value
    if name == "has":
        return value in view.tags
    if name == "level":
        return view.first.level == value
    return value in view.tags.get(name, {})


def _text_matches(view: IssueView, text: str) -> bool:
    if "*" in text:
        pattern = re.escape(text).replace(r"\*", ".*")
        if re.search(pattern, view.first.title, re.IGNORECASE | re.DOTALL):
            return True
    return matches(text, view.vector)


def select(views: list[IssueView], filters: IssueFilters) -> list[IssueView]:
    """The issues matching the filters and the query (raises ServerError for an unbalanced quote)."""
    chosen = []
    for view in views:
        if filters.ids is not None and view.issue.id not in filters.ids:
            continue
        if filters.projects is not None and int(view.issue.project_id) not in filters.projects:
            continue
        if filters.environments and not set(filters.environments) & set(view.tags.get("environment", {})):
            continue
        if filters.start is not None and view.first_seen < filters.start:
            continue
        if filters.end is not None and view.first_seen > filters.end:
            continue
        chosen.append(view)
    if filters.event_id is not None:
        return [v for v in chosen if any(e.stored.event_id == filters.event_id for e in v.events)]
    if not filters.query:
        return chosen
    try:
        words = shlex.split(filters.query)
    except ValueError as exc:
        raise ServerError(f"cannot split the query {filters.query!r}: {exc}") from exc
    for index, word in enumerate(words):
        name, sep, value = word.partition(":")
        if sep:
            chosen = [v for v in chosen if _term_matches(v, name, value.strip('"'))]
        else:
            text = " ".join(words[index:])
            return [v for v in chosen if _text_matches(v, text)]
    return chosen
