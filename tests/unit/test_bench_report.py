"""The bench's report (bench/results.md): summaries read as `median (p95 x)` and targets say met or missed."""

from __future__ import annotations

from bench.clients import ToolAnswer
from bench.figures import Figure
from bench.figures.context import model_reads, size
from bench.report import cell, merge, render, targets
from bench.stats import percentile, ratio, summary_ms, tail_ms


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


def test_http_targets_and_the_tail() -> None:
    assert tail_ms([0.010] * 98 + [0.050, 0.100]) == {"n": 100, "p50": 10.0, "p99": 50.0, "p99_over_p50": 5.0}
    at_128 = {"http_legacy": {"errors": 0, "p99_over_p50": 3.2}, "http_modern": {"errors": 2, "p99_over_p50": 2.7}}
    data = {"overhead_http_legacy": 1.5, "overhead_http_modern": 7.4, "128": at_128}
    rows = {row[0]: (row[2], row[3]) for row in targets({"http": Figure("8", [], data=data)})}
    assert rows["HTTP (2025-11-25) minus stdio, p50 per call at 1 client, ms"] == (1.5, "met")
    assert rows["HTTP (2026-07-28) minus stdio, p50 per call at 1 client, ms"] == (7.4, "**missed**")
    assert rows["errors at 128 HTTP clients (2026-07-28)"] == (2, "**missed**")
    assert rows["p99 / p50 at 128 HTTP clients (2025-11-25)"] == (3.2, "")


def test_a_partial_run_replaces_only_its_sections_and_targets() -> None:
    overhead = Figure("2. Overhead", ["a"], rows=[["old 2"]], data={"ours": {"overhead": {"median": 0.7}}})
    memory = Figure("7. Memory", ["b"], rows=[["old 7"]], data={"ours": {"peak_mb": 80, "growth_mb": 0.1}})
    full = render(["Command: full run"], {"overhead": overhead, "memory": memory})
    http = Figure("8. HTTP", ["c"], rows=[["first 8"]], data={"overhead_http_legacy": 1.0})
    again = Figure("2. Overhead", ["a"], rows=[["new 2"]])
    once = merge(full, "`--only http`, first", {"http": http, "overhead": again})
    assert "| per-call overhead, median ms | <= 1.5 | 0.7 | met |" in once  # not "not measured"
    assert "| peak RSS after 1,000 calls, MB | <= 100 | 80 | met |" in once
    assert "| HTTP (2025-11-25) minus stdio, p50 per call at 1 client, ms | <= 2 | 1 | met |" in once
    assert "## 8. HTTP" in once and "| new 2 |" in once and "| old 2 |" not in once and "| old 7 |" in once
    http.rows = [["second 8"]]
    twice = merge(once, "`--only http`, second", {"http": http})
    assert twice.count("## 8. HTTP") == 1 and "| second 8 |" in twice and "| first 8 |" not in twice
    assert twice.count("re-run alone") == 2 and "second" in twice  # sections 2, 8 then section 8
    assert twice.count("HTTP (2025-11-25) minus stdio") == 1
