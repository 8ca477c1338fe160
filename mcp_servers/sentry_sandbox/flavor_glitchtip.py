"""The `glitchtip` flavor: what GlitchTip (backend of late 2025, Django 5.2, django-ninja) answers differently.

As measured against GlitchTip (issue 6): `GET organizations/{org}/issues/{id}/` answers 405 (only PUT is
routed) while `GET issues/{id}/` works for numeric ids; the org-scoped event routes answer an HTML 500 while
`issues/{id}/events/` (snake_case keys) and `issues/{id}/events/latest/` (no `release`) work; the issue list
`sort` takes only `last_seen|first_seen|count|priority` (422 otherwise), cursors are opaque base64 and the
`Link` header is wrapped like a Python set literal; issues lack `assignedTo`, `isBookmarked`, `hasSeen`,
`substatus`, `priority`, `issueCategory`, `isUnhandled`, `userCount` stays 0 and `stats` is `{"24h": []}`;
a single PUT answers the issue in snake_case, a bulk PUT `{"status": ..., "merge": null}`; `stats_v2` needs
`start` and `end`, refuses `statsPeriod` and `groupBy`, and answers accepted events only, without `by` or
`totals`, `null` for empty buckets; `projects/{org}/{project}/stats/` answers an HTML 500. Issues are
grouped by title (see `SandboxStore.group_by_title`).
"""

from __future__ import annotations

from typing import Any

from starlette.responses import JSONResponse, Response

from . import routes_issues
from .api_base import ApiError, Ctx, Handler, project_filter
from .auth import PROJECT_READ
from .flavor_tools import html_error, method_not_allowed, paged, rewrite_json, snake_case, with_query
from .stats import compute_stats_v2, parse_stats_query

ORG = "/api/0/organizations/{org}"
Route = tuple[str, str, tuple[str, ...], Handler]
SORTS = {"last_seen": "date", "first_seen": "new", "count": "freq", "priority": "priority"}
MISSING_ISSUE_KEYS = ("assignedTo", "isBookmarked", "hasSeen", "substatus", "priority", "issueCategory", "isUnhandled")
SENTRY_ONLY_KEYS = ("lifetime", "filtered", "inbox", "owners", "derivedData", "sessionCount", "seenBy")
EVENT_SNAKE_KEYS = ("eventID", "groupID", "projectID", "dateCreated", "dateReceived")


def _issue(item: Any) -> Any:
    if not isinstance(item, dict):
        return item
    kept = {k: v for k, v in item.items() if k not in MISSING_ISSUE_KEYS and k not in SENTRY_ONLY_KEYS}
    return {**kept, "userCount": 0, "stats": {"24h": []}}


def _issues(body: Any) -> Any:
    return [_issue(item) for item in body] if isinstance(body, list) else body


def _sort_in_sentry_terms(ctx: Ctx) -> Ctx:
    sort = ctx.params.get("sort")
    if sort is None:
        return ctx
    if sort.lstrip("-") not in SORTS:
        raise ApiError(
            422,
            {
                "detail": [
                    {
                        "type": "enum",
                        "loc": ["query", "sort"],
                        "msg": "Input should be " + ", ".join(f"'{name}'" for name in SORTS),
                    }
                ]
            },
        )
    items = [(k, v) for k, v in ctx.params.multi_items() if k not in ("sort", "groupStatsPeriod")]
    return with_query(ctx, [*items, ("sort", SORTS[sort.lstrip("-")]), ("groupStatsPeriod", "")])


def _issue_list(handler: Handler) -> Handler:
    def answer(ctx: Ctx) -> Response:
        return handler(_sort_in_sentry_terms(ctx))

    answer.__name__ = handler.__name__
    return paged(answer, "limit", _issues)


def _legacy_issue(ctx: Ctx) -> Response:
    return rewrite_json(routes_issues.get_legacy_issue(ctx), _issue)


