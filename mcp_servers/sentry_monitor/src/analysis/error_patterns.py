"""The shapes and rules of analyze-error-patterns: spikes in count series, groupings, the handled split.

Pure functions over parsed issues (no I/O), so each rule can be tested on crafted input. A spike is a
rise of an issue's count series: the mean of the last `window` buckets is at least `factor` times the
median of the buckets before and at least `min_events` per bucket.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Literal

from pydantic import Field

from ..shared.results import Result

GROUP_IDS_SHOWN = 5
FindingKind = Literal[
    "spike", "regression", "escalating", "new_issue", "release", "concentration", "unhandled", "tag_concentration"
]
# Among findings of equal impact, the more urgent kind first.
KIND_ORDER: tuple[FindingKind, ...] = (
    "regression",
    "spike",
    "escalating",
    "new_issue",
    "release",
    "tag_concentration",
    "unhandled",
    "concentration",
)


class AnalyzedIssue(Result):
    id: str
    short_id: str | None = None
    title: str
    level: str | None = None
    substatus: str | None = None
    events: int = Field(description="Events in the period.")
    users: int | None = Field(default=None, description="Users affected in the period; absent where not counted.")
    is_unhandled: bool | None = None
    error_type: str | None = None
    culprit: str | None = None
    first_release: str | None = Field(default=None, description="Release it was first seen in (when looked up).")
    last_release: str | None = Field(default=None, description="Latest release it was seen in (when looked up).")


class IssueGroup(Result):
    key: str
    issues: int
    events: int
    issue_ids: list[str] = Field(
        default_factory=list, description=f"The busiest of its issues, up to {GROUP_IDS_SHOWN}."
    )


class Spike(Result):
    issue_id: str
    recent_mean: float = Field(description="Mean events per bucket over the last buckets.")
    baseline_median: float = Field(description="Median events per bucket before them.")
    ratio: float | None = Field(default=None, description="recent_mean / baseline_median; null when the baseline is 0.")
    recent: list[int] = Field(default_factory=list, description="The last buckets' counts, oldest first.")


class HandledSplit(Result):
    handled_issues: int
    handled_events: int
    unhandled_issues: int = Field(description="Issues with at least one crash (an exception nobody caught).")
    unhandled_events: int
    unknown_issues: int = Field(default=0, description="Issues the server does not say crashed or not.")
    unknown_events: int = 0


class IssueSet(Result):
    """Issues Sentry picked out by a query (new, regressed, escalating), with its total."""

    total: int | None = Field(default=None, description="How many Sentry counts (all of them, not only those listed).")
    issue_ids: list[str] = Field(default_factory=list)


class Finding(Result):
    kind: FindingKind
    summary: str
    issue_ids: list[str] = Field(default_factory=list)
    impact_events: int = Field(description="Events in the period of the issues concerned; findings rank by it.")
    evidence: dict[str, float | int | str | None] = Field(default_factory=dict)


@dataclass(frozen=True)
class SpikeRule:
    factor: float = 3.0
    min_events: float = 10.0
    window: int = 3


def detect_spike(issue_id: str, counts: list[int], rule: SpikeRule) -> Spike | None:
    """A Spike when the series' last `rule.window` buckets rise as the rule says; None otherwise.

    A series needs at least one bucket before the window to have a baseline.
    """
    if len(counts) <= rule.window:
        return None
    recent, earlier = counts[-rule.window :], counts[: -rule.window]
    mean = sum(recent) / rule.window
    median = float(statistics.median(earlier))
    if mean < rule.min_events or mean < rule.factor * median:
        return None
    ratio = round(mean / median, 1) if median else None
    return Spike(issue_id=issue_id, recent_mean=round(mean, 1), baseline_median=median, ratio=ratio, recent=recent)


def module_of(culprit: str | None) -> str:
    """The module part of a culprit (`pkg.module in function` -> `pkg.module`); other culprits whole."""
    if not culprit:
        return "(unknown)"
    module, found, _function = culprit.partition(" in ")
    return module if found and module else culprit


def group_issues(issues: Iterable[AnalyzedIssue], key: Callable[[AnalyzedIssue], str]) -> list[IssueGroup]:
    """Issues grouped by `key`, busiest group first; each group names its busiest issues."""
    members: dict[str, list[AnalyzedIssue]] = {}
    for issue in issues:
        members.setdefault(key(issue), []).append(issue)
    groups = [
        IssueGroup(
            key=name,
            issues=len(group),
            events=sum(issue.events for issue in group),
            issue_ids=[issue.id for issue in sorted(group, key=lambda i: -i.events)[:GROUP_IDS_SHOWN]],
        )
        for name, group in members.items()
    ]
    return sorted(groups, key=lambda group: (-group.events, -group.issues, group.key))


def handled_split(issues: Iterable[AnalyzedIssue]) -> HandledSplit:
    listed = list(issues)
    handled = [issue for issue in listed if issue.is_unhandled is False]
    unhandled = [issue for issue in listed if issue.is_unhandled]
    unknown = [issue for issue in listed if issue.is_unhandled is None]
    return HandledSplit(
        handled_issues=len(handled),
        handled_events=sum(issue.events for issue in handled),
        unhandled_issues=len(unhandled),
        unhandled_events=sum(issue.events for issue in unhandled),
        unknown_issues=len(unknown),
        unknown_events=sum(issue.events for issue in unknown),
    )
