"""Figure 1: spawn -> initialize -> tools/list answered -> first tool result, alternating the servers."""

from __future__ import annotations

import asyncio
import sys
import time

from ..clients import StdioSession
from ..harness import Bench
from ..sandbox import REPO
from ..stats import ratio, summary_ms
from . import Figure

FLOORS = {
    "python -c pass": [sys.executable, "-c", "pass"],
    "python -c 'import mcp.server'": [sys.executable, "-c", "import mcp.server"],
    "node -e 0": ["node", "-e", "0"],
}


async def _exit_time(command: list[str]) -> float:
    started = time.perf_counter()
    process = await asyncio.create_subprocess_exec(*command, cwd=REPO)
    await process.wait()
    return time.perf_counter() - started


async def run(bench: Bench) -> Figure:
    issue = await bench.busiest_issue()
    runs = bench.runs(12, 3)
    marks: dict[str, dict[str, list[float]]] = {
        s.name: {"initialize": [], "tools/list": [], "first": []} for s in bench.servers
    }
    for index in range(runs):
        order = bench.servers if index % 2 == 0 else list(reversed(bench.servers))
        for server in order:
            session = await StdioSession.spawn(server.command, server.env, REPO, bench.stderr_path(server))
            try:
                await session.initialize()
                marks[server.name]["initialize"].append(time.perf_counter() - session.started)
                await session.list_tools()
                marks[server.name]["tools/list"].append(time.perf_counter() - session.started)
                await session.call(*server.issue(issue, bench.sentry.org))
                marks[server.name]["first"].append(time.perf_counter() - session.started)
            finally:
                await session.close()
    figure = Figure(
        "1. Cold start (spawn to answer, ms)",
        ["server", "initialize answered", "tools/list answered", "first issue result"],
    )
    for server in bench.servers:
        cells = [summary_ms(marks[server.name][key]) for key in ("initialize", "tools/list", "first")]
        figure.rows.append([server.label, *cells])
    figure.data = {name: {key: summary_ms(values) for key, values in per.items()} for name, per in marks.items()}
    if "official" in marks:
        ours_list = figure.data["ours"]["tools/list"]["median"]
        theirs_list = figure.data["official"]["tools/list"]["median"]
        figure.data["ratio_tools_list"] = ratio(ours_list, theirs_list)
        figure.data["ratio_first"] = ratio(
            figure.data["ours"]["first"]["median"], figure.data["official"]["first"]["median"]
        )
        figure.rows.append(
            ["ratio ours / official (medians)", "", figure.data["ratio_tools_list"], figure.data["ratio_first"]]
        )
    floors: dict[str, list[float]] = {name: [] for name in FLOORS}
    for _ in range(bench.runs(5, 2)):
        for name, command in FLOORS.items():
            if name.startswith("node") and "official" not in marks:
                continue
            floors[name].append(await _exit_time(command))
    figure.data["floors"] = {name: summary_ms(values) for name, values in floors.items() if values}
    figure.notes.append(
        "Floors (process start to exit, median ms): "
        + ", ".join(f"`{name}` {value['median']}" for name, value in figure.data["floors"].items())
        + ". The Python server cannot start faster than `import mcp.server`."
    )
    figure.notes.append(
        f"{runs} runs per server, alternating which server starts first; the first tool call reads {issue['short_id']}."
    )
    return figure
