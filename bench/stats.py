"""Summaries of repeated measurements: median and p95, in milliseconds, and same-run ratios."""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from typing import Any


def percentile(values: Sequence[float], share: float) -> float:
    """The nearest-rank percentile (`share` in 0..1) of a non-empty sequence."""
    ordered = sorted(values)
    rank = max(1, math.ceil(share * len(ordered)))
    return ordered[rank - 1]


def summary_ms(seconds: Sequence[float]) -> dict[str, Any]:
    """`{"n", "median", "p95", "min"}` in milliseconds (rounded to 0.01) of a list of durations in seconds."""
    if not seconds:
        return {"n": 0, "median": None, "p95": None, "min": None}
    millis = [value * 1000 for value in seconds]
    return {
        "n": len(millis),
        "median": round(statistics.median(millis), 2),
        "p95": round(percentile(millis, 0.95), 2),
        "min": round(min(millis), 2),
    }


def ratio(ours: float | None, theirs: float | None) -> float | None:
    """ours / theirs rounded to 0.01; None when either is missing or theirs is zero."""
    if ours is None or theirs is None or theirs == 0:
        return None
    return round(ours / theirs, 2)


def tail_ms(seconds: Sequence[float]) -> dict[str, Any]:
    """`{"n", "p50", "p99", "p99_over_p50"}` (milliseconds, rounded to 0.01) of durations in seconds: a load's tail."""
    if not seconds:
        return {"n": 0, "p50": None, "p99": None, "p99_over_p50": None}
    p50, p99 = percentile(seconds, 0.5) * 1000, percentile(seconds, 0.99) * 1000
    return {"n": len(seconds), "p50": round(p50, 2), "p99": round(p99, 2), "p99_over_p50": ratio(p99, p50)}
