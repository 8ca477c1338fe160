"""The requests whose route differs between Sentry-compatible servers, each in its current and older form.

`SentryApi` (api.py) exposes these as methods (`issue`, `issue_events`, `latest_event`, `issue_event`,
`update_issue`, `issues_by_id`, `update_issues`, `add_note`, `issue_comments`, `issue_list`, `stats_v2`); an
operation that calls them gets the fallbacks of `capabilities` and never needs to know the server. What the older
form cannot give is said through `OrgRequests.warn`, so it lands in the result's warnings.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

from ..base.errors import EventNotFound, InvalidParameter, IssueNotFound, NotFound, UnsupportedByServer
from . import glitchtip
from .capabilities import (
    ARCHIVE_SUBSTATUS,
    ISSUE_EVENTS,
    ISSUE_LOOKUP,
    ISSUE_SORT,
    LATEST_EVENT,
    OUTCOME_STATS,
    Form,
    NoOlderForm,
)
from .client import Params
from .models import OLDER_SUBSTATUSES
from .org import OrgRequests
from .responses import ApiResponse

# Sentry's sort names and what older servers (GlitchTip) call the same order; `user` has no equivalent.
OLDER_SORTS = {"date": "-last_seen", "new": "-first_seen", "freq": "-count", "user": "-count"}
NO_USER_SORT = "This server cannot sort issues by users (sort='user'); they are sorted by event count instead."
ACCEPTED_ONLY = (
    "This server has no per-outcome error statistics: totals are accepted (stored) events only; filtered, "
    "rate-limited and invalid events are not counted."
)
# The substatus names older Sentry servers take for the current ones (the reverse of how they are read).
OLDER_SUBSTATUS_NAMES = {current: older for older, current in OLDER_SUBSTATUSES.items()}
OLDER_SUBSTATUS = "This server uses the older substatus names; it was sent {older!r} for {current!r}."
MAX_IDS_PER_REQUEST = 100
"""Sentry lists at most 100 issues by id in one request (400 "Too many groups requested" beyond)."""
ALL_PROJECTS = "-1"
_PERIOD = re.compile(r"^(\d+)([smhdw])$")
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


def _numeric_only(issue_id: str, what: str) -> NoOlderForm | None:
    if issue_id.isdigit():
        return None
    return NoOlderForm(
        f"This server looks {what} up by numeric issue id only, and {issue_id!r} is a short id.",
        recovery="Pass the issue's numeric id instead: get-recent-issues lists it as `id` (it is also the number "
        "in the issue's URL).",
    )


async def issue(api: OrgRequests, issue_id: str, params: Params | None = None) -> ApiResponse:
    kind = await api.server_kind()
    org = await api.organization()
    short = _numeric_only(issue_id, "issues")
    response, _ = await api.client.capabilities.call(
        ISSUE_LOOKUP,
        lambda: api.get(["organizations", org, "issues", issue_id], params=params, not_found=IssueNotFound),
        short or (lambda: api.get(["issues", issue_id], params=params, not_found=IssueNotFound)),
    )
    return response if kind.counts_users else glitchtip.without_user_counts(response)


async def issue_tags(
    api: OrgRequests, issue_id: str, keys: Sequence[str] = (), limit: int | None = None
) -> ApiResponse:
    """An issue's tag distributions (key, totalValues, uniqueValues, topValues), every key or those of `keys`, with
    `limit` values each. Sentry: `organizations/{org}/issues/{id}/tags/`, its `GroupTagsEndpoint`
    (`sentry/issues/endpoints/group_tags.py`, which its web UI's Tags tab calls; not in the published spec), taking
    `key` (repeated) and `limit` (10 values a key without it, 9 with `key`). GlitchTip: `issues/{id}/tags/`, numeric
    ids only, one `key` at most and every value: the caller keeps the keys and values it wants."""
    kind = await api.server_kind()
    org = await api.organization()
    if kind.glitchtip:
        short = _numeric_only(issue_id, "an issue's tags")
        if short is not None:
            raise UnsupportedByServer(short.message, recovery=short.recovery, capability="issue tags by short id")
        one_key = glitchtip.tags_params(keys)
        return await api.get(["issues", issue_id, "tags"], params=one_key, not_found=IssueNotFound)
    params: dict[str, str | int | Sequence[str]] = {"key": list(keys)} if keys else {}
    if limit is not None:
        params["limit"] = limit
    return await api.get(["organizations", org, "issues", issue_id, "tags"], params=params, not_found=IssueNotFound)


async def add_note(api: OrgRequests, issue_id: str, text: str) -> ApiResponse:
    """POST a note to one issue (by the numeric id Sentry gave), once. Sentry: `organizations/{org}/issues/{id}/notes/`
    with `{"text": ...}`, its `GroupNotesEndpoint` (`sentry/issues/endpoints/group_notes.py`, which its web UI's
    issue activity calls; not in the published spec), or the older `issues/{id}/notes/` where the server looks
    issues up there; GlitchTip: `issues/{id}/comments/` with `{"data": {"text": ...}}`."""
    kind = await api.server_kind()
    expect: dict[str, Any] = {"not_found": IssueNotFound, "bad_request_field": "text"}
    if kind.glitchtip:
        return await api.post(["issues", issue_id, "comments"], body=glitchtip.comment_body(text), **expect)
    org = await api.organization()
    if api.offers(ISSUE_LOOKUP) is False:  # learned when the issue was read, just before
        return await api.post(["issues", issue_id, "notes"], body={"text": text}, **expect)
    return await api.post(["organizations", org, "issues", issue_id, "notes"], body={"text": text}, **expect)


async def issue_comments(api: OrgRequests, issue_id: str) -> ApiResponse:
    """GET GlitchTip's comments on an issue (`issues/{id}/comments/`, newest first); Sentry has its notes in the
    issue's `activity` instead."""
    return await api.get(["issues", issue_id, "comments"], not_found=IssueNotFound)


async def issue_events(api: OrgRequests, issue_id: str, params: Params, bad_request_field: str) -> ApiResponse:
    if (await api.server_kind()).glitchtip:
        params = glitchtip.events_params(params)
    org = await api.organization()
    short = _numeric_only(issue_id, "an issue's events")
    expect: dict[str, Any] = {"params": params, "not_found": IssueNotFound, "bad_request_field": bad_request_field}
    response, _ = await api.client.capabilities.call(
        ISSUE_EVENTS,
        lambda: api.get(["organizations", org, "issues", issue_id, "events"], **expect),
        short or (lambda: api.get(["issues", issue_id, "events"], **expect)),
    )
    return response


async def issue_event(api: OrgRequests, issue_id: str, event_id: str = "latest") -> ApiResponse:
    """One event of an issue: `latest`, `oldest`, `recommended` or an event id (one route family, one capability)."""
    await api.server_kind()
    org = await api.organization()
    short = _numeric_only(issue_id, "an issue's events")
    response, _ = await api.client.capabilities.call(
        LATEST_EVENT,
        lambda: api.get(["organizations", org, "issues", issue_id, "events", event_id], not_found=EventNotFound),
        short or (lambda: api.get(["issues", issue_id, "events", event_id], not_found=EventNotFound)),
    )
    return response


async def update_issue(api: OrgRequests, issue_id: str, body: dict[str, Any], bad_request_field: str) -> ApiResponse:
    """PUT a change to one issue (by the numeric id Sentry gave); an older server gets the older substatus names."""
    await api.server_kind()
    org = await api.organization()
    path = ["organizations", org, "issues", issue_id]
    expect: dict[str, Any] = {"not_found": IssueNotFound, "bad_request_field": bad_request_field}
    substatus = body.get("substatus")
    older_name = OLDER_SUBSTATUS_NAMES.get(substatus) if isinstance(substatus, str) else None
    if older_name is None:
        return await api.put(path, body=body, **expect)
    response, form = await api.client.capabilities.call(
        ARCHIVE_SUBSTATUS,
        lambda: api.put(path, body=body, **expect),
        lambda: api.put(path, body={**body, "substatus": older_name}, **expect),
    )
    if form is Form.OLDER:
        api.warn(OLDER_SUBSTATUS.format(older=older_name, current=substatus))
    return response


async def issues_by_id(api: OrgRequests, issue_ids: Sequence[str]) -> ApiResponse:
    """Up to 100 issues by numeric id, whatever their status, in one request: Sentry's issue list with `group=`
    repeated (its `OrganizationGroupIndexEndpoint`, not in the published spec), GlitchTip's with `id=`. An id
    the token cannot see, or that names no issue, is simply not in the answer."""
    _check_ids(issue_ids)
    kind = await api.server_kind()
    org = await api.organization()
    params = (
        glitchtip.issues_by_id_params(issue_ids)
        if kind.glitchtip
        else {"group": list(issue_ids), "project": ALL_PROJECTS, "collapse": ["stats", "lifetime", "filtered"]}
    )
    response = await api.get(["organizations", org, "issues"], params=params, bad_request_field="issue_ids")
    return response if kind.counts_users else glitchtip.without_user_counts(response)


async def update_issues(api: OrgRequests, issue_ids: Sequence[str], body: dict[str, Any]) -> ApiResponse:
    """One bulk PUT of `body` to up to 100 issues named by numeric id; never without ids, since both servers then
    change every issue their search selects (Sentry: up to 1000 unresolved ones; GlitchTip: all). For Sentry the
    ids are also given as the search (`issue.id:[...]`), because it falls back to searching when none of the ids
    is in scope (deleted meanwhile): the fallback then selects nothing instead of every unresolved issue.
    Sentry answers with the change made (not the issues), or 204 when no issue matched."""
    _check_ids(issue_ids)
    kind = await api.server_kind()
    org = await api.organization()
    params = (
        glitchtip.bulk_update_params(issue_ids)
        if kind.glitchtip
        else {"id": list(issue_ids), "project": ALL_PROJECTS, "query": f"issue.id:[{','.join(issue_ids)}]"}
    )
    return await api.put(
        ["organizations", org, "issues"],
        params=params,
        body=body,
        not_found=IssueNotFound,
        bad_request_field="assignee" if "assignedTo" in body else "status",
    )


def _check_ids(issue_ids: Sequence[str]) -> None:
    if not issue_ids or len(issue_ids) > MAX_IDS_PER_REQUEST or not all(i.isdigit() for i in issue_ids):
        raise InvalidParameter(
            "issue_ids",
            f"A request by issue ids takes 1 to {MAX_IDS_PER_REQUEST} numeric ids; got {len(issue_ids)}.",
        )


async def issue_list(
    api: OrgRequests,
    params: Params,
    *,
    not_found: type[NotFound],
    bad_request_field: str,
    project: str | None,
    shows_users: bool = True,
) -> ApiResponse:
    kind = await api.server_kind()
    if kind.glitchtip:
        params = glitchtip.issue_list_params(params)
    response = await _issue_list(api, params, not_found=not_found, bad_request_field=bad_request_field, project=project)
    if kind.counts_users:
        return response
    if shows_users:  # a caller that shows no user counts has nothing to warn about
        api.warn(glitchtip.NO_USERS)
    return glitchtip.without_user_counts(response)


async def _issue_list(
    api: OrgRequests, params: Params, *, not_found: type[NotFound], bad_request_field: str, project: str | None
) -> ApiResponse:
    org = await api.organization()
    path = ["organizations", org, "issues"]
    expect: dict[str, Any] = {"not_found": not_found, "bad_request_field": bad_request_field, "project": project}
    sort = params.get("sort")
    if not isinstance(sort, str):
        return await api.get(path, params=params, **expect)
    older_sort = OLDER_SORTS.get(sort)
    older = (
        (lambda: api.get(path, params={**params, "sort": older_sort}, **expect))
        if older_sort
        else NoOlderForm(f"This server cannot sort issues by {sort!r}.", recovery="Sort by date, new or freq instead.")
    )
    response, form = await api.client.capabilities.call(
        ISSUE_SORT, lambda: api.get(path, params=params, **expect), older
    )
    if form is Form.OLDER and sort == "user":
        api.warn(NO_USER_SORT)
    return response


async def stats_v2(
    api: OrgRequests, params: Params, *, not_found: type[NotFound], bad_request_field: str, project: str | None
) -> ApiResponse:
    """Outcome statistics; in the older form (start/end, no groupBy) every group is labelled accepted. GlitchTip
    is asked by the hour and its buckets summed (its daily buckets count only each day's first hour)."""
    kind = await api.server_kind()
    org = await api.organization()
    path = ["organizations", org, "stats_v2"]
    expect: dict[str, Any] = {
        "not_found": not_found,
        "scope": "org:read",
        "bad_request_field": bad_request_field,
        "project": project,
    }
    older_params = {key: value for key, value in params.items() if key not in ("statsPeriod", "groupBy")}
    older_params.update(_start_end(params))
    bucket_seconds = 3600
    if kind.glitchtip:
        older_params, bucket_seconds = glitchtip.hourly_stats_params(older_params)
    response, form = await api.client.capabilities.call(
        OUTCOME_STATS,
        lambda: api.get(path, params=params, **expect),
        lambda: api.get(path, params=older_params, **expect),
    )
    if form is Form.CURRENT:
        return response
    if kind.glitchtip:
        response = glitchtip.regrouped_stats(
            response, bucket_seconds, str(older_params["start"]), str(older_params["end"])
        )
    api.warn(ACCEPTED_ONLY)
    data = response.data
    if isinstance(data, dict) and isinstance(data.get("groups"), list):
        groups = [
            {**group, "by": group.get("by") or {"outcome": "accepted"}} if isinstance(group, dict) else group
            for group in data["groups"]
        ]
        return replace(response, data={**data, "groups": groups})
    return response


def _start_end(params: Params) -> dict[str, str]:
    """`start`/`end` covering what `statsPeriod` covers, the end rounded up to the interval as Sentry does."""
    period = _seconds(params.get("statsPeriod"), default=86400)
    interval = _seconds(params.get("interval"), default=3600)
    now = datetime.now(UTC).timestamp()
    end = datetime.fromtimestamp(interval * math.ceil(now / interval), UTC)
    start = end - timedelta(seconds=period)
    return {"start": start.isoformat().replace("+00:00", "Z"), "end": end.isoformat().replace("+00:00", "Z")}


def _seconds(value: Any, default: int) -> int:
    match = _PERIOD.match(value) if isinstance(value, str) else None
    return int(match[1]) * _UNIT_SECONDS[match[2]] if match else default
