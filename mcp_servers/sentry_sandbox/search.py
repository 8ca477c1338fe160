"""Issue search: the `query` language subset of REFERENCE §2a, time windows and sorting."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from .access import Access
from .models import Issue, StoredEvent
from .ownership import issue_owners
from .store import SandboxStore
from .times import parse_datetime, parse_period

IS_STATUS = {"unresolved": "unresolved", "resolved": "resolved", "ignored": "ignored", "archived": "ignored"}
IS_SUBSTATUS = ("new", "regressed", "escalating", "ongoing")
IS_OTHER = ("assigned", "unassigned", "bookmarked", "for_review", "linked", "unlinked", "muted")
SORTS = ("date", "new", "freq", "user", "trends", "inbox", "recommended", "priority")
_TOKEN_RE = re.compile(r'!?[\w.]+:"[^"]*"|"[^"]*"|\S+')
EVENT_ID_RE = re.compile(r"^[0-9a-f]{32}$")


class SearchError(ValueError):
    """A query the server refuses (answered as 400 `{"detail": str(error)}`)."""


@dataclass(frozen=True)
class EventWindow:
    """Which events count: the search window (`statsPeriod`/`start`/`end`) and `environment`."""

    start: datetime | None = None
    end: datetime | None = None
    environments: frozenset[str] = frozenset()

    def matches(self, event: StoredEvent) -> bool:
        if self.start is not None and event.timestamp < self.start:
            return False
        if self.end is not None and event.timestamp > self.end:
            return False
        return not self.environments or (event.environment or "") in self.environments

    @property
    def restricts(self) -> bool:
        return self.start is not None or self.end is not None or bool(self.environments)


def parse_window(
    stats_period: str | None, start: str | None, end: str | None, environments: list[str], now: datetime
) -> EventWindow:
    """Build the search window; raises SearchError for malformed or conflicting values."""
    envs = frozenset(e for e in environments if e)
    if stats_period:
        if start or end:
            raise SearchError("Invalid date range. Use either statsPeriod or start and end.")
        period = parse_period(stats_period)
        if period is None:
            raise SearchError(f"Invalid statsPeriod: {stats_period!r}")
        return EventWindow(now - period, now, envs)
    if start or end:
        begin, finish = parse_datetime(start), parse_datetime(end)
        if begin is None or finish is None:
            raise SearchError("start and end are both required and must be ISO-8601 dates.")
        if begin > finish:
            raise SearchError("start must be before end.")
        return EventWindow(begin, finish, envs)
    return EventWindow(environments=envs)


IssuePredicate = Callable[[Issue, list[StoredEvent]], bool]
EventPredicate = Callable[[StoredEvent], bool]


@dataclass
class IssueSearch:
    """A parsed `query`: issue-level and event-level conditions plus free text."""

    statuses: set[str] = field(default_factory=set)
    substatuses: set[str] = field(default_factory=set)
    issue_predicates: list[IssuePredicate] = field(default_factory=list)
    event_predicates: list[EventPredicate] = field(default_factory=list)
    text: list[str] = field(default_factory=list)

    def matches(self, issue: Issue, events: list[StoredEvent], now: datetime) -> bool:
        """`events` are the issue's events inside the window (oldest first, non-empty)."""
        if self.statuses and issue.status not in self.statuses:
            return False
        if self.substatuses and issue.effective_substatus(now) not in self.substatuses:
            return False
        if not all(predicate(issue, events) for predicate in self.issue_predicates):
            return False
        if self.event_predicates and not any(self.event_matches(e) for e in events):
            return False
        haystack = f"{issue.latest.digest.title}\n{issue.latest.digest.culprit}".lower()
        return all(term.lower() in haystack for term in self.text)

    def event_matches(self, event: StoredEvent) -> bool:
        return all(predicate(event) for predicate in self.event_predicates)


