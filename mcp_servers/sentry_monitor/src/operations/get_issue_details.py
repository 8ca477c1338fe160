"""get-issue-details: one issue with its latest event's stack trace, in two concurrent requests."""

from __future__ import annotations

from typing import TypeVar

from pydantic import Field

from ..base.concurrency import gather_all, gather_two
from ..base.errors import EventNotFound, MissingScope, NotFound, ProjectNotAllowed, SentryMonitorError
from ..sentry import Params, models
from ..sentry.identifiers import issue_ref
from ..sentry.kinds import ServerKind
from ..sentry.responses import ApiResponse
from ..shared.events import EventInfo, crashing_frame, event_info
from ..shared.issues import IssueSummary, issue_summary
from ..shared.results import Result
from ..shared.text import event_lines, issue_line
from ._assignees import read_assignable, team_actor, user_actor
from ._issue_notes import comment_reads, latest_notes, note_lines
from ._issue_tags import tag_facts
from ._params import IssueIdParams
from .operation import Operation, OperationContext

MAX_TAGS = 10
T = TypeVar("T")
# How Sentry's `GroupOwner` types read.
OWNER_TYPES = {"ownershipRule": "ownership rule", "suspectCommit": "suspect commit", "codeowners": "code owners"}


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
    suggested_owners: list[str] = Field(default_factory=list, description="`owner (why)`.")
    notes: list[str] = Field(default_factory=list, description="The last 3 notes, newest first: 'when who: text'.")


class IssueDetails(Result):
    issue: IssueDetail
    latest_event: EventInfo | None = None


async def get_issue_details(ctx: OperationContext, params: IssueIdParams) -> IssueDetails:
    ref = issue_ref(params.issue_id, ctx.settings)
    await ctx.api.check_organization(ref.org, "issue_id")
    kind = await ctx.api.server_kind()
    expand: Params | None = {"expand": "owners"} if kind.assignees else None  # GlitchTip has no owners
    if ctx.settings.allowed_projects is None:  # all at once, then the owners' names when there are owners
        issue_response, event_and_tags = await gather_two(
            ctx.api.issue(ref.issue_id, expand), _event_and_tags(ctx, ref.issue_id, kind)
        )
        issue = _checked_issue(ctx, issue_response)
        owners: list[str] | Exception = await _suggested_owners(ctx, issue)
    else:  # the issue's project is checked before anything else of it is asked for
        issue = _checked_issue(ctx, await ctx.api.issue(ref.issue_id, expand))
        event_and_tags, owners = await gather_two(
            _event_and_tags(ctx, ref.issue_id, kind), _suggested_owners(ctx, issue)
        )
    event_response, tags, comments = _raised(event_and_tags)
    detail = _issue_detail(issue).model_copy(
        update={"suggested_owners": _raised(owners), "notes": latest_notes(ctx, issue, comments)}
    )
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


def _raised(outcome: T | Exception) -> T:
    """The outcome of a concurrent read, or its failure raised."""
    if isinstance(outcome, Exception):
        raise outcome
    return outcome


def _checked_issue(ctx: OperationContext, response: ApiResponse | Exception) -> models.Issue:
    if isinstance(response, Exception):
        raise response
    issue = models.Issue.model_validate(response.json_object("the issue"))
    ctx.api.check_issue_allowed(issue)
    return issue


Outcome = ApiResponse | Exception


async def _event_and_tags(
    ctx: OperationContext, issue_id: str, kind: ServerKind
) -> tuple[Outcome, Outcome | None, Outcome | None]:
    """The latest event and, where the issue itself lacks them (GlitchTip), its tags (users and releases) and its
    notes (comments): each its answer or its failure, None where not asked."""
    reads = [ctx.api.latest_event(issue_id)]
    if not kind.issue_releases:  # users and releases are in the issue's tags (GlitchTip)
        reads.append(ctx.api.issue_tags(issue_id))
    event_response, *rest = await gather_all(reads + comment_reads(ctx, kind, issue_id))
    tags = rest[0] if not kind.issue_releases else None
    comments = rest[-1] if not kind.notes_in_activity else None
    return event_response, tags, comments


async def _suggested_owners(ctx: OperationContext, issue: models.Issue) -> list[str]:
    """The issue's suggested owners by name, e.g. `ben@example.com (ownership rule)`, from one round of requests
    (the project's members and teams at once, only those needed); an owner without a name found keeps its id."""
    owners = [o for o in issue.owners if o.owner.startswith(("user:", "team:"))]
    slug = issue.project.slug if issue.project else None
    if not owners or not slug:
        return [f"{o.owner} ({OWNER_TYPES.get(o.type, o.type)})" for o in owners]
    names: dict[str, str] = {}
    try:
        assignable = await read_assignable(
            ctx,
            slug,
            users=any(o.owner.startswith("user:") for o in owners),
            teams=any(o.owner.startswith("team:") for o in owners),
        )
    except SentryMonitorError as failure:
        ctx.without(failure, "The suggested owners' names", also=(MissingScope, ProjectNotAllowed, NotFound))
    else:
        actors = [user_actor(u) for u in assignable.users] + [team_actor(t) for t in assignable.teams]
        names = {actor.assigned_to: actor.label for actor in actors}
    return [f"{names.get(o.owner, o.owner)} ({OWNER_TYPES.get(o.type, o.type)})" for o in owners]


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
    owner = issue.suggested_owners[0].rpartition(" (")[0] if issue.suggested_owners else ""
    if not issue.assignee and owner and not owner.startswith(("user:", "team:")):
        ctx.recommend(f"Give it to its suggested owner: assign-issue(issue_id='{ident}', assignee='{owner}').")
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
    if issue.suggested_owners:
        lines.append("  suggested owners: " + ", ".join(issue.suggested_owners))
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
        "Read one Sentry issue in depth: counts (lifetime, 24h, 30d), users, first/last seen and releases, top "
        "tags, assignee and suggested owners, its last 3 notes, and its latest event: its message (logged or "
        "captured), the exception chain with stack frames (crashing frame last, in-app frames marked, source lines), "
        "breadcrumbs, request, user, release, environment and contexts. `issue_id`: a numeric id, a short id "
        "(BACKEND-1A) or the issue's URL."
    ),
    params=IssueIdParams,
    result=IssueDetails,
    handler=get_issue_details,
    render=render_issue_details,
    scopes=("event:read",),
)