def _update_issue(ctx: Ctx) -> Response:
    return rewrite_json(routes_issues.update_issue(ctx), lambda body: snake_case(_issue(body)))


def _bulk_update(ctx: Ctx) -> Response:
    return rewrite_json(
        routes_issues.bulk_update_issues(ctx), lambda body: {"status": body.get("status"), "merge": None}
    )


def _event_item(item: Any) -> Any:
    if not isinstance(item, dict):
        return item
    item = {**item, "dateReceived": item.get("dateReceived", item.get("dateCreated"))}
    snake = snake_case({k: v for k, v in item.items() if k in EVENT_SNAKE_KEYS})
    return {**{k: v for k, v in item.items() if k not in EVENT_SNAKE_KEYS and k != "id"}, **snake}


def _latest_event(ctx: Ctx) -> Response:
    return rewrite_json(
        routes_issues.get_legacy_issue_event(ctx),
        lambda body: {k: v for k, v in body.items() if k != "release"},
    )


def _stats_v2(ctx: Ctx) -> Response:
    problems = [
        {"type": "missing", "loc": ["query", name], "msg": "Field required"}
        for name in ("start", "end")
        if not ctx.params.get(name)
    ]
    problems += [
        {"type": "extra_forbidden", "loc": ["query", name], "msg": "Extra inputs are not permitted"}
        for name in ("statsPeriod", "groupBy")
        if name in ctx.params
    ]
    if problems:
        raise ApiError(422, {"detail": problems})
    params: dict[str, list[str]] = {}
    for key, value in ctx.params.multi_items():
        params.setdefault(key, []).append(value)
    query = parse_stats_query({**params, "outcome": ["accepted"]}, project_filter(ctx), ctx.now)
    stats = compute_stats_v2(ctx.store, query)
    field = query.fields[0]
    series = [0] * len(stats.get("intervals", []))
    for group in stats.get("groups", []):
        series = [a + (b or 0) for a, b in zip(series, group.get("series", {}).get(field, []), strict=False)]
    groups = [{"series": {field: [value or None for value in series]}}]
    return JSONResponse({"intervals": stats.get("intervals", []), "groups": groups})


def adapt(routes: list[Route]) -> list[Route]:
    """The sentry flavor's (path, method, scopes, handler) routes as GlitchTip answers them."""
    replaced: dict[tuple[str, str], Handler | None] = {
        (f"{ORG}/issues/", "GET"): _issue_list(routes_issues.list_org_issues),
        ("/api/0/projects/{org}/{project}/issues/", "GET"): _issue_list(routes_issues.list_project_issues),
        (f"{ORG}/issues/", "PUT"): _bulk_update,
        (f"{ORG}/issues/{{issue_id}}/", "GET"): method_not_allowed,
        (f"{ORG}/issues/{{issue_id}}/", "PUT"): _update_issue,
        (f"{ORG}/issues/{{issue_id}}/events/", "GET"): html_error,
        (f"{ORG}/issues/{{issue_id}}/events/{{event_id}}/", "GET"): html_error,
        (f"{ORG}/shortids/{{issue_id}}/", "GET"): None,
        (f"{ORG}/stats_v2/", "GET"): _stats_v2,
        ("/api/0/issues/{issue_id}/", "GET"): _legacy_issue,
        ("/api/0/issues/{issue_id}/events/", "GET"): paged(
            routes_issues.list_legacy_issue_events, "per_page", lambda body: [_event_item(i) for i in body]
        ),
        ("/api/0/issues/{issue_id}/events/{event_id}/", "GET"): _latest_event,
    }
    adapted: list[Route] = []
    for path, method, scopes, handler in routes:
        chosen = replaced.get((path, method), handler)
        if chosen is not None:
            adapted.append((path, method, scopes, chosen))
    adapted.append(("/api/0/projects/{org}/{project}/stats/", "GET", PROJECT_READ, html_error))
    return adapted
