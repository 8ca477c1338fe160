"""The bench's report (bench/results.md): summaries read as `median (p95 x)` and targets say met or missed."""

from __future__ import annotations

from bench.figures import Figure
from bench.report import cell, render, targets
from bench.stats import percentile, ratio, summary_ms


def test_summaries_and_ratios() -> None:
    summary = summary_ms([0.001, 0.002, 0.003, 0.010])
    assert summary == {"n": 4, "median": 2.5, "p95": 10.0, "min": 1.0}
    assert percentile([3, 1, 2], 0.5) == 2
    assert ratio(1.0, 4.0) == 0.25 and ratio(1.0, None) is None and ratio(1.0, 0) is None
    assert cell(summary) == "2.5 (p95 10)" and cell(None) == "n/a" and cell("a|b") == "a\\|b"


def test_targets_read_the_figures_and_missing_ones_are_not_measured() -> None:
    figures = {
        "overhead": Figure("2", [], data={"ours": {"overhead": {"median": 0.7}}}),
        "parallel": Figure("4", [], data={"ours": {"ratio": 6.6}}),
    }
    verdicts = {row[0]: row[3] for row in targets(figures)}
    assert verdicts["per-call overhead, median ms"] == "met"
    assert verdicts["64 parallel calls / one call"] == "**missed**"
    assert verdicts["peak RSS after 1,000 calls, MB"] == "not measured"
    text = render(["header line"], {"overhead": Figure("2. Overhead", ["a", "b"], rows=[[1, {"median": 2, "p95": 3}]])})
    assert "header line" in text and "## 2. Overhead" in text and "| 1 | 2 (p95 3) |" in text
