"""update-issues: set the status or assignee of up to 100 issues in one request, after a dry run that says which
would change.

A dry run (the default) reads the issues, named by id or by a project's search, and answers which of them would
change and the numeric ids to pass to the real run; it writes nothing. A real run takes ids only: both servers'
bulk update changes every issue their search selects when no id is given, so it is never sent without ids. The
issues are read in one request (ids) before anything is sent, every issue's project is checked against the
allow-list, and only the issues not already as asked are sent, in one PUT. An assignee is looked up as
assign-issue does, in the project of every issue named, before anything is sent (`_bulk_change`).
"""

from __future__ import annotations

from typing import Literal

import anyio
from pydantic import Field, field_validator, model_validator

from mcp_servers.framework.contracts import SideEffect

from ..base.concurrency import gather_all
from ..base.errors import (
    InvalidParameter,
    IssueNotFound,
    ProjectNotAllowed,
    ProjectNotFound,
    TransientError,
)
from ..sentry import identifiers, models
from ..sentry.identifiers import issue_ref
from ..shared.issues import assignee_label, issue_summary
from ..shared.results import Result, table, text
from ._assignees import check_assignees_supported
from ._bulk_change import (
    STATUS_CHANGES,
    Update,
    after_state,
    assignee_everywhere,
    described,
    ident,
    recommend_undo,
)
from ._issue_list import SearchTerms
from .operation import Count, Operation, OperationContext, Parameters

MAX_ISSUES = 100
TITLE_CHARS = 80
SHORT_ID_LOOKUPS = 8  # short ids looked up at once
NewStatus = Literal["resolved", "ignored", "unresolved"]


class UpdateIssuesParams(Parameters):
    status: NewStatus | None = Field(default=None, description="The status to set.")
    assignee: str | None = Field(
        default=None, min_length=1, max_length=200, description="As assign-issue: email, username, id, me, #team, none."
    )
    issue_ids: list[str] | None = Field(default=None, description="Numeric ids best; short ids, URLs.")
    project_slug: str | None = Field(default=None, max_length=100, description="Dry run: project to search.")
    query: SearchTerms = Field(default=None, description="Dry run: search terms.")
    dry_run: bool = Field(default=True, description="Only say what would change.")
    max_issues: Count = Field(default=25, ge=1, le=MAX_ISSUES, description="At most this many issues.")

    @field_validator("project_slug")
    @classmethod
    def _slug(cls, value: str | None) -> str | None:
        return None if value is None else identifiers.project_slug(value)

    @model_validator(mode="after")
    def _one_selection(self) -> UpdateIssuesParams:
        if self.status is None and self.assignee is None:
            raise InvalidParameter("status", "Nothing to change: give a status, an assignee, or both.")
        if self.issue_ids is not None and (self.project_slug is not None or self.query is not None):
            raise InvalidParameter("issue_ids", "Give issue_ids, or project_slug with a query, not both.")
        if self.issue_ids is None and not self.dry_run:
            raise InvalidParameter(
                "issue_ids",
                "A real run (dry_run=false) takes issue_ids only: nothing was sent. Without ids Sentry would change "
                "every issue its search matches.",
                recovery="Run a dry run with project_slug and query, then pass the issue_ids it lists.",
            )
        if self.issue_ids is None and self.project_slug is None:
            raise InvalidParameter(
                "issue_ids" if self.query is None else "project_slug",
                "Name the issues: issue_ids, or project_slug (with a query) for a dry run.",
            )
        if self.issue_ids is not None and not self.issue_ids:
            raise InvalidParameter("issue_ids", "issue_ids is empty: name at least one issue.")
        given = len(dict.fromkeys(self.issue_ids or ()))
        if given > self.max_issues:
            raise InvalidParameter(
                "issue_ids",
                f"{given} issue ids given, more than max_issues ({self.max_issues}): nothing was sent.",
                recovery=f"Raise max_issues (at most {MAX_ISSUES}) or split the ids into several calls.",
                count=given,
                max_issues=self.max_issues,
            )
        return self


class IssueRow(Result):
    id: str = Field(description="Numeric issue id.")
    short_id: str | None = None
    title: str | None = None
    project: str | None = None
    status: str | None = None
    substatus: str | None = None
    assignee: str | None = None


class UpdateIssuesResult(Result):
    dry_run: bool
    status: str | None = None
    assignee: str | None = None  # the one asked for: an email or #team, or "none"
    changes: table(IssueRow, "Dry run: issues to change.") = Field(default_factory=list)  # type: ignore[valid-type]
    issue_ids: list[str] = Field(default_factory=list, description="Ids of `changes`.")
    unchanged: list[str] = Field(default_factory=list)
    not_found: list[str] = Field(default_factory=list)
    total_hits: int | None = Field(default=None, description="Issues the query matches, if more than read.")


