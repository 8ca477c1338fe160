"""Issue and event routes: list, detail, update, short ids, events (REFERENCE §2-§5)."""

from __future__ import annotations

from typing import Any

from starlette.responses import JSONResponse, Response

from .api_base import ApiError, Ctx, find_issue, find_project, int_param, project_filter, truthy
from .auth import NO_PERMISSION
from .issue_updates import UpdateError, apply_issue_update
from .models import Issue, StoredEvent
from .pagination import link_header, paginate, parse_cursor
from .search import EVENT_ID_RE, SORTS, EventWindow, parse_issue_query, parse_window, sort_issues
from .serialize_events import serialize_event_detail, serialize_event_full, serialize_event_simple
from .serialize_issues import (
    StatsSpec,
    serialize_issue_base,
    serialize_issue_detail,
    serialize_issue_stream,
    stats_spec,
)

GROUP_STATS_PERIODS = ("", "24h", "14d", "auto")
INVALID_STATS_PERIOD = "Invalid stats_period. Valid choices are '', '24h', '14d', and 'auto'"
MAX_LIMIT = 100
MAX_HITS = 1000
NO_MATCHING_EVENT = "No matching event found. Try changing the environments, date range, or query."
EVENT_NOT_FOUND = "Event not found. The event ID may be incorrect, or its age exceeded the retention period."


def _environments(ctx: Ctx) -> frozenset[str]:
    return frozenset(e for e in ctx.params.getlist("environment") if e)


def _expand(ctx: Ctx) -> frozenset[str]:
    return frozenset(ctx.params.getlist("expand"))


def _given_issues(ctx: Ctx, project_ids: set[str] | None, spec: StatsSpec | None) -> Response | None:
    """`group=<id>` (repeat): just those issues of the selected projects, whatever the query (Sentry's
    `OrganizationGroupIndexEndpoint.get`, not in the published spec); None when no `group` is given."""
    raw = ctx.params.getlist("group")
    if not raw:
        return None
    try:
        wanted = {int(value) for value in raw}
    except ValueError as exc:
        raise ApiError(400, {"detail": "Group ids must be integers"}) from exc
    found = sorted(
        (i for i in ctx.store.issues() if i.id in wanted and (project_ids is None or i.project_id in project_ids)),
        key=lambda i: i.id,
    )
    expand = _expand(ctx)
    base = ctx.state.base_url
    return JSONResponse(
        [serialize_issue_stream(ctx.store, i, base, ctx.now, EventWindow(), spec, None, expand) for i in found]
    )


def _direct_hit(ctx: Ctx, query: str, project_ids: set[str] | None) -> Issue | None:
    issue = None
    lowered = query.lower().replace("-", "") if len(query) == 36 else query.lower()
    if EVENT_ID_RE.match(lowered):
        event = ctx.store.event(lowered)
        issue = ctx.store.issue(event.issue_id) if event else None
    elif truthy(ctx.params.get("shortIdLookup")) and query:
        issue = ctx.store.issue_by_short_id(query)
    if issue is not None and project_ids is not None and issue.project_id not in project_ids:
        return None
    return issue


