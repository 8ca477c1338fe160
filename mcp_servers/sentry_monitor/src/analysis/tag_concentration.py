"""When one issue's events sit in one value of a tag (a release, an environment, a browser, an OS, a URL): the rule.

Pure functions over an issue's tag distributions (`issues/{id}/tags/`). A concentration is a value holding at least
MIN_SHARE of the events tagged with its key, among at least MIN_EVENTS of them, where that value is not all there
is: the issue has other values of the key, or (but for OWN_VALUES_KEYS) other issues read have another one. (A
project with one environment has every issue 100% in it, which tells nothing.)
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from ..sentry import models

CONCENTRATION_KEYS = ("release", "environment", "browser", "os", "url")
OWN_VALUES_KEYS = ("url",)
"""Keys whose values differ between issues by nature (an endpoint's bug happens at its URL): a concentration there
needs other values within the issue itself."""
MIN_SHARE = 0.9
MIN_EVENTS = 10


@dataclass(frozen=True)
class Concentration:
    key: str
    value: str
    count: int  # events with this value
    total: int  # events tagged with the key
    share: float  # count / total, to three places

    def sentence(self, issue: str) -> str:
        """`92% of BACKEND-7's events are in release 1.3.0 (46 of 50)`."""
        return f"{self.share:.0%} of {issue}'s events are in {self.phrase()}"

    def phrase(self) -> str:
        """`release 1.3.0 (46 of 50)`."""
        return f"{self.key} {self.value} ({self.count} of {self.total})"


def top_value(tag: models.TagSummary) -> models.TagValue | None:
    """The tag's most frequent value (None without values)."""
    return max(tag.top_values, key=lambda value: value.count, default=None)


def concentrations(
    tags: Iterable[models.TagSummary],
    seen_elsewhere: Mapping[str, set[str]] | None = None,
    *,
    min_share: float = MIN_SHARE,
    min_events: int = MIN_EVENTS,
) -> list[Concentration]:
    """The concentrations among one issue's `tags` (keys of CONCENTRATION_KEYS only), in that key order;
    `seen_elsewhere`: per key, the values other issues showed."""
    found = []
    by_key = {tag.key: tag for tag in tags}
    for key in CONCENTRATION_KEYS:
        tag = by_key.get(key)
        top = top_value(tag) if tag is not None else None
        if tag is None or top is None or tag.total_values < min_events:
            continue
        share = top.count / tag.total_values
        others_here = (tag.unique_values or len(tag.top_values)) > 1
        elsewhere = (seen_elsewhere or {}).get(key, ()) if key not in OWN_VALUES_KEYS else ()
        others_there = any(value != top.value for value in elsewhere)
        if share >= min_share and (others_here or others_there):
            found.append(Concentration(key, top.value, top.count, tag.total_values, round(share, 3)))
    return found


def values_by_key(issues_tags: Iterable[Iterable[models.TagSummary]]) -> dict[str, set[str]]:
    """Per concentration key, every value named among the issues' tags (their top values as read)."""
    seen: dict[str, set[str]] = {}
    for tags in issues_tags:
        for tag in tags:
            if tag.key in CONCENTRATION_KEYS:
                seen.setdefault(tag.key, set()).update(value.value for value in tag.top_values)
    return seen
