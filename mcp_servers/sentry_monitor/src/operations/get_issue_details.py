"""get-issue-details: one issue with its latest event's stack trace, in two concurrent requests."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from .. import models, render
from ..concurrency import gather_two
from ..errors import EventNotFound
from ..identifiers import issue_ref
from ..operation import Operation, OperationContext, Result
from ..responses import ApiResponse
from ..results import (
    MAX_BREADCRUMBS,
    ExceptionInfo,
    IssueSummary,
    UserInfo,
    crashing_in_app_frame,
    exceptions_of,
    issue_summary,
    text,
    user_info,
)
from ._params import IssueIdParams

MAX_CONTEXT_VALUES = 6


class TopTag(Result):
    key: str
    total_values: int


class IssueDetail(IssueSummary):
    count_24h: int | None = Field(description="Events in the last 24 hours.")
    count_30d: int | None = Field(description="Events in the last 30 days.")
    first_release: str | None
    last_release: str | None
    top_tags: list[TopTag]


class Breadcrumb(Result):
    timestamp: str | None
    category: str | None
    level: str | None
    message: str | None


class RequestInfo(Result):
    url: str | None
    method: str | None


class EventInfo(Result):
    event_id: str
    timestamp: str | None
    exceptions: list[ExceptionInfo] = Field(description="The raised exception first, then its causes.")
    breadcrumbs: list[Breadcrumb] = Field(description="The last breadcrumbs before the error, oldest first.")
    request: RequestInfo | None
    user: UserInfo | None
    release: str | None
    environment: str | None
    contexts: dict[str, dict[str, str]] = Field(description="Runtime, OS, browser... as name/version pairs.")


class IssueDetails(Result):
    issue: IssueDetail
    latest_event: EventInfo | None


async def get_issue_details(ctx: OperationContext, params: IssueIdParams) -> IssueDetails:
    ref = issue_ref(params.issue_id, ctx.settings)
    await ctx.api.check_organization(ref.org, "issue_id")
    if ctx.settings.allowed_projects is None:  # both at once
        issue_response, event_response = await gather_two(
            ctx.api.issue(ref.issue_id), ctx.api.latest_event(ref.issue_id)
        )
    else:  # the issue's project is checked before anything else of it is asked for
        issue_response, event_response = await ctx.api.issue(ref.issue_id), None
    if isinstance(issue_response, BaseException):
        raise issue_response
    issue = models.Issue.model_validate(issue_response.json_object("the issue"))
    ctx.api.check_issue_allowed(issue)
    if event_response is None:
        try:
            event_response = await ctx.api.latest_event(ref.issue_id)
        except EventNotFound as missing:
            event_response = missing
    detail = _issue_detail(issue)
    latest = None
    if isinstance(event_response, EventNotFound):
        ctx.warn("The issue has no event left within retention, so no stack trace is shown.", partial=True)
    elif isinstance(event_response, BaseException):
        raise event_response
    else:
        latest = event_info(ctx, event_response)
    result = IssueDetails(issue=detail, latest_event=latest)
    _recommend(ctx, result)
    return result


def _issue_detail(issue: models.Issue) -> IssueDetail:
    return IssueDetail(
        **issue_summary(issue).model_dump(),
        count_24h=issue.series_total("24h"),
        count_30d=issue.series_total("30d"),
        first_release=issue.first_release.version if issue.first_release else None,
        last_release=issue.last_release.version if issue.last_release else None,
        top_tags=[
            TopTag(key=tag.key, total_values=tag.total_values)
            for tag in sorted(issue.tags, key=lambda tag: -tag.total_values)[:10]
        ],
    )


def event_info(ctx: OperationContext, response: ApiResponse, what: str = "the latest event") -> EventInfo:
    """One event as get-issue-details (its latest) and get-event (any) show it."""
    event = models.Event.model_validate(response.json_object(what))
    exceptions, warnings = exceptions_of(event)
    for warning in warnings:
        ctx.warn(warning)
    crumbs = [c for c in (event.entry("breadcrumbs") or {}).get("values") or [] if isinstance(c, dict)]
    if len(crumbs) > MAX_BREADCRUMBS:
        ctx.warn(f"Only the last {MAX_BREADCRUMBS} of {len(crumbs)} breadcrumbs are shown.")
    request = event.entry("request")
    return EventInfo(
        event_id=event.key,
        timestamp=event.date_created,
        exceptions=exceptions,
        breadcrumbs=[_breadcrumb(crumb) for crumb in crumbs[-MAX_BREADCRUMBS:]],
        request=RequestInfo(url=text(request.get("url")), method=text(request.get("method"))) if request else None,
        user=user_info(event.user),
        release=event.release.version if event.release else event.tag("release"),
        environment=event.tag("environment"),
        contexts=_contexts(event.contexts),
    )


def _breadcrumb(crumb: dict[str, Any]) -> Breadcrumb:
    message = crumb.get("message")
    data = crumb.get("data")
    if not message and isinstance(data, dict):
        message = " ".join(str(data[key]) for key in ("method", "url", "status_code") if data.get(key) is not None)
    return Breadcrumb(
        timestamp=text(crumb.get("timestamp")),
        category=text(crumb.get("category")),
        level=text(crumb.get("level")),
        message=text(message, 300) or None,
    )


def _contexts(contexts: dict[str, Any]) -> dict[str, dict[str, str]]:
    """Keep each context's short scalar facts (name, version, ...), never large or nested payloads."""
    kept: dict[str, dict[str, str]] = {}
    for name, values in contexts.items():
        if not isinstance(values, dict) or name == "trace":
            continue
        facts = {
            key: str(value)[:120]
            for key, value in values.items()
            if isinstance(value, str | int | float | bool) and key != "type"
        }
        if facts:
            kept[name] = dict(list(facts.items())[:MAX_CONTEXT_VALUES])
    return kept


def _recommend(ctx: OperationContext, result: IssueDetails) -> None:
    issue = result.issue
    ident = ctx.api.issue_label(issue.short_id, issue.id)
    frame = crashing_in_app_frame(result.latest_event.exceptions) if result.latest_event else None
    if frame is not None:
        ctx.recommend(f"Start at {frame.filename}:{frame.line} in {frame.function} (the crashing in-app frame).")
    ctx.recommend(f"See how often and for whom it happens: get-error-events(issue_id='{ident}').")
    if issue.status == "unresolved":
        ctx.recommend(f"Once a fix is deployed, call resolve-issue(issue_id='{ident}').")


OPERATION = Operation(
    name="get-issue-details",
    title="Get issue details",
    description=(
        "Read one Sentry issue in depth: counts (lifetime, 24h, 30d), users, first/last seen and releases, top "
        "tags, and its latest event: the exception chain with stack frames (crashing frame last, in-app frames "
        "marked, source lines), breadcrumbs, request, user, release, environment and contexts. Use it to "
        "understand why an issue happens. `issue_id`: a numeric id, a short id (BACKEND-1A) or the issue's URL."
    ),
    params=IssueIdParams,
    result=IssueDetails,
    handler=get_issue_details,
    render=render.issue_details,
    scopes=("event:read",),
)
