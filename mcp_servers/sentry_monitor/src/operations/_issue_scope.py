"""Reading something of an issue (its events, one event) when a project allow-list may apply: check first."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TypeVar

from ..sentry import models
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
