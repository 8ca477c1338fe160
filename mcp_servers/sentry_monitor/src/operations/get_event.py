"""get-event: one specific event of an issue, shown as get-issue-details shows the latest one."""

from __future__ import annotations

from pydantic import Field, field_validator

from ..base.errors import EventNotFound
from ..sentry import models
from ..sentry.identifiers import event_id, issue_ref
from ..sentry.responses import ApiResponse
from ..shared.events import EventInfo, event_info
from ..shared.results import Result
from ..shared.text import event_lines
from ._issue_scope import read_within_allowed
from ._params import IssueIdParams
from .operation import Operation, OperationContext
from .paging import read_pages

NAMED_EVENTS = ("latest", "oldest", "recommended")
OLDEST_SEARCHED = 500


class GetEventParams(IssueIdParams):
    event_id: str = Field(
        min_length=1,
        max_length=40,
        description="The event's 32-character id (from get-error-events), or latest, oldest or recommended.",
    )

    @field_validator("event_id")
    @classmethod
    def _event(cls, value: str) -> str:
        lowered = value.strip().lower()
        return lowered if lowered in NAMED_EVENTS else event_id(value)


class EventDetail(Result):
    issue_id: str = Field(description="The issue the event belongs to, as Sentry names it (short id if known).")
    event: EventInfo


async def get_event(ctx: OperationContext, params: GetEventParams) -> EventDetail:
    ref = issue_ref(params.issue_id, ctx.settings)
    await ctx.api.check_organization(ref.org, "issue_id")
    response, issue = await read_within_allowed(ctx, ref.issue_id, lambda: _read(ctx, ref.issue_id, params.event_id))
    ident = ctx.api.issue_label(issue.short_id, issue.id) if issue is not None else ref.issue_id
    event, warnings = event_info(response, f"event {params.event_id}")
    for warning in warnings:
        ctx.warn(warning)
    ctx.recommend(f"The issue's counts and spread: get-issue-details(issue_id='{ident}').")
    ctx.recommend(f"Other events of it: get-error-events(issue_id='{ident}').")
    return EventDetail(issue_id=ident, event=event)


async def _read(ctx: OperationContext, issue_id: str, event_id: str) -> ApiResponse:
    """The event; where the server names no `oldest` or `recommended` event (GlitchTip, older Sentry), the oldest
    comes from the events list and the recommended one is the latest, with a warning."""
    kind = await ctx.api.server_kind()
    if event_id == "oldest" and "oldest" not in kind.named_events:
        return await ctx.api.issue_event(issue_id, await _oldest_listed(ctx, issue_id))
    if event_id == "recommended" and "recommended" in kind.named_events:
        try:
            return await ctx.api.issue_event(issue_id, event_id)
        except EventNotFound:  # an older Sentry has no recommended event; the latest is the nearest
            pass
    elif event_id != "recommended":
        return await ctx.api.issue_event(issue_id, event_id)
    ctx.warn("This server names no recommended event, so the latest event is shown.")
    return await ctx.api.latest_event(issue_id)


async def _oldest_listed(ctx: OperationContext, issue_id: str) -> str:
    """The id of the oldest event the events list reaches (newest first, `OLDEST_SEARCHED` at the most)."""
    pages = await read_pages(
        ctx,
        lambda page: ctx.api.issue_events(issue_id, page),
        {},
        want=OLDEST_SEARCHED,
        size_param="per_page",
        noun="events",
        report_pages=False,
    )
    if not pages.rows:
        raise EventNotFound("The issue has no event left within retention.")
    if pages.next_cursor:
        ctx.warn(
            f"This server names no oldest event: shown is the oldest of the latest {len(pages.rows)} events; older "
            "ones exist."
        )
    last = models.Event.model_validate(pages.rows[-1])
    return last.key


def render_event(result: EventDetail) -> str:
    return "\n".join(event_lines(result.event, f"Event of {result.issue_id}"))


OPERATION = Operation(
    name="get-event",
    title="Get event",
    description=(
        "Read one particular event of a Sentry issue, shown as get-issue-details shows the latest: message, "
        "exception chain with stack frames, breadcrumbs, request, user, release, environment, contexts. "
        "`event_id`: an id from get-error-events, or latest, oldest, recommended. `issue_id`: numeric id, short id "
        "or URL."
    ),
    params=GetEventParams,
    result=EventDetail,
    handler=get_event,
    render=render_event,
    scopes=("event:read",),
)