def _issue_list(ctx: Ctx, project_ids: set[str] | None, window: EventWindow, group_stats: str) -> Response:
    if group_stats not in GROUP_STATS_PERIODS:
        raise ApiError(400, {"detail": INVALID_STATS_PERIOD})
    spec = stats_spec(group_stats, window, ctx.now)
    sort = ctx.params.get("sort") or "date"
    if sort not in SORTS:
        raise ApiError(400, {"detail": f"Error parsing search query: Invalid sort: {sort!r}"})
    limit = max(1, min(MAX_LIMIT, int_param(ctx, "limit", MAX_LIMIT, "Invalid limit parameter.")))
    cursor = parse_cursor(ctx.params.get("cursor"))
    query = str(ctx.params.get("query", "is:unresolved")).strip()

    expand = _expand(ctx)
    direct = _direct_hit(ctx, query, project_ids)
    if direct is not None:
        item = serialize_issue_stream(ctx.store, direct, ctx.state.base_url, ctx.now, EventWindow(), spec, None, expand)
        return JSONResponse([item], headers={"X-Sentry-Direct-Hit": "1", "X-Hits": "1", "X-Max-Hits": str(MAX_HITS)})
    given = _given_issues(ctx, project_ids, spec)
    if given is not None:
        return given

    search = parse_issue_query(query, ctx.store, ctx.now, ctx.access)
    rows: list[tuple[Issue, list[StoredEvent]]] = []
    filtered: dict[int, list[StoredEvent] | None] = {}
    for issue in ctx.store.issues():
        if project_ids is not None and issue.project_id not in project_ids:
            continue
        events = [e for e in issue.events if window.matches(e)]
        if events and search.matches(issue, events, ctx.now):
            rows.append((issue, events))
            filtered[issue.id] = [e for e in events if search.event_matches(e)] if search.event_predicates else None
    rows = sort_issues(rows, sort)
    page = paginate(len(rows), cursor, limit)
    body = [
        serialize_issue_stream(ctx.store, issue, ctx.state.base_url, ctx.now, window, spec, filtered[issue.id], expand)
        for issue, _events in rows[page.start : page.stop]
    ]
    headers = {
        "X-Hits": str(len(rows)),
        "X-Max-Hits": str(MAX_HITS),
        "Link": link_header(ctx.state.base_url, ctx.request.url.path, ctx.params, page),
    }
    return JSONResponse(body, headers=headers)


def list_org_issues(ctx: Ctx) -> Response:
    """`GET organizations/{org}/issues/`."""
    project_ids = project_filter(ctx)
    window = parse_window(
        ctx.params.get("statsPeriod"), ctx.params.get("start"), ctx.params.get("end"), list(_environments(ctx)), ctx.now
    )
    return _issue_list(ctx, project_ids, window, ctx.params.get("groupStatsPeriod", "24h"))


def list_project_issues(ctx: Ctx) -> Response:
    """Deprecated `GET projects/{org}/{project}/issues/`: `statsPeriod` is the sparkline here."""
    project = find_project(ctx)
    stats_period = ctx.params.get("statsPeriod", "24h")
    if stats_period not in ("", "24h", "14d"):
        raise ApiError(400, {"detail": "Invalid stats_period. Valid choices are '', '24h', and '14d'"})
    return _issue_list(ctx, {project.id}, EventWindow(environments=_environments(ctx)), stats_period)


def _detail(ctx: Ctx, issue: Issue) -> Response:
    detail = serialize_issue_detail(ctx.store, issue, ctx.state.base_url, ctx.now, _environments(ctx), _expand(ctx))
    return JSONResponse(detail)


def get_issue(ctx: Ctx) -> Response:
    """`GET organizations/{org}/issues/{issue_id}/` (numeric or short id)."""
    return _detail(ctx, find_issue(ctx))


def get_legacy_issue(ctx: Ctx) -> Response:
    """`GET issues/{issue_id}/`: numeric ids only."""
    return _detail(ctx, find_issue(ctx, allow_short_id=False))


def _update(ctx: Ctx, issue: Issue) -> Response:
    body: Any = ctx.json_body()
    if isinstance(body, dict) and "discard" in body:
        raise ApiError(403, NO_PERMISSION)
    try:
        apply_issue_update(ctx.store, issue, body, ctx.now, ctx.access.user)
    except UpdateError as exc:
        raise ApiError(400, exc.body) from exc
    return JSONResponse(serialize_issue_base(ctx.store, issue, ctx.state.base_url, ctx.now, issue.events))


def update_issue(ctx: Ctx) -> Response:
    """`PUT organizations/{org}/issues/{issue_id}/`: the full updated issue."""
    return _update(ctx, find_issue(ctx))


def update_legacy_issue(ctx: Ctx) -> Response:
    """`PUT issues/{issue_id}/`."""
    return _update(ctx, find_issue(ctx, allow_short_id=False))


def resolve_short_id(ctx: Ctx) -> Response:
    """`GET organizations/{org}/shortids/{issue_id}/`."""
    issue = find_issue(ctx)
    project = ctx.store.project(issue.project_id)
    return JSONResponse(
        {
            "organizationSlug": ctx.store.organization.slug,
            "projectSlug": project.slug if project else "",
            "groupId": str(issue.id),
            "shortId": ctx.store.short_id(issue),
            "group": serialize_issue_base(ctx.store, issue, ctx.state.base_url, ctx.now, issue.events),
        }
    )


