"""What resolve-issue, ignore-issue and unresolve-issue share: read, check, one PUT, record the change.

Each reads the issue first (so the project allow-list is checked and the change is recorded with its
before and after), skips the PUT when the issue is already as asked, and sends the PUT to the numeric id
Sentry returned, never to re-parsed input. A PUT that fails transiently or runs into the deadline is
reported as possibly applied.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import anyio
from pydantic import Field

from mcp_servers.framework.contracts import SideEffect

from ..base.errors import InvalidParameter, TransientError, UnsupportedByServer
from ..sentry import models
from ..shared.results import Result
from ._issue_scope import read_allowed_issue
from .operation import OperationContext


class IssueState(Result):
    id: str
    short_id: str | None = None
    status: str | None = None
    substatus: str | None = None
    status_details: dict[str, Any] = Field(
        default_factory=dict, description="Sentry's statusDetails, e.g. ignoreUntil or inNextRelease."
    )


class ChangedIssue(Result):
    issue: IssueState = Field(description="The issue's state after the call.")
    changed: bool = Field(description="False when the issue was already as asked and nothing was sent.")


@dataclass(frozen=True)
class Change:
    """One status change: the body to send, how to say it, and when the issue already is that way."""

    verb: str  # "resolve", "ignore", "unresolve"
    body: Mapping[str, Any]
    done: Callable[[models.Issue], bool]
    describe: str  # e.g. "Resolved" / "Archived until 100 more events"
    # A body to send instead when Sentry refuses `body` for this issue's project with a 400 saying one of
    # `fallback_when` (a project without releases), and the warning that says so. What differs between servers
    # (older substatus names) is the client's business: `SentryApi.update_issue`.
    fallback: Mapping[str, Any] | None = None
    fallback_when: tuple[str, ...] = ()
    fallback_warning: str = ""
    # The parameter a 400 on this body most likely refers to (what the caller chose, not the issue itself).
    field: str = "issue_id"
    # A condition the change carries (e.g. "until escalating"), which a server that keeps none would drop.
    condition: str | None = None


def state_of(issue: models.Issue) -> IssueState:
    return IssueState(
        id=issue.id,
        short_id=issue.short_id,
        status=issue.status,
        substatus=issue.substatus,
        status_details={k: v for k, v in issue.status_details.items() if k != "actor"},
    )


async def change_status(ctx: OperationContext, issue_id: str, change: Change) -> tuple[ChangedIssue, models.Issue]:
    """Apply `change` to the issue named by `issue_id`; returns the result and the issue as first read."""
    kind = await ctx.api.server_kind()
    if change.condition and not kind.keeps_ignore_conditions:
        raise UnsupportedByServer(
            f"{kind.name} keeps no condition on an issue's status, so '{change.condition}' would be dropped: "
            "nothing was sent.",
            recovery=f"{change.verb.capitalize()} it without the condition, or leave it as it is.",
            capability=change.condition,
            field=change.field,
        )
    current = await read_allowed_issue(ctx, issue_id)
    before = state_of(current)
    ident = before.short_id or before.id
    if change.done(current):
        ctx.warn(f"{ident} is already {_state_text(before)}; nothing was changed.")
        return ChangedIssue(issue=before, changed=False), current
    try:
        try:
            response = await ctx.api.update_issue(current.id, dict(change.body), bad_request_field=change.field)
        except InvalidParameter as refused:
            if change.fallback is None or not any(word in refused.message for word in change.fallback_when):
                raise
            ctx.warn(change.fallback_warning)
            response = await ctx.api.update_issue(current.id, dict(change.fallback), bad_request_field=change.field)
    except (TransientError, anyio.get_cancelled_exc_class()):
        warn_maybe_sent(ctx, f"{change.verb} {ident}", before.short_id, before.id)
        raise
    updated = models.Issue.model_validate(response.data) if isinstance(response.data, dict) else None
    if updated is not None:
        _check_condition_kept(ctx, change, updated)
    after = (
        state_of(updated)
        if updated is not None  # a server that answers without a body: the status asked for, nothing else known
        else before.model_copy(update={"status": change.body["status"], "substatus": None, "status_details": {}})
    )
    ctx.side_effects.append(
        SideEffect(
            kind="issue_status_changed",
            target=f"issue:{ident}",
            before={"status": before.status, "substatus": before.substatus},  # both, for an undo
            after={"status": after.status, "substatus": after.substatus},
            description=f"{change.describe} {ident} (was {_state_text(before)}).",
        )
    )
    return ChangedIssue(issue=after, changed=True), current


def warn_maybe_sent(ctx: OperationContext, what: str, short_id: str | None, issue_id: str) -> None:
    """Say that a write (`what`, e.g. "resolve BACKEND-1") failed transiently, so may or may not have been applied."""
    ctx.warn(
        f"The request to {what} may or may not have reached Sentry; check with "
        f"get-issue-details(issue_id='{ctx.api.issue_label(short_id, issue_id)}') before calling again "
        "(doing it twice changes nothing)."
    )


def _check_condition_kept(ctx: OperationContext, change: Change, updated: models.Issue) -> None:
    """Say so when the server's answer shows no sign of the condition asked for (servers without substatus or
    conditional archiving, such as GlitchTip, accept the status and drop the rest)."""
    asked_substatus = change.body.get("substatus")
    asked_details = change.body.get("statusDetails")
    if asked_substatus and updated.substatus is None:
        ctx.warn(
            f"This server's answer has no substatus, so '{asked_substatus}' was probably not kept: the issue is "
            f"{updated.status}, but may not come back on its own."
        )
    elif asked_details and not updated.status_details and updated.status == change.body.get("status"):
        ctx.warn(
            "This server's answer does not show the condition asked for ("
            + ", ".join(asked_details)
            + f"); the issue is {updated.status}, but the condition was probably not kept."
        )


def _state_text(state: IssueState) -> str:
    return (state.status or "?") + (f"/{state.substatus}" if state.substatus else "")


def archived_forever(issue: models.Issue) -> bool:
    """Ignored with no condition (servers without substatus show a condition only in statusDetails)."""
    conditional = any(key.startswith("ignore") for key in issue.status_details)
    return issue.status == "ignored" and issue.substatus in (None, "archived_forever") and not conditional


def project_slug_of(issue: models.Issue) -> str:
    return issue.project.slug if issue.project and issue.project.slug else "<project>"


_CONDITIONS = {
    "ignoreUntil": "until {}",
    "ignoreCount": "until {} more events",
    "ignoreWindow": "within {} minutes",
    "ignoreUserCount": "until {} more users",
    "ignoreUserWindow": "within {} minutes",
    "inNextRelease": "in the next release",
}


def render_changed_issue(result: ChangedIssue) -> str:
    issue = result.issue
    state = (issue.status or "?") + (f"/{issue.substatus}" if issue.substatus else "")
    conditions = [
        template.format(issue.status_details[key])
        for key, template in _CONDITIONS.items()
        if issue.status_details.get(key)
    ]
    return f"{issue.short_id or issue.id} is {'now' if result.changed else 'already'} {state}" + (
        f" ({', '.join(conditions)})" if conditions else ""
    )
