"""get-issue-details: one issue with its latest event's stack trace, in two concurrent requests."""

from __future__ import annotations

from pydantic import Field

from ..base.concurrency import gather_all
from ..base.errors import EventNotFound
from ..sentry import models
from ..sentry.identifiers import issue_ref
from ..sentry.responses import ApiResponse
from ..shared.events import EventInfo, crashing_frame, event_info
from ..shared.issues import IssueSummary, issue_summary
from ..shared.results import Result
from ..shared.text import event_lines, issue_line
from ._issue_notes import comment_reads, latest_notes, note_lines
from ._issue_tags import tag_facts
from ._params import IssueIdParams
from .operation import Operation, OperationContext

MAX_TAGS = 10


class IssueDetail(IssueSummary):
    count_24h: int | None = Field(default=None, description="Events in the last 24 hours.")
    count_30d: int | None = Field(default=None, description="Events in the last 30 days.")
    first_release: str | None = None
    last_release: str | None = None
    top_tags: dict[str, int] = Field(
        default_factory=dict,
        description="Tag keys on the issue's events, with how many values each has.",
    )
    releases: dict[str, int] = Field(
        default_factory=dict, description="Events per release, where the server names no first and last release."
    )
    notes: list[str] = Field(default_factory=list, description="The last 3 notes, newest first: 'when who: text'.")


class IssueDetails(Result):
    issue: IssueDetail
    latest_event: EventInfo | None = None


async def get_issue_details(ctx: OperationContext, params: IssueIdParams) -> IssueDetails:
    ref = issue_ref(params.issue_id, ctx.settings)
    await ctx.api.check_organization(ref.org, "issue_id")
    kind = await ctx.api.server_kind()
    tags: ApiResponse | Exception | None = None
    comments: ApiResponse | Exception | None = None
    if ctx.settings.allowed_projects is None:  # all at once
        reads = [ctx.api.issue(ref.issue_id), ctx.api.latest_event(ref.issue_id)]
        if not kind.issue_releases:  # users and releases are in the issue's tags (GlitchTip)
            reads.append(ctx.api.issue_tags(ref.issue_id))
        issue_response, event_response, *rest = await gather_all(reads + comment_reads(ctx, kind, ref.issue_id))
        tags = rest[0] if not kind.issue_releases else None
        comments = rest[-1] if not kind.notes_in_activity else None
    else:  # the issue's project is checked before anything else of it is asked for
        issue_response, event_response = await ctx.api.issue(ref.issue_id), None
    if isinstance(issue_response, BaseException):
        raise issue_response
    issue = models.Issue.model_validate(issue_response.json_object("the issue"))
    ctx.api.check_issue_allowed(issue)
    if event_response is None:
        reads = [ctx.api.latest_event(ref.issue_id)]
        if not kind.issue_releases:
            reads.append(ctx.api.issue_tags(ref.issue_id))
        event_response, *rest = await gather_all(reads + comment_reads(ctx, kind, issue.id))
        tags = rest[0] if not kind.issue_releases else None
        comments = rest[-1] if not kind.notes_in_activity else None
    detail = _issue_detail(issue)
    detail.notes = latest_notes(ctx, issue, comments)
    if tags is not None:
        detail = _with_tags(ctx, detail, ctx.without(tags, "The issue's users and releases (its tags)"))
    latest = None
    if isinstance(event_response, EventNotFound):
        ctx.warn("The issue has no event left within retention, so no stack trace is shown.", partial=True)
    elif isinstance(event_response, BaseException):
        raise event_response
    else:
        latest, warnings = event_info(event_response)
        for warning in warnings:
            ctx.warn(warning)
        latest = _without_title(latest, detail.title)
        if tags is not None and latest.release and not detail.last_release:
            detail.last_release = latest.release  # the latest event's release is the issue's last
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
        top_tags={
            tag.key: tag.total_values for tag in sorted(issue.tags, key=lambda tag: -tag.total_values)[:MAX_TAGS]
        },
    )


def _with_tags(ctx: OperationContext, detail: IssueDetail, tags: ApiResponse | None) -> IssueDetail:
    """The issue with its user count, tags and releases from its tags, on a server whose issues lack them."""
    if tags is None:
        return detail
    facts = tag_facts(tags)
    if facts.users is not None:
        ctx.warn(f"Users counted from the issue's user tags ({facts.users}): this server keeps no user count.")
    first = next(iter(facts.releases)) if len(facts.releases) == 1 else None
    return detail.model_copy(
        update={"user_count": facts.users, "top_tags": facts.top, "releases": facts.releases, "first_release": first}
    )


def _without_title(event: EventInfo, title: str) -> EventInfo:
    """The event with its raised exception's type and value left out when they make up the issue's title."""
    raised = event.exceptions[0] if event.exceptions else None
    if raised is None or title not in (f"{raised.type}: {raised.value}", raised.type):
        return event
    said = raised.model_copy(update={"type": None, "value": None})
    return event.model_copy(update={"exceptions": [said, *event.exceptions[1:]]})


def _recommend(ctx: OperationContext, result: IssueDetails) -> None:
    issue = result.issue
    ident = ctx.api.issue_label(issue.short_id, issue.id)
    raised = result.latest_event.exceptions[0] if result.latest_event and result.latest_event.exceptions else None
    frame = crashing_frame(raised) if raised else None
    if frame is not None:
        ctx.recommend(f"Start at {frame}, the crashing in-app frame.")
    ctx.recommend(f"See how often and for whom it happens: get-error-events(issue_id='{ident}').")
    if issue.status == "unresolved":
        ctx.recommend(f"Once a fix is deployed, call resolve-issue(issue_id='{ident}').")


def render_issue_details(result: IssueDetails) -> str:
    issue = result.issue
    lines = [issue_line(issue, link=True)]
    counts = [
        f"24h: {issue.count_24h}" if issue.count_24h is not None else "",
        f"30d: {issue.count_30d}" if issue.count_30d is not None else "",
        f"releases {issue.first_release} -> {issue.last_release}" if issue.first_release else "",
    ]
    if any(counts):
        lines.append("  " + "; ".join(part for part in counts if part))
    if issue.releases:
        lines.append(
            "  events per release: " + ", ".join(f"{name} ({count})" for name, count in issue.releases.items())
        )
    if issue.top_tags:
        lines.append("  tags: " + ", ".join(f"{key} ({values})" for key, values in list(issue.top_tags.items())[:6]))
    lines.extend(note_lines(issue.notes))
    if result.latest_event is not None:
        lines.extend(event_lines(result.latest_event, "Latest event", title=issue.title))
    return "\n".join(lines)


OPERATION = Operation(
    name="get-issue-details",
    title="Get issue details",
    description=(
        "Read one Sentry issue in depth: counts (lifetime, 24h, 30d), users, first/last seen and releases, top "
        "tags, its last 3 notes, and its latest event: its message (logged or captured), the exception chain with "
        "stack frames (crashing frame last, in-app frames marked, source lines), breadcrumbs, request, user, release, "
        "environment and contexts. Use it to see why an issue happens. `issue_id`: numeric id, short id "
        "(BACKEND-1A) or URL."
    ),
    params=IssueIdParams,
    result=IssueDetails,
    handler=get_issue_details,
    render=render_issue_details,
    scopes=("event:read",),
)