def _issue_events(ctx: Ctx, issue: Issue) -> list[StoredEvent]:
    """The issue's events matching `environment`, the window and the event `query`; oldest first."""
    window = parse_window(
        ctx.params.get("statsPeriod"), ctx.params.get("start"), ctx.params.get("end"), list(_environments(ctx)), ctx.now
    )
    search = parse_issue_query(ctx.params.get("query") or "", ctx.store, ctx.now, ctx.access)
    selected = []
    for event in issue.events:
        if not window.matches(event) or not search.event_matches(event):
            continue
        text = f"{event.digest.title}\n{event.digest.message}".lower()
        if all(term.lower() in text for term in search.text):
            selected.append(event)
    return selected


def _list_events(ctx: Ctx, issue: Issue) -> Response:
    per_page = int_param(ctx, "per_page", MAX_LIMIT, "Invalid per_page value.")
    if per_page > MAX_LIMIT:
        raise ApiError(400, {"detail": "Invalid per_page value. Cannot exceed 100."})
    if per_page < 1:
        raise ApiError(400, {"detail": "Invalid per_page value."})
    cursor = parse_cursor(ctx.params.get("cursor"))
    events = list(reversed(_issue_events(ctx, issue)))
    page = paginate(len(events), cursor, per_page)
    serialize = serialize_event_full if truthy(ctx.params.get("full")) else serialize_event_simple
    body = [serialize(e) for e in events[page.start : page.stop]]
    return JSONResponse(body, headers={"Link": link_header(ctx.state.base_url, ctx.request.url.path, ctx.params, page)})


def list_issue_events(ctx: Ctx) -> Response:
    """`GET organizations/{org}/issues/{issue_id}/events/`: newest first, `per_page` <= 100."""
    return _list_events(ctx, find_issue(ctx))


def list_legacy_issue_events(ctx: Ctx) -> Response:
    return _list_events(ctx, find_issue(ctx, allow_short_id=False))


def _event_detail(ctx: Ctx, issue: Issue) -> Response:
    wanted = ctx.path("event_id").lower()
    events = _issue_events(ctx, issue)
    event: StoredEvent | None
    if wanted in ("latest", "recommended"):
        event = events[-1] if events else None
    elif wanted == "oldest":
        event = events[0] if events else None
    else:
        found = ctx.store.event(wanted)
        event = found if found is not None and found.issue_id == issue.id else None
        if event is None:
            raise ApiError(404, {"detail": EVENT_NOT_FOUND})
        events = events if event in events else issue.events
    if event is None:
        raise ApiError(404, {"detail": NO_MATCHING_EVENT})
    index = events.index(event)
    previous = events[index - 1].event_id if index > 0 else None
    following = events[index + 1].event_id if index + 1 < len(events) else None
    return JSONResponse(serialize_event_detail(event, ctx.store, (previous, following)))


def get_issue_event(ctx: Ctx) -> Response:
    """`GET organizations/{org}/issues/{issue_id}/events/{latest|oldest|recommended|<id>}/`."""
    return _event_detail(ctx, find_issue(ctx))


def get_legacy_issue_event(ctx: Ctx) -> Response:
    return _event_detail(ctx, find_issue(ctx, allow_short_id=False))


def get_project_event(ctx: Ctx) -> Response:
    """`GET projects/{org}/{project}/events/{event_id}/`."""
    project = find_project(ctx)
    event = ctx.store.event(ctx.path("event_id"))
    if event is None or event.project_id != project.id:
        raise ApiError(404, {"detail": EVENT_NOT_FOUND})
    issue = ctx.store.issue(event.issue_id)
    events = issue.events if issue else [event]
    index = events.index(event)
    previous = events[index - 1].event_id if index > 0 else None
    following = events[index + 1].event_id if index + 1 < len(events) else None
    return JSONResponse(serialize_event_detail(event, ctx.store, (previous, following)))
