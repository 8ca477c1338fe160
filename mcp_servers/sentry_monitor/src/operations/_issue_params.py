"""The `issue_id` parameter, shared by every operation on one issue."""

from __future__ import annotations

from pydantic import Field

from ..operation import Parameters

ISSUE_ID_DESCRIPTION = (
    "The issue: a numeric id (e.g. '4505'), a short id (e.g. 'BACKEND-1A') or the issue's Sentry URL."
)


class IssueIdParams(Parameters):
    issue_id: str = Field(min_length=1, max_length=500, description=ISSUE_ID_DESCRIPTION)