def _row(issue: models.Issue) -> IssueRow:
    summary = issue_summary(issue)
    return IssueRow(
        id=issue.id,
        short_id=issue.short_id,
        title=text(issue.title, TITLE_CHARS),
        project=issue.project.slug if issue.project else None,
        status=issue.status,
        substatus=issue.substatus,
        assignee=summary.assignee,
    )


async def _read_by_ids(ctx: OperationContext, given: list[str]) -> tuple[list[models.Issue], list[str]]:
    """The issues named, in the order given, and the ids naming none. Numeric ids are read in one request; short
    ids and URLs are looked up first, side by side (the list by ids takes numeric ids only)."""
    refs = [issue_ref(value, ctx.settings, field="issue_ids") for value in dict.fromkeys(given)]
    for ref in refs:
        await ctx.api.check_organization(ref.org, "issue_ids")
    short = [ref.issue_id for ref in refs if not ref.issue_id.isdigit()]
    looked_up = dict(
        zip(short, await gather_all([ctx.api.issue(s) for s in short], limit=SHORT_ID_LOOKUPS), strict=True)
    )
    found: dict[str, models.Issue] = {}
    order: list[str] = []
    missing: list[str] = []
    for ref in refs:
        answer = looked_up.get(ref.issue_id)
        if answer is None:  # a numeric id: read with the others below
            order.append(ref.issue_id)
        elif isinstance(answer, IssueNotFound):
            missing.append(ref.issue_id)
        elif isinstance(answer, Exception):
            raise answer
        else:
            issue = models.Issue.model_validate(answer.json_object("the issue"))
            found[issue.id] = issue
            order.append(issue.id)
    numeric = [issue_id for issue_id in dict.fromkeys(order) if issue_id not in found]
    if numeric:
        for row in (await ctx.api.issues_by_id(numeric)).json_list("the issues by id"):
            issue = models.Issue.model_validate(row)
            found[issue.id] = issue
    missing += [issue_id for issue_id in numeric if issue_id not in found]
    return [found[issue_id] for issue_id in dict.fromkeys(order) if issue_id in found], missing


async def _read_by_query(ctx: OperationContext, params: UpdateIssuesParams) -> tuple[list[models.Issue], int | None]:
    """Up to max_issues issues of the project matching the query (every status unless the query says), newest
    activity first, in one request; and how many match in all."""
    assert params.project_slug is not None
    project_id = await ctx.api.project_id(params.project_slug)
    response = await ctx.api.issue_list(
        {
            "project": [project_id],
            "query": params.query or "",
            "sort": "date",
            "limit": params.max_issues,
            "collapse": ["stats", "lifetime", "filtered"],
        },
        not_found=ProjectNotFound,
        bad_request_field="query" if params.query else "project_slug",
        project=params.project_slug,
        shows_users=False,  # its rows have no user counts
    )
    issues = [models.Issue.model_validate(row) for row in response.json_list("the issue list")]
    return issues[: params.max_issues], response.total_hits


def _check_allowed(ctx: OperationContext, issues: list[models.Issue]) -> None:
    """Refuse the whole call when any issue's project is outside the allow-list, naming every such issue."""
    refused: list[tuple[models.Issue, ProjectNotAllowed]] = []
    for issue in issues:
        try:
            ctx.api.check_issue_allowed(issue)
        except ProjectNotAllowed as exc:
            refused.append((issue, exc))
    if not refused:
        return
    first = refused[0][1]
    if len(refused) == 1:
        message = first.message
    else:
        projects = sorted({str(exc.details.get("project")) for _, exc in refused})
        allowed = ", ".join(first.details.get("allowed_projects") or [])
        message = (
            f"Issues {', '.join(ident(issue) for issue, _ in refused)} belong to project(s) "
            f"{', '.join(projects)}, outside this server's allowed projects ({allowed})."
        )
    raise ProjectNotAllowed(
        message + " Nothing was changed.",
        recovery="Leave those issues out of issue_ids, or add their project to SENTRY_MONITOR_ALLOWED_PROJECTS.",
        issues=[ident(issue) for issue, _ in refused],
        project=first.details.get("project"),
        allowed_projects=first.details.get("allowed_projects"),
    )


