"""Figure 6: what each answer costs in the model's context in two client profiles, and whether the facts a
user needs are in what the model reads.

Clients hand the model different parts of a tool result. Structured-first (Claude Code, VS Code): the
compact JSON of `structuredContent` when a successful result has one, else its text (on `isError`, or
without structured content). Text-first (Claude Desktop, ChatGPT, the MCP Inspector): the text. `_meta`
is for the client and is never counted. Both servers are measured the same way in both profiles; a
server without structured content costs its text in both. Tokens are estimated as characters / 4.
Results are for the same seeded data in one run; the write tool runs on a reset Sentry.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from ..clients import DirectSentry, ToolAnswer, compact
from ..facts import (
    IssueFacts,
    ListedIssue,
    Read,
    check_event_list,
    check_issue,
    check_issue_list,
    event_times,
    issue_facts,
    listed_issue,
)
from ..harness import Bench
from ..servers import Call, Server
from ..stats import ratio
from . import Figure

CHARS_PER_TOKEN = 4
LIMIT = 10
QUESTIONS = (
    "recent issues (10)",
    "one issue",
    "issue events (10)",
    "one event",
    "resolve",
    "project stats",
    "projects",
)
PROFILES = ("structured-first", "text-first")
CHECKED_NOTE = (
    "What the checklist checks, in a text and, by meaning, in JSON (bench/facts.py). One issue: the latest "
    "event's exception type and value (in JSON also as the issue's title `Type: value`), its crashing in-app "
    "frame (`file:line` in a string, or a file field beside a line field), event and user counts (JSON "
    "numbers under count/events and user_count/users keys), first and last seen to the second, the permalink "
    "(a template with `{id}` or `<id>` expanded with the issue's id). Recent issues: at least 10 (or all) of "
    "the project's unresolved issues named by id or short id and, for each, its title, event and user "
    "counts and last seen (to the minute, or as an age such as `3 minutes ago`), looked for between its first "
    "mention and the next issue's in a text, in the objects that carry its id in JSON. Issue events: 10 of "
    "the issue's event ids and each one's time to the second (anywhere in a text, in its object in JSON)."
)


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


def model_reads(answer: ToolAnswer, profile: str) -> Read:
    """What a client of `profile` hands the model from this result (never its `_meta`)."""
    structured = answer.result.get("structuredContent")
    if profile == "structured-first" and isinstance(structured, dict) and not answer.is_error:
        return structured
    return answer.text


def size(read: Read) -> int:
    """Characters handed on: the text, or the structured content as compact JSON."""
    return len(read) if isinstance(read, str) else len(compact(read))


@dataclass(frozen=True)
class Expected:
    """The facts the answers should carry, read from Sentry's API before the servers are asked."""

    issue: IssueFacts
    latest_event_id: str
    issues: list[ListedIssue]
    events: dict[str, datetime]


async def expected_facts(bench: Bench, issue: dict[str, Any]) -> Expected:
    org = bench.sentry.org
    direct = DirectSentry(bench.sentry.url, bench.sentry.token)
    base = f"/api/0/organizations/{org}/issues/{issue['id']}/"
    try:
        detail = await direct.get_json(base)
        event = await direct.get_json(base + "events/latest/")
        issues = await direct.get_json(f"/api/0/projects/{org}/backend/issues/", query="is:unresolved", limit=100)
        events = await direct.get_json(base + "events/", limit=100)
    finally:
        await direct.aclose()
    link = f"{bench.sentry.url}/organizations/{org}/issues/{issue['short_id']}"
    return Expected(
        issue_facts(detail, event, (link,)), event["eventID"], [listed_issue(i) for i in issues], event_times(events)
    )


CHECKS: dict[str, Callable[[Read, Expected, datetime], dict[str, bool]]] = {
    "one issue": lambda read, expected, received: check_issue(read, expected.issue),
    "recent issues (10)": lambda read, expected, received: check_issue_list(read, expected.issues, LIMIT, received),
    "issue events (10)": lambda read, expected, received: check_event_list(read, expected.events, LIMIT),
}


@dataclass(frozen=True)
class Answer:
    tool: str
    answer: ToolAnswer
    received: datetime

    @property
    def failed(self) -> bool:
        return self.answer.is_error or bool(re.match(r"^\s*(#+\s*)?(Error|Failed|Request failed)\b", self.answer.text))


def _call_for(server: Server, question: str, issue: dict[str, Any], expected: Expected, bench: Bench) -> Call | None:
    org, backend = bench.sentry.org, bench.sentry.projects["backend"]
    calls: dict[str, Callable[[], Call | None]] = {
        "recent issues (10)": lambda: server.recent("backend", backend, org, LIMIT),
        "one issue": lambda: server.issue(issue, org),
        "issue events (10)": lambda: server.events(issue, org, LIMIT),
        "one event": lambda: server.event(issue, expected.latest_event_id, org),
        "resolve": lambda: server.resolve(issue, org),
        "project stats": lambda: server.stats("backend", org),
        "projects": lambda: server.projects(org),
    }
    return calls[question]()