def _values(raw: str) -> list[str]:
    raw = raw.strip('"')
    if raw.startswith("[") and raw.endswith("]"):
        return [v.strip().strip('"') for v in raw[1:-1].split(",") if v.strip()]
    return [raw]


def _age_predicate(key: str, raw: str, now: datetime) -> Callable[[datetime], bool]:
    text = raw.lstrip("<>=")
    older = raw.startswith("<") or text.startswith("+")
    period = parse_period(text.lstrip("+-"))
    if period is not None:
        cutoff = now - period
        return (lambda moment: moment <= cutoff) if older else (lambda moment: moment >= cutoff)
    moment = parse_datetime(text)
    if moment is None:
        raise SearchError(f"Error parsing search query: Invalid date for {key}: {raw!r}")
    if raw.startswith("<"):
        return lambda value: value < moment
    return lambda value: value >= moment


def _bool_value(key: str, raw: str) -> bool:
    lowered = raw.lower()
    if lowered in ("true", "1", "yes"):
        return True
    if lowered in ("false", "0", "no"):
        return False
    raise SearchError(f'Error parsing search query: Invalid boolean field "{key}": {raw}')


def _user_field(field_name: str) -> Callable[[StoredEvent], str]:
    def value(event: StoredEvent) -> str:
        user = event.payload.get("user")
        return str(user.get(field_name, "")) if isinstance(user, dict) else ""

    return value


def _actor_identifiers(values: list[str], store: SandboxStore, access: Access | None) -> set[str]:
    """The `user:<id>`/`team:<id>` an `assigned:` search names: `me`, `my_teams`, `#team-slug`, an email or
    username (Sentry's `parse_actor_or_none_value`); `none` is the empty string."""
    directory = store.directory
    found: set[str] = set()
    for value in values:
        lowered = value.lower()
        if lowered == "none":
            found.add("")
        elif lowered == "me":
            if access is not None and access.user is not None:
                found.add(f"user:{access.user.id}")
        elif lowered == "my_teams":
            if access is not None and access.member is not None:
                found.update(f"team:{t.id}" for t in directory.member_teams(access.member))
        elif value.startswith("#"):
            team = directory.team(value[1:])
            found.add(f"team:{team.id}" if team is not None else "team:?")
        else:
            user = directory.user(value)
            found.add(f"user:{user.id}" if user is not None else "user:?")
    return found


def _assignee_identifier(issue: Issue) -> str:
    assigned = issue.assigned_to
    return f"{assigned['type']}:{assigned['id']}" if assigned else ""


def _is_predicate(value: str) -> IssuePredicate | None:
    """`is:assigned|unassigned|bookmarked` (other non-status `is:` values are accepted and ignored)."""
    if value == "assigned":
        return lambda issue, _events: issue.assigned_to is not None
    if value == "unassigned":
        return lambda issue, _events: issue.assigned_to is None
    if value == "bookmarked":
        return lambda issue, _events: issue.is_bookmarked
    if value in IS_OTHER:
        return None
    valid = ", ".join([*IS_STATUS, *IS_SUBSTATUS, *IS_OTHER])
    raise SearchError(f'Error parsing search query: Invalid value for "is" search, valid values are [{valid}]')


def _owners(store: SandboxStore, issue: Issue) -> list[tuple[str, str, datetime]]:
    project = store.project(issue.project_id)
    return issue_owners(issue, project.slug, store.ownership, store.directory) if project else []


