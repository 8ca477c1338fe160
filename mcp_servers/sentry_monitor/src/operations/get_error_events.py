"""get-error-events: the events of one issue, newest first (up to 250 a call, read 100 a request)."""

from __future__ import annotations

from collections import Counter

from pydantic import Field

from ..sentry import models
from ..sentry.identifiers import issue_ref
from ..shared.events import UserInfo, log_message, user_info
from ..shared.results import Result, Timestamp, table, text
from ..shared.text import message_line, user_label, when
from ._issue_scope import read_within_allowed
from ._params import Cursor, IssueIdParams
from .operation import Count, Operation, OperationContext
from .paging import PagedResult, read_pages

MAX_LIMIT = 250


class GetErrorEventsParams(IssueIdParams):
    limit: Count = Field(default=10, ge=1, le=MAX_LIMIT, description=f"How many events (1-{MAX_LIMIT}).")
    cursor: Cursor = None


class EventSummary(Result):
    event_id: str
    timestamp: Timestamp | None = None
    title: str
    message: str | None = Field(default=None, description="The logged or captured message, where the title is not it.")
    environment: str | None = None
    release: str | None = None
    user: UserInfo | None = None
    location: str | None = Field(default=None, description="File (and line) where the error was raised, when known.")


class ErrorEvents(PagedResult):
    events: table(EventSummary, "The events, newest first.") = Field(default_factory=list)  # type: ignore[valid-type]


async def get_error_events(ctx: OperationContext, params: GetErrorEventsParams) -> ErrorEvents:
    ref = issue_ref(params.issue_id, ctx.settings)
    await ctx.api.check_organization(ref.org, "issue_id")
    pages, issue = await read_within_allowed(
        ctx,
        ref.issue_id,
        lambda: read_pages(
            ctx,
            lambda page: ctx.api.issue_events(ref.issue_id, page),
            {},
            want=params.limit,
            size_param="per_page",
            noun="events",
            cursor=params.cursor,
        ),
    )
    events = [_summary(models.Event.model_validate(row)) for row in pages.rows]
    result = ErrorEvents(events=events, next_cursor=pages.next_cursor).resuming(pages)
    _recommend(ctx, ctx.api.issue_label(issue.short_id, issue.id) if issue else ref.issue_id, result)
    return result


def _summary(event: models.Event) -> EventSummary:
    title = text(event.title) or ""
    message = log_message(event)
    return EventSummary(
        event_id=event.key,
        timestamp=event.date_created,
        title=title,
        message=message if message != title else None,
        environment=event.tag("environment"),
        release=event.release.version if event.release else event.tag("release"),
        user=user_info(event.user),
        location=text(event.location),
    )


def _recommend(ctx: OperationContext, label: str, result: ErrorEvents) -> None:
    if not result.events:
        ctx.recommend("No events within retention: the issue may be old; check get-issue-details for its counts.")
        return
    releases = Counter(event.release for event in result.events if event.release)
    environments = Counter(event.environment for event in result.events if event.environment)
    users = {user_label(event.user) for event in result.events if user_label(event.user)}
    spread = []
    if releases:
        spread.append(f"releases {', '.join(f'{name} ({n})' for name, n in releases.most_common(3))}")
    if environments:
        spread.append(f"environments {', '.join(f'{name} ({n})' for name, n in environments.most_common(3))}")
    if spread:
        ctx.recommend(f"These {len(result.events)} events span {'; '.join(spread)} and {len(users)} user(s).")
    ctx.recommend(f"Read the full stack trace with get-issue-details(issue_id='{label}').")


def render_error_events(result: ErrorEvents) -> str:
    if not result.events:
        return "No events."
    lines = [f"{len(result.events)} events, newest first:"]
    for event in result.events:
        user = user_label(event.user)
        facts = ", ".join(
            part for part in (event.environment, event.release, user and f"user {user}", event.location) if part
        )
        lines.append(f"- {when(event.timestamp)} {event.event_id}: {event.title}" + (f" ({facts})" if facts else ""))
        if event.message:
            lines.append(f"  {message_line(event.message)}")
    if result.next_cursor:
        lines.append(f"More: cursor={result.next_cursor}")
    return "\n".join(lines)


OPERATION = Operation(
    name="get-error-events",
    title="Get error events",
    description=(
        "List the events (occurrences) of one Sentry issue, newest first: id, time, title, message, environment, "
        "release, user and location, to see whether it hits one release, environment or user or many. `issue_id`: "
        "numeric id, short id or URL. Up to 250 per call; page with `cursor`. For a stack trace use "
        "get-issue-details or get-event."
    ),
    params=GetErrorEventsParams,
    result=ErrorEvents,
    handler=get_error_events,
    render=render_error_events,
    scopes=("event:read",),
    main_list="events",
)
