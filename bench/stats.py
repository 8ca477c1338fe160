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
