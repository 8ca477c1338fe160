"""The bench's report (bench/results.md): summaries read as `median (p95 x)` and targets say met or missed."""

from __future__ import annotations

from bench.clients import ToolAnswer
from bench.figures import Figure
from bench.figures.context import model_reads, size
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


def test_context_targets_are_per_client_profile_and_the_facts_are_in_both_forms() -> None:
    answered = {"error": False}
    data = {
        "results": {
            "one issue": {"ours": answered, "official": answered},
            "recent issues (10)": {"ours": answered, "official": {"error": True}},
            "resolve": {"ours": answered, "official": None},
        },
        "ratios": {"one issue": {"structured-first": 0.92, "text-first": 0.48}},
        "checklist": {
            "one issue": {
                "ours": {"structured-first": {"permalink": False, "last seen": True}, "text-first": {"permalink": True}}
            },
            "issue events (10)": {"ours": {"structured-first": {"event ids": True}, "text-first": {"event ids": True}}},
        },
    }
    rows = {row[0]: (row[1], row[2], row[3]) for row in targets({"context": Figure("6", [], data=data)})}
    assert rows["structured-first: one issue, ours / official"] == ("<= 0.7", 0.92, "**missed**")
    assert rows["text-first: one issue, ours / official"] == ("<= 0.6", 0.48, "met")
    assert rows["structured-first: resolve, ours / official"] == (
        "<= 1.0",
        "no matching official tool",
        "not comparable",
    )
    assert rows["text-first: recent issues (10), ours / official"][1:] == (
        "official tool failed here",
        "not comparable",
    )
    assert rows["structured-first: issue events (10), ours / official"][1:] == (None, "not measured")
    assert rows["facts in one issue (ours), both forms"][1:] == ("permalink (structured-first)", "**missed**")
    assert rows["facts in issue events (10) (ours), both forms"][1:] == ("none missing", "met")
    assert not any(what.startswith("result text") for what in rows)


def test_the_model_reads_structured_content_first_but_text_on_error_and_never_meta() -> None:
    text = [{"type": "text", "text": "BACKEND-6 is now resolved"}]
    structured = {"status": "success", "data": {"changed": True}}
    success = ToolAnswer({"content": text, "structuredContent": structured, "_meta": {"x": "y" * 99}}, 0)
    assert model_reads(success, "structured-first") == structured
    assert size(model_reads(success, "structured-first")) == len('{"status":"success","data":{"changed":true}}')
    assert model_reads(success, "text-first") == "BACKEND-6 is now resolved"
    failure = ToolAnswer({"content": text, "structuredContent": structured, "isError": True}, 0)
    assert model_reads(failure, "structured-first") == model_reads(ToolAnswer({"content": text}, 0), "structured-first")
