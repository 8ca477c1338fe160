"""Reading something of an issue (its events, one event) when a project allow-list may apply."""

from __future__ import annotations

from collections.abc import Awaitable
from typing import TypeVar

from .. import models
from ..concurrency import gather_two
from ..operation import OperationContext

T = TypeVar("T")


async def read_within_allowed(
    ctx: OperationContext, issue_id: str, read: Awaitable[T]
) -> tuple[T, models.Issue | None]:
    """Await `read`; under SENTRY_MONITOR_ALLOWED_PROJECTS, also read the issue, side by side, and refuse it
    (PROJECT_NOT_ALLOWED) before anything `read` returned is used. The issue is returned when it was read.
    """
    if ctx.settings.allowed_projects is None:
        return await read, None
    issue_response, result = await gather_two(ctx.api.issue(issue_id), read)
    if isinstance(issue_response, BaseException):
        raise issue_response
    issue = models.Issue.model_validate(issue_response.json_object("the issue"))
    ctx.api.check_issue_allowed(issue)
    if isinstance(result, BaseException):
        raise result
    return result, issue
