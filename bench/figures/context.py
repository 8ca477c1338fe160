"""Figure 6: what each answer costs in the model's context, and whether the facts a user needs are in it.

Characters are counted on compact JSON (the same serialization for both servers); tokens are estimated
as characters / 4. Results are for the same seeded data; the write tool runs on a reset Sentry.
"""

from __future__ import annotations

import re
from typing import Any

from ..clients import DirectSentry, compact
from ..harness import Bench
from ..servers import Call, Server
from ..stats import ratio
from . import Figure

CHARS_PER_TOKEN = 4
QUESTIONS = ("recent issues (10)", "one issue", "issue events (10)", "resolve", "project stats")


def tokens(chars: int) -> int:
    return round(chars / CHARS_PER_TOKEN)


def tools_cost(tools_list: dict[str, Any]) -> dict[str, int]:
    tools = tools_list.get("tools", [])
    return {
        "tools": len(tools),
        "whole": len(compact(tools_list)),
        "descriptions_and_inputs": sum(
            len(t.get("description", "")) + len(compact(t.get("inputSchema", {}))) for t in tools
        ),
        "output_schemas": sum(len(compact(t["outputSchema"])) for t in tools if "outputSchema" in t),
    }


def _call_for(server: Server, question: str, issue: dict[str, Any], bench: Bench) -> Call | None:
    org, backend = bench.sentry.org, bench.sentry.projects["backend"]
    if question == "recent issues (10)":
        return server.recent("backend", backend, org, 10)
    if question == "one issue":
        return server.issue(issue, org)
    if question == "issue events (10)":
        return server.events(issue, org, 10)
    if question == "resolve":
        return server.resolve(issue, org)
    return server.stats("backend", org)


def _seconds(stamp: str) -> str:
    return stamp[:19]  # 2026-11-11T19:17:51: both servers print at least to the second


async def expected_facts(bench: Bench, issue: dict[str, Any]) -> dict[str, list[str]]:
    """For one issue, the strings that carry each fact (any one of them is enough), read from Sentry."""
    direct = DirectSentry(bench.sentry.url, bench.sentry.token)
    base = f"/api/0/organizations/{bench.sentry.org}/issues/{issue['id']}/"
    try:
        detail = await direct.get_json(base)
        event = await direct.get_json(base + "events/latest/")
    finally:
        await direct.aclose()
    exception = next(e for e in event["entries"] if e["type"] == "exception")["data"]["values"][-1]
    frame = [f for f in exception["stacktrace"]["frames"] if f["inApp"]][-1]
    links = [
        detail["permalink"].rstrip("/"),
        f"{bench.sentry.url}/organizations/{bench.sentry.org}/issues/{issue['short_id']}",
    ]
    return {
        "exception type": [exception["type"]],
        "exception value": [exception["value"]],
        "crashing in-app frame": [
            f"{frame['filename']}:{frame['lineNo']}",
            f'"{frame["filename"]}", line {frame["lineNo"]}',
        ],
        "event count": [f"{detail['count']} events", f"Occurrences**: {detail['count']}"],
        "user count": [f"{detail['userCount']} users", f"Users Impacted**: {detail['userCount']}"],
        "first seen": [_seconds(detail["firstSeen"])],
        "last seen": [_seconds(detail["lastSeen"])],
        "permalink": links,
    }


def checklist(text: str, facts: dict[str, list[str]]) -> dict[str, bool]:
    return {fact: any(candidate in text for candidate in candidates) for fact, candidates in facts.items()}


async def _answers(bench: Bench, server: Server, issue: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    answers: dict[str, Any] = {}
    async with bench.session(server) as session:
        listed = await session.list_tools()
        for question in QUESTIONS:
            call = _call_for(server, question, issue, bench)
            if call is None:
                answers[question] = None
                continue
            answer = await session.call(*call)
            answers[question] = {
                "tool": call[0] if call[0] != "execute_sentry_tool" else f"execute_sentry_tool({call[1]['name']})",
                "text": answer.text,
                "whole": len(compact(answer.result)),
                "error": answer.is_error or _looks_failed(answer.text),
            }
            if question == "resolve":
                await bench.sentry.reset()
    return listed, answers


def _looks_failed(text: str) -> bool:
    return bool(re.match(r"^\s*(#+\s*)?(Error|Failed|Request failed)\b", text))


async def run(bench: Bench) -> Figure:
    issue = await bench.busiest_issue()
    facts = await expected_facts(bench, issue)
    listed, answers, costs = {}, {}, {}
    for server in bench.servers:
        listed[server.name], answers[server.name] = await _answers(bench, server, issue)
        costs[server.name] = tools_cost(listed[server.name])
    figure = Figure(
        "6. Context cost (characters of compact JSON / text; tokens ~ chars / 4)",
        ["what", *[s.label for s in bench.servers], *(["ratio ours / official"] if len(bench.servers) > 1 else [])],
    )

    def add(what: str, values: dict[str, int | None]) -> None:
        cells: list[Any] = [f"{v:,} (~{tokens(v):,} tok)" if v is not None else "n/a" for v in values.values()]
        if len(values) > 1:
            cells.append(ratio(values.get("ours"), values.get("official")))
        figure.rows.append([what, *cells])

    add("tools/list: descriptions + input schemas", {n: c["descriptions_and_inputs"] for n, c in costs.items()})
    add("tools/list: output schemas", {n: c["output_schemas"] for n, c in costs.items()})
    add("tools/list: whole answer", {n: c["whole"] for n, c in costs.items()})
    figure.data["tools_list"] = costs
    figure.data["results"] = {}
    for question in QUESTIONS:
        values: dict[str, int | None] = {}
        tools: list[str] = []
        for server in bench.servers:
            answer = answers[server.name][question]
            values[server.name] = len(answer["text"]) if answer and not answer["error"] else None
            tools.append(
                f"{server.name}: {answer['tool']}" + (" (failed)" if answer["error"] else "")
                if answer
                else f"{server.name}: none"
            )
        add(f"result text: {question} ({'; '.join(tools)})", values)
        figure.data["results"][question] = {
            name: ({k: v for k, v in a.items() if k != "text"} | {"text_chars": len(a["text"])} if a else None)
            for name, a in ((s.name, answers[s.name][question]) for s in bench.servers)
        }
    figure.data["checklist"] = {
        server.name: checklist(answers[server.name]["one issue"]["text"], facts) for server in bench.servers
    }
    figure.data["texts"] = {server.name: answers[server.name]["one issue"]["text"] for server in bench.servers}
    figure.notes.append(f"Facts checklist for {issue['short_id']} (one issue result text):")
    header = "| fact | " + " | ".join(s.name for s in bench.servers) + " |"
    lines = [header, "|" + "---|" * (len(bench.servers) + 1)]
    for fact in facts:
        marks = ["yes" if figure.data["checklist"][s.name][fact] else "**missing**" for s in bench.servers]
        lines.append(f"| {fact} | " + " | ".join(marks) + " |")
    figure.notes.append("\n".join(lines))
    return figure
