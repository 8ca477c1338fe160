"""`bench/results.md`: the machine and versions, the targets met or not, then each figure's table."""

from __future__ import annotations

from typing import Any

from .figures import Figure

STRUCTURED_TARGETS = {"one issue": 0.7, "recent issues (10)": 0.7, "issue events (10)": 0.7, "resolve": 1.0}
"""Figure 6, structured-first: ours / official at most this, per question (resolve: a small answer either way)."""
TEXT_TARGET = 0.6
"""Figure 6, text-first: ours / official at most this for the same questions."""


def cell(value: Any) -> str:
    """A table cell: a summary as `median (p95 x)`, None as `n/a`."""
    if isinstance(value, dict) and "median" in value:
        if value["median"] is None:
            return "n/a"
        return f"{value['median']:g} (p95 {value['p95']:g})"
    if value is None:
        return "n/a"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value).replace("|", "\\|").replace("\n", " ")


def table(columns: list[str], rows: list[list[Any]]) -> list[str]:
    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    lines += ["| " + " | ".join(cell(value) for value in row) + " |" for row in rows]
    return lines


def _get(data: dict[str, Any], *keys: str) -> Any:
    for key in keys:
        if not isinstance(data, dict) or key not in data:
            return None
        data = data[key]
    return data


def targets(figures: dict[str, Figure]) -> list[list[Any]]:
    """One row per target of issue 5: what, the target, the measured value, met / missed / not measured."""
    data = {key: figure.data for key, figure in figures.items()}
    rows: list[list[Any]] = []

    def check(what: str, target: str, value: Any, ok: bool | None) -> None:
        rows.append([what, target, value, _verdict(value, ok)])

    start = _get(data, "cold_start", "ratio_tools_list")
    check("cold start to tools/list, ours / official", "<= 0.9", start, None if start is None else start <= 0.9)
    calls = _get(data, "issue_e2e", "20ms", "ours", "calls")
    serial = _get(data, "issue_e2e", "100ms", "ours", "latencies_in_series")
    check(
        "get-issue-details Sentry calls (latencies waited in series at 100 ms)",
        "<= 2, concurrent",
        None if calls is None else f"{calls} ({serial})",
        None if calls is None or serial is None else calls <= 2 and serial <= 1.5,
    )
    e2e = _get(data, "issue_e2e", "20ms", "ratio")
    check("get-issue-details wall time at 20 ms, ours / official", "<= 0.5", e2e, None if e2e is None else e2e <= 0.5)
    overhead = _get(data, "overhead", "ours", "overhead", "median")
    check("per-call overhead, median ms", "<= 1.5", overhead, None if overhead is None else overhead <= 1.5)
    parallel = _get(data, "parallel", "ours", "ratio")
    check("64 parallel calls / one call", "<= 4", parallel, None if parallel is None else parallel <= 4)
    floor = _get(data, "parallel", "direct", "ratio")
    rows.append(["  the same requests sent directly (the local Sentry's own limit)", "for reference", floor, ""])
    throttle = _get(data, "parallel", "throttle", "ours", "failed")
    check("429 burst absorbed: failed calls", "0", throttle, None if throttle is None else throttle == 0)
    costs = _get(data, "context", "tools_list")
    if costs and "official" in costs:
        ours, theirs = costs["ours"], costs["official"]
        described = round(ours["descriptions_and_inputs"] / theirs["descriptions_and_inputs"], 2)
        check("descriptions + input schemas, ours / official", "<= 0.6", described, described <= 0.6)
        whole = round(ours["whole"] / theirs["whole"], 2)
        check("whole tools/list, ours / official", "<= 1.0", whole, whole <= 1.0)
    else:
        check("tools/list characters, ours / official", "<= 0.6 / <= 1.0", None, None)
    rows += _context_targets(data)
    peak = _get(data, "memory", "ours", "peak_mb")
    check("peak RSS after 1,000 calls, MB", "<= 100", peak, None if peak is None else peak <= 100)
    growth = _get(data, "memory", "ours", "growth_mb")
    check("RSS growth call 100 -> 1,000, MB", "~0 (< 2)", growth, None if growth is None else growth < 2)
    return rows + _http_targets(data)


def _http_targets(data: dict[str, Any]) -> list[list[Any]]:
    """Figure 8: HTTP's cost per call over stdio at one client, errors and the tail at 128 clients."""
    rows: list[list[Any]] = []
    modes = {"http_legacy": "2025-11-25", "http_modern": "2026-07-28"}
    for transport, mode in modes.items():
        extra = _get(data, "http", f"overhead_{transport}")
        what = f"HTTP ({mode}) minus stdio, p50 per call at 1 client, ms"
        rows.append([what, "<= 2", extra, _verdict(extra, None if extra is None else extra <= 2)])
    for transport, mode in modes.items():
        errors = _get(data, "http", "128", transport, "errors")
        rows.append([f"errors at 128 HTTP clients ({mode})", "0", errors, _verdict(errors, errors == 0)])
    for transport, mode in modes.items():
        tail = _get(data, "http", "128", transport, "p99_over_p50")
        rows.append([f"p99 / p50 at 128 HTTP clients ({mode})", "for reference", tail, ""])
    return rows


