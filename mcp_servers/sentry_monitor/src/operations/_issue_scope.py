"""Reading an issue, or something of it (its events, one event, its tags), when a project allow-list may apply:
check first."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TypeVar

from ..sentry import models
from ..sentry.identifiers import issue_ref
from .operation import OperationContext

T = TypeVar("T")


async def read_within_allowed(
    ctx: OperationContext, issue_id: str, read: Callable[[], Awaitable[T]]
) -> tuple[T, models.Issue | None]:
    """`read()`; under SENTRY_MONITOR_ALLOWED_PROJECTS, the issue is read and checked first (PROJECT_NOT_ALLOWED),
    so nothing of an issue outside the list is requested, reported as progress or shown. The issue is returned
    when it was read.
    """
    if ctx.settings.allowed_projects is None:
        return await read(), None
    issue = models.Issue.model_validate((await ctx.api.issue(issue_id)).json_object("the issue"))
    ctx.api.check_issue_allowed(issue)
    return await read(), issue


async def read_allowed_issue(ctx: OperationContext, issue_id: str) -> models.Issue:
    """The issue `issue_id` names (numeric id, short id or URL of the configured organization), refused with
    PROJECT_NOT_ALLOWED when its project is outside the allow-list: what a write reads before it changes anything."""
    ref = issue_ref(issue_id, ctx.settings)
    await ctx.api.check_organization(ref.org, "issue_id")
    issue = models.Issue.model_validate((await ctx.api.issue(ref.issue_id)).json_object("the issue"))
    ctx.api.check_issue_allowed(issue)
    return issue
