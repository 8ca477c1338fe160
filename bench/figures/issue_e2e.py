"""Figure 3: one issue end to end (ours: get-issue-details; official: get_sentry_resource), with the
local Sentry adding 0, 20 and 100 ms to every request. Warm sessions, the two servers alternating."""

from __future__ import annotations

import contextlib

from ..harness import Bench
from ..stats import ratio, summary_ms
from . import Figure

LATENCIES_MS = (0, 20, 100)


def _concurrency(requests: list[dict[str, object]]) -> str:
    return ", ".join(
        f"{r['method']} {str(r['path']).split('/issues/', 1)[-1] or r['path']} {r['status']}" for r in requests
    )


async def run(bench: Bench) -> Figure:
    issue = await bench.busiest_issue()
    runs = bench.runs(15, 4)
    latencies = LATENCIES_MS if bench.sentry.has_faults else (0,)
    figure = Figure(
        f"3. One issue end to end ({issue['short_id']}; wall ms, {runs} calls each)",
        [
            "latency per Sentry request",
            "server",
            "Sentry calls",
            "latencies waited in series",
            "wall time",
            "ratio ours / official (median)",
        ],
    )
    if not bench.sentry.has_faults:
        figure.notes.append(
            "The local Sentry has no fault plan yet (branch `faults` not merged): only 0 ms latency was measured."
        )
    zero: dict[str, float] = {}
    async with contextlib.AsyncExitStack() as stack:
        sessions = {server.name: await stack.enter_async_context(bench.session(server)) for server in bench.servers}
        stack.push_async_callback(bench.sentry.clear_faults)
        for latency in latencies:
            await bench.sentry.latency(latency / 1000)
            walls: dict[str, list[float]] = {s.name: [] for s in bench.servers}
            calls: dict[str, list[dict[str, object]]] = {}
            for server in bench.servers:  # warm-up
                await sessions[server.name].call(*server.issue(issue, bench.sentry.org))
            for index in range(runs):
                order = bench.servers if index % 2 == 0 else list(reversed(bench.servers))
                for server in order:
                    answer, logged = await bench.counted_call(
                        sessions[server.name], server.issue(issue, bench.sentry.org)
                    )
                    walls[server.name].append(answer.seconds)
                    calls[server.name] = logged
            medians = {name: summary_ms(values) for name, values in walls.items()}
            figure.data[f"{latency}ms"] = {
                name: {"wall": medians[name], "calls": len(calls[name]), "requests": _concurrency(calls[name])}
                for name in walls
            }
            for server in bench.servers:
                wall = medians[server.name]["median"]
                zero.setdefault(server.name, wall)
                # How many request latencies the call waited in a row: 1 when its requests ran side by side.
                serial = round((wall - zero[server.name]) / latency, 1) if latency else ""
                figure.data[f"{latency}ms"][server.name]["latencies_in_series"] = serial
                cell: float | str | None = ""
                if server.name == "ours" and "official" in medians:
                    cell = ratio(wall, medians["official"]["median"])
                    figure.data[f"{latency}ms"]["ratio"] = cell
                row = [f"{latency} ms", server.label, len(calls[server.name]), serial, medians[server.name], cell]
                figure.rows.append(row)
    for server in bench.servers:
        figure.notes.append(f"{server.name} requests: {figure.data['0ms'][server.name]['requests']}")
    return figure