async def update_issues(ctx: OperationContext, params: UpdateIssuesParams) -> UpdateIssuesResult:
    if params.assignee is not None:
        await check_assignees_supported(ctx, "assignee")  # GlitchTip: before any request
    total_hits: int | None = None
    missing: list[str] = []
    if params.issue_ids is not None:
        issues, missing = await _read_by_ids(ctx, params.issue_ids)
    else:
        issues, total_hits = await _read_by_query(ctx, params)
    _check_allowed(ctx, issues)
    if missing and not params.dry_run:
        raise IssueNotFound(
            f"No issue {', '.join(missing)} that this token can see: nothing was changed.",
            recovery="Leave those ids out (a dry run lists what each id names), then call again.",
            issue_ids=missing,
        )
    if missing:
        ctx.warn(f"Not found (left out): {', '.join(missing)}.")
    update = Update(STATUS_CHANGES[params.status] if params.status else None)
    if params.assignee is not None and issues:  # no issue found: no project to look the assignee up in
        update = Update(update.status, assigning=True, actor=await assignee_everywhere(ctx, params.assignee, issues))
    to_change = [issue for issue in issues if not update.done(issue)]
    result = UpdateIssuesResult(
        dry_run=params.dry_run,
        status=params.status,
        assignee=update.assignee if update.assigning else params.assignee,
        # A real run's side effects name each issue changed and its state before: not said twice.
        changes=[_row(issue) for issue in to_change] if params.dry_run else [],
        issue_ids=[issue.id for issue in to_change],
        unchanged=[ident(issue) for issue in issues if update.done(issue)],
        not_found=missing,
        total_hits=total_hits if total_hits is not None and total_hits > len(issues) else None,
    )
    if params.dry_run or not to_change:
        return result
    await _write(ctx, update, to_change, params)
    return result


async def _write(ctx: OperationContext, update: Update, issues: list[models.Issue], params: UpdateIssuesParams) -> None:
    """One PUT for the issues, one side effect per issue changed, and how to undo it."""
    idents = ", ".join(ident(issue) for issue in issues)
    try:
        response = await ctx.api.update_issues([issue.id for issue in issues], update.body())
    except (TransientError, anyio.get_cancelled_exc_class()):
        asked = (f", status='{params.status}'" if params.status else "") + (
            f", assignee='{params.assignee}'" if params.assignee is not None else ""
        )
        ctx.warn(
            f"The request to make {idents} {update.target} may or may not have reached Sentry, so each of them may "
            f"or may not have changed; check with update-issues(issue_ids={[issue.id for issue in issues]}{asked}) "
            "(a dry run) before calling again (doing it twice changes nothing)."
        )
        raise
    delta = response.data if isinstance(response.data, dict) else None
    if delta is None:  # Sentry's 204: none of the ids matched any more (deleted or moved since they were read)
        ctx.warn(f"Sentry answered that none of {idents} matched any more: nothing was changed.", partial=True)
        return
    after = after_state(ctx, update, delta, params.status)
    for issue in issues:
        before: dict[str, object] = {}
        if update.status:
            before |= {"status": issue.status, "substatus": issue.substatus}
        if update.assigning:
            before["assignee"] = assignee_label(issue.assigned_to)
        ctx.side_effects.append(
            SideEffect(
                kind="issue_status_changed"
                if not update.assigning
                else "issue_updated"
                if update.status
                else "issue_assigned",
                target=f"issue:{ident(issue)}",
                before=before,
                after=after,
                description=described(update, issue),
            )
        )
    recommend_undo(ctx, update, issues)


def render_update_issues(result: UpdateIssuesResult) -> str:
    """The dry run's or the change's summary, one issue a line, and what to call next."""
    changing = result.changes
    count = len(result.issue_ids)
    considered = count + len(result.unchanged)
    target = _target_text(result)
    if result.dry_run:
        lines = [f"Dry run: {count} of {considered} issues would become {target}" + (":" if count else ".")]
    else:  # each issue changed is in a side effect, told after this
        lines = [f"{count} of {considered} issues are now {target}."]
    lines += [
        f"{row.short_id or row.id} ({row.status or '?'}{'/' + row.substatus if row.substatus else ''}"
        f"{', ' + row.assignee if row.assignee else ''}) {row.title or ''}".rstrip()
        for row in changing
    ]
    if result.unchanged:
        lines.append(f"{len(result.unchanged)} already {target}: {', '.join(result.unchanged)}.")
    if result.not_found:
        lines.append(f"Not found: {', '.join(result.not_found)}.")
    if result.total_hits is not None:
        lines.append(f"{result.total_hits} issues match in all; only {considered} were read (max_issues).")
    if result.dry_run and result.issue_ids:
        lines.append(f"Run again with dry_run=false and issue_ids={result.issue_ids}.")
    return "\n".join(lines)


def _target_text(result: UpdateIssuesResult) -> str:
    parts = [result.status] if result.status else []
    if result.assignee is not None:
        parts.append("unassigned" if result.assignee == "nobody" else f"assigned to {result.assignee}")
    return " and ".join(parts)


OPERATION = Operation(
    name="update-issues",
    title="Update issues (bulk)",
    description=(
        "Set the status and/or assignee of up to 100 issues in one request. dry_run (default) lists which would "
        "change and their ids, by issue_ids or project_slug+query; dry_run=false takes issue_ids only. ignored = "
        "archived forever (conditions: ignore-issue). Needs event:write."
    ),
    params=UpdateIssuesParams,
    result=UpdateIssuesResult,
    handler=update_issues,
    render=render_update_issues,
    scopes=("event:read", "event:write", "project:read"),
    read_only=False,
    destructive=False,
    idempotent=True,
    main_list="changes",
    cut_hint="Lower max_issues or pass fewer issue_ids to see them.",
)
