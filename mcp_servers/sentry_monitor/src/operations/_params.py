"""Parameter types shared by several operations: each is declared, described and validated once."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AfterValidator, Field

from ..sentry import identifiers
from .operation import Parameters


def _project_slug(value: str) -> str:
    return identifiers.project_slug(value)


def _cursor(value: str | None) -> str | None:
    return identifiers.cursor(value)


ProjectSlug = Annotated[
    str,
    Field(min_length=1, max_length=100, description="The project's slug, as in its Sentry URL (e.g. 'backend')."),
    AfterValidator(_project_slug),
]
Period = Literal["24h", "7d", "14d", "30d"]
"""How far back a project-wide tool looks; each tool says what it does with it."""
Cursor = Annotated[
    str | None,
    Field(max_length=200, description="next_cursor from a previous result, for the next page."),
    AfterValidator(_cursor),
]


# Every operation on one issue takes it as `issue_id`; it is parsed in the handler, since a URL is checked
# against the settings. (A docstring here would land in every tool's input schema.)
class IssueIdParams(Parameters):
    issue_id: str = Field(
        min_length=1,
        max_length=500,
        description="The issue: a numeric id (e.g. '4505'), a short id (e.g. 'BACKEND-1A') or the issue's Sentry URL.",
    )