def _context_targets(data: dict[str, Any]) -> list[list[Any]]:
    """Figure 6: per question, ours / official in both client profiles; the facts in both forms."""
    rows: list[list[Any]] = []
    results, ratios = _get(data, "context", "results") or {}, _get(data, "context", "ratios") or {}
    for question, structured_target in STRUCTURED_TARGETS.items():
        per = results.get(question) or {}
        ours, theirs = per.get("ours"), per.get("official")
        for profile, target in (("structured-first", structured_target), ("text-first", TEXT_TARGET)):
            what, wanted = f"{profile}: {question}, ours / official", f"<= {target:.1f}"
            value = _get(ratios, question, profile)
            if value is not None:
                rows.append([what, wanted, value, "met" if value <= target else "**missed**"])
            elif not per or "official" not in per:
                rows.append([what, wanted, None, "not measured"])
            else:
                why = "no matching official tool" if not theirs else "official tool failed here"
                why = "our tool failed here" if not ours or ours["error"] else why
                rows.append([what, wanted, why, "not comparable"])
    for question, per in (_get(data, "context", "checklist") or {}).items():
        what, checked = f"facts in {question} (ours), both forms", per.get("ours")
        if not checked:
            rows.append([what, "none missing", None, "not measured"])
            continue
        missing = [f"{fact} ({profile})" for profile, facts in checked.items() for fact, ok in facts.items() if not ok]
        rows.append([what, "none missing", ", ".join(missing) or "none missing", _verdict(True, not missing)])
    return rows


def _verdict(value: Any, ok: bool | None) -> str:
    return "not measured" if value is None or ok is None else ("met" if ok else "**missed**")


def _sections(markdown: str) -> list[list[str]]:
    """The lines before the first `## ` heading, then one list of lines per section (heading first)."""
    sections: list[list[str]] = [[]]
    for line in markdown.rstrip("\n").split("\n"):
        if line.startswith("## "):
            sections.append([])
        sections[-1].append(line)
    return sections


def merge(previous: str, note: str, figures: dict[str, Figure]) -> str:
    """`previous` results.md with only these figures' sections and targets replaced or added; the rest kept.

    A partial run (`--only`) must not turn the other figures' numbers into "not measured": its own target
    rows (those it measured) replace theirs, its sections replace those of the same number, and `note` (what
    ran, when) is added to the header, replacing an earlier note about the same sections.
    """
    preamble, *sections = _sections(previous)
    keys = [figure.title.split()[0] for figure in figures.values()]
    marker = f"- Section(s) {', '.join(key.rstrip('.') for key in keys)} re-run alone"
    preamble = [line for line in preamble if not line.startswith(marker)]
    while preamble and not preamble[-1]:
        preamble.pop()
    preamble += [f"{marker}: {note}", ""]
    measured = [row for row in targets(figures) if row[2] is not None]
    fresh = {row[0]: table(["what", "target", "measured", "verdict"], [row])[2] for row in measured}
    for section in sections:
        if section[0].startswith("## Targets"):
            for index, line in enumerate(section):
                what = line[2:].split(" | ", 1)[0] if line.startswith("| ") else None
                if what in fresh:
                    section[index] = fresh.pop(what)
            last = max(index for index, line in enumerate(section) if line.startswith("|"))
            section[last + 1 : last + 1] = list(fresh.values())
    for figure, key in zip(figures.values(), keys, strict=True):
        lines = ["## " + figure.title, ""] + (table(figure.columns, figure.rows) if figure.rows else [])
        for figure_note in figure.notes:
            lines += ["", figure_note]
        lines.append("")
        found = [section for section in sections if section[0].split()[1:2] == [key]]
        if found:
            found[0][:] = lines
        else:
            if sections and sections[-1][-1]:
                sections[-1].append("")
            sections.append(lines)
    return "\n".join(line for section in [preamble, *sections] for line in section).rstrip("\n") + "\n"


def render(header: list[str], figures: dict[str, Figure]) -> str:
    lines = ["# Benchmark results", "", *header, "", "## Targets (ours, or ours / official in the same run)", ""]
    lines += table(["what", "target", "measured", "verdict"], targets(figures))
    for figure in figures.values():
        lines += ["", f"## {figure.title}", ""]
        if figure.rows:
            lines += table(figure.columns, figure.rows)
        for note in figure.notes:
            lines += ["", note]
    return "\n".join(lines) + "\n"