def _issue_term(
    key: str, raw: str, values: list[str], store: SandboxStore, now: datetime, access: Access | None
) -> IssuePredicate | None:
    wanted = set(values)
    if key == "level":
        return lambda issue, _events: issue.latest.digest.level in wanted
    if key in ("error.unhandled", "error.handled"):
        unhandled = _bool_value(key, raw) == (key == "error.unhandled")
        return lambda _issue, events: any(e.digest.is_unhandled for e in events) == unhandled
    if key in ("firstseen", "lastseen", "age"):
        check = _age_predicate(key, raw, now)
        if key == "lastseen":
            return lambda _issue, events: check(events[-1].timestamp)
        return lambda issue, _events: check(issue.first_seen)
    if key == "assigned":
        actors = _actor_identifiers(values, store, access)
        return lambda issue, _events: _assignee_identifier(issue) in actors
    if key == "assigned_or_suggested":
        actors = _actor_identifiers(values, store, access)
        return lambda issue, _events: (
            _assignee_identifier(issue) in actors
            or any(owner in actors for _kind, owner, _when in _owners(store, issue))
        )
    if key in ("issue", "issue.id"):
        lowered = {v.lower() for v in values}
        return lambda issue, _events: str(issue.id) in wanted or store.short_id(issue).lower() in lowered
    return None


def _event_term(key: str, values: list[str], store: SandboxStore) -> EventPredicate | None:
    wanted = set(values)
    if key == "release":
        releases = sorted(store.releases(), key=lambda r: (r.date_created, r.version))
        latest = releases[-1].version if releases else ""
        versions = {latest if v == "latest" else v for v in values}
        return lambda event: (event.release or "") in versions
    if key == "environment":
        return lambda event: (event.environment or "") in wanted
    if key in ("user.email", "user.id", "user.username", "user.ip"):
        getter = _user_field("ip_address" if key == "user.ip" else key.split(".", 1)[1])
        return lambda event: getter(event) in wanted
    return None


def _negated_issue(predicate: IssuePredicate) -> IssuePredicate:
    return lambda issue, events: not predicate(issue, events)


def _negated_event(predicate: EventPredicate) -> EventPredicate:
    return lambda event: not predicate(event)


def parse_issue_query(query: str, store: SandboxStore, now: datetime, access: Access | None = None) -> IssueSearch:
    """Parse the issue search language; raises SearchError on invalid `is:` or boolean values.

    Unknown `key:value` terms are ignored; text without a key is matched against title and culprit. `access` is
    the caller, whom `assigned:me` and `my_teams` name.
    """
    search = IssueSearch()
    for token in _TOKEN_RE.findall(query):
        negate = token.startswith("!")
        body = token[1:] if negate else token
        key, sep, raw = body.partition(":")
        if not sep or not key or raw == "" or key.startswith('"'):
            search.text.append(token.strip('"'))
            continue
        key = key.lower()
        if key == "is" and raw.lower() in IS_STATUS:
            search.statuses.add(IS_STATUS[raw.lower()])
            continue
        if key == "is" and raw.lower() in IS_SUBSTATUS:
            search.substatuses.add(raw.lower())
            continue
        if key in ("message", "title"):
            search.text.extend(_values(raw))
            continue
        values = _values(raw)
        issue_predicate = (
            _is_predicate(raw.lower()) if key == "is" else _issue_term(key, raw, values, store, now, access)
        )
        if issue_predicate is not None:
            search.issue_predicates.append(_negated_issue(issue_predicate) if negate else issue_predicate)
        event_predicate = None if key == "is" else _event_term(key, values, store)
        if event_predicate is not None:
            search.event_predicates.append(_negated_event(event_predicate) if negate else event_predicate)
    return search


def sort_issues(rows: list[tuple[Issue, list[StoredEvent]]], sort: str) -> list[tuple[Issue, list[StoredEvent]]]:
    """Order matches: date (last seen), new (first seen), freq (events), user (users); newest first."""

    def key(row: tuple[Issue, list[StoredEvent]]) -> tuple[float, int]:
        issue, events = row
        if sort == "new":
            score = issue.first_seen.timestamp()
        elif sort == "freq":
            score = float(len(events))
        elif sort == "user":
            score = float(len({e.user for e in events if e.user}))
        elif sort == "priority":
            score = float({"high": 3, "medium": 2, "low": 1}.get(issue.priority, 0))
        else:
            score = events[-1].timestamp.timestamp()
        return (score, issue.id)

    return sorted(rows, key=key, reverse=True)