async def _answers(
    bench: Bench, server: Server, issue: dict[str, Any], expected: Expected
) -> tuple[dict[str, Any], dict[str, Answer | None]]:
    answers: dict[str, Answer | None] = {}
    async with bench.session(server) as session:
        listed = await session.list_tools()
        for question in QUESTIONS:
            call = _call_for(server, question, issue, expected, bench)
            if call is None:
                answers[question] = None
                continue
            answer = await session.call(*call)
            tool = call[0] if call[0] != "execute_sentry_tool" else f"execute_sentry_tool({call[1]['name']})"
            answers[question] = Answer(tool, answer, datetime.now(UTC))
            if question == "resolve":
                await bench.sentry.reset()
    return listed, answers


def _result(answer: Answer | None) -> dict[str, Any] | None:
    if answer is None:
        return None
    reads = model_reads(answer.answer, "structured-first")
    sizes = {profile.replace("-", "_"): size(model_reads(answer.answer, profile)) for profile in PROFILES}
    return {"tool": answer.tool, "error": answer.failed, "structured": isinstance(reads, dict), **sizes}


async def run(bench: Bench) -> Figure:
    issue = await bench.busiest_issue()
    expected = await expected_facts(bench, issue)
    servers = bench.servers
    listed, answers, costs = {}, {}, {}
    for server in servers:
        listed[server.name], answers[server.name] = await _answers(bench, server, issue, expected)
        costs[server.name] = tools_cost(listed[server.name])
    figure = Figure(
        "6. Context cost in two client profiles (characters the model reads; tokens ~ chars / 4)",
        ["what", *[s.label for s in servers], *(["ratio ours / official"] if len(servers) > 1 else [])],
    )

    def add(what: str, values: dict[str, int | None]) -> float | None:
        cells: list[Any] = [f"{v:,} (~{tokens(v):,} tok)" if v is not None else "n/a" for v in values.values()]
        share = ratio(values.get("ours"), values.get("official"))
        figure.rows.append([what, *cells, *([share] if len(values) > 1 else [])])
        return share

    add("tools/list: descriptions + input schemas", {n: c["descriptions_and_inputs"] for n, c in costs.items()})
    add("tools/list: output schemas", {n: c["output_schemas"] for n, c in costs.items()})
    add("tools/list: whole answer", {n: c["whole"] for n, c in costs.items()})
    results = {q: {s.name: _result(answers[s.name][q]) for s in servers} for q in QUESTIONS}
    ratios: dict[str, dict[str, float | None]] = {}
    for question in QUESTIONS:
        ratios[question] = {}
        for profile in PROFILES:
            key = profile.replace("-", "_")
            values = {n: r[key] if r and not r["error"] else None for n, r in results[question].items()}
            ratios[question][profile] = add(f"{profile}: {question}", values)
    checklist = {
        question: {s.name: _checked(answers[s.name][question], check, expected) for s in servers}
        for question, check in CHECKS.items()
    }
    figure.data |= {"tools_list": costs, "results": results, "ratios": ratios, "checklist": checklist}
    figure.data["one_issue"] = {s.name: _reads(answers[s.name]["one issue"]) for s in servers}
    figure.notes += [
        "Structured-first (Claude Code, VS Code): the compact JSON of `structuredContent` when a successful "
        "result has it, else the text; text-first (Claude Desktop, ChatGPT, the Inspector): the text. `_meta` "
        "is not counted. The tools, and what structured-first read:",
        "\n".join(_tools_table(results, servers)),
        *_checklist_notes(checklist, expected, servers),
        CHECKED_NOTE,
    ]
    return figure


def _checked(
    answer: Answer | None, check: Callable[[Read, Expected, datetime], dict[str, bool]], expected: Expected
) -> dict[str, dict[str, bool]] | None:
    """Per profile, the facts found in what the model reads (None: no such tool)."""
    if answer is None:
        return None
    return {profile: check(model_reads(answer.answer, profile), expected, answer.received) for profile in PROFILES}


def _reads(answer: Answer | None) -> dict[str, Any] | None:
    return {profile: model_reads(answer.answer, profile) for profile in PROFILES} if answer else None


def _tools_table(results: dict[str, dict[str, dict[str, Any] | None]], servers: list[Server]) -> list[str]:
    lines = ["| question | " + " | ".join(s.name for s in servers) + " |", "|" + "---|" * (len(servers) + 1)]
    for question, per in results.items():
        cells = []
        for server in servers:
            found = per[server.name]
            if found is None:
                cells.append("none")
                continue
            reads = "structuredContent" if found["structured"] else "text"
            cells.append(f"{found['tool']} ({'failed' if found['error'] else reads})")
        lines.append(f"| {question} | " + " | ".join(cells) + " |")
    return lines


def _checklist_notes(
    checklist: dict[str, dict[str, dict[str, dict[str, bool]] | None]], expected: Expected, servers: list[Server]
) -> list[str]:
    notes = []
    columns = [(s.name, profile) for s in servers for profile in PROFILES]
    for question, per in checklist.items():
        facts = next((list(p[PROFILES[0]]) for p in per.values() if p), [])
        about = f" ({expected.issue.short_id})" if question != "recent issues (10)" else ""
        lines = [
            f"Facts checklist, {question}{about}:\n",
            "| fact | " + " | ".join(f"{name} {profile}" for name, profile in columns) + " |",
            "|" + "---|" * (len(columns) + 1),
        ]
        for fact in facts:
            marks = [
                "n/a" if (checked := per[name]) is None else "yes" if checked[profile][fact] else "**missing**"
                for name, profile in columns
            ]
            lines.append(f"| {fact} | " + " | ".join(marks) + " |")
        notes.append("\n".join(lines))
    return notes
