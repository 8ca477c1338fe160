"""The tag concentration rule: one value holding most of an issue's events, where other values exist."""

from __future__ import annotations

from typing import Any

import pytest

from mcp_servers.sentry_monitor.src.analysis.tag_concentration import Concentration, concentrations, values_by_key
from mcp_servers.sentry_monitor.src.sentry.models import TagSummary


def tag(key: str, *counts: tuple[str, int], unique: int | None = None, total: int | None = None) -> TagSummary:
    data: dict[str, Any] = {
        "key": key,
        "totalValues": sum(n for _, n in counts) if total is None else total,
        "uniqueValues": len(counts) if unique is None else unique,
        "topValues": [{"value": value, "count": n} for value, n in counts],
    }
    return TagSummary.model_validate(data)


def test_a_value_with_at_least_90_percent_of_10_events_or_more_is_a_concentration() -> None:
    (found,) = concentrations([tag("release", ("backend@1.3.0", 46), ("backend@1.2.0", 4))])
    assert found == Concentration("release", "backend@1.3.0", 46, 50, 0.92)
    assert found.sentence("BACKEND-7") == "92% of BACKEND-7's events are in release backend@1.3.0 (46 of 50)"


@pytest.mark.parametrize(
    ("tags", "why"),
    [
        ([tag("release", ("a", 8), ("b", 2))], "80% is under 90%"),
        ([tag("release", ("a", 8), ("b", 1))], "9 events are too few"),
        ([tag("environment", ("production", 40))], "the only value there is"),
        ([tag("customer.tier", ("free", 40), ("pro", 1))], "not a key the rule looks at"),
        ([tag("browser")], "no values"),
    ],
)
def test_no_concentration(tags: list[TagSummary], why: str) -> None:
    assert concentrations(tags) == [], why


def test_the_only_value_counts_when_other_issues_show_another() -> None:
    alone = [tag("environment", ("staging", 30))]
    assert concentrations(alone, {"environment": {"staging"}}) == []
    (found,) = concentrations(alone, {"environment": {"staging", "production"}})
    assert (found.key, found.value, found.share) == ("environment", "staging", 1.0)


def test_a_value_list_cut_to_the_top_value_is_read_against_the_key_total() -> None:
    """Sentry with `limit=1`: the top value only, the key's total and distinct values still whole."""
    (found,) = concentrations([tag("os", ("Windows 11", 95), unique=2, total=100)])
    assert (found.count, found.total, found.share) == (95, 100, 0.95)
    assert concentrations([tag("os", ("Windows 11", 85), unique=2, total=100)]) == []


def test_thresholds_move_and_keys_keep_their_order() -> None:
    tags = [tag("url", ("/a", 8), ("/b", 2)), tag("release", ("r1", 9), ("r2", 1))]
    assert [c.key for c in concentrations(tags, min_share=0.8)] == ["release", "url"]
    assert concentrations(tags, min_share=0.8, min_events=11) == []


def test_values_by_key_gathers_the_rule_keys_only() -> None:
    seen = values_by_key([[tag("release", ("a", 1)), tag("level", ("error", 1))], [tag("release", ("b", 3))]])
    assert seen == {"release": {"a", "b"}}
