"""An issue as several tools show it (`IssueSummary`), made from Sentry's issue object."""

from __future__ import annotations

import re
from typing import Any

from pydantic import Field

from ..sentry import models
from .results import Result, Timestamp, text

_PYTHON_CULPRIT = re.compile(r"^(?:[\w]+\.)+([\w]+) in (.+)$")


class IssueSummary(Result):
    id: str = Field(description="Numeric issue id.")
    short_id: str | None = Field(default=None, description="Readable id such as BACKEND-1A.")
    title: str
    culprit: str | None = Field(default=None, description="Where it happens: `module in function`, a path or URL.")
    level: str | None = None
    status: str | None = Field(default=None, description="unresolved, resolved or ignored.")
    substatus: str | None = Field(default=None, description="new, ongoing, regressed, escalating, archived_* ...")
    count: int = Field(description="Events in the issue's lifetime.")
    user_count: int | None = Field(default=None, description="Distinct users affected; absent where not counted.")
    first_seen: Timestamp | None = None
    last_seen: Timestamp | None = None
    is_unhandled: bool | None = Field(default=None, description="True when at least one event crashed (not caught).")
    error_type: str | None = Field(default=None, description="Left out when the title is `type: value`.")
    error_value: str | None = Field(default=None, description="Left out when the title is `type: value`.")
    assignee: str | None = None
    permalink: str | None = Field(default=None, description="Left out of a list that gives `permalink_template`.")


def issue_summary(issue: models.Issue) -> IssueSummary:
    error_type, error_value = text(issue.metadata.get("type")), text(issue.metadata.get("value"))
    if issue.title in (f"{error_type}: {error_value}", error_type):  # the title says them already
        error_type = error_value = None
    return IssueSummary(
        id=issue.id,
        short_id=issue.short_id,
        title=issue.title,
        culprit=short_culprit(issue.culprit) if issue.culprit else None,
        level=issue.level,
        status=issue.status,
        substatus=issue.substatus,
        count=issue.count,
        user_count=issue.user_count,
        first_seen=issue.first_seen,
        last_seen=issue.last_seen,
        is_unhandled=issue.is_unhandled,
        error_type=error_type,
        error_value=error_value,
        assignee=assignee_label(issue.assigned_to),
        permalink=issue.permalink,
    )


def short_culprit(culprit: str) -> str:
    """`pkg.sub.module in func` -> `module in func`; other culprits (paths, URLs) as they are."""
    return _PYTHON_CULPRIT.sub(r"\1 in \2", culprit)


def permalink_template(issues: list[IssueSummary]) -> str | None:
    """`https://host/.../issues/{id}/` (or without the slash) when every issue's permalink is that with its id."""
    if not issues:
        return None
    first = issues[0]
    before, found, after = (first.permalink or "").rpartition(f"/{first.id}")
    if not found or after[:1] not in ("", "/", "?"):  # the id must be a whole path segment
        return None
    template = f"{before}/{{id}}{after}"
    return template if all(i.permalink == template.replace("{id}", i.id) for i in issues) else None


def assignee_label(assigned_to: dict[str, Any] | None) -> str | None:
    """How an issue's `assignedTo` reads, in a form assign-issue takes back: a user's email (else name or id),
    `#slug` for a team (Sentry's actor names a team by its slug); None when nobody is assigned."""
    if not assigned_to:
        return None
    if assigned_to.get("type") == "team":
        slug = text(assigned_to.get("name")) or text(assigned_to.get("slug"))
        return f"#{slug}" if slug else text(assigned_to.get("id"))
    return text(assigned_to.get("email") or assigned_to.get("name") or assigned_to.get("id"))
