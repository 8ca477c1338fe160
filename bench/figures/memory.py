"""Figure 7: resident memory of the server process over 1,000 sequential issue calls (Linux /proc)."""

from __future__ import annotations

import contextlib
from pathlib import Path

from ..harness import Bench
from . import Figure

CALLS = 1000
CHECKPOINTS = (1, 100, 1000)


def memory_kib(pid: int) -> dict[str, int]:
    """VmRSS (now) and VmHWM (peak) of a process, in KiB; empty where /proc is absent."""
    status = Path(f"/proc/{pid}/status")
    if not status.is_file():
        return {}
    values = {}
    for line in status.read_text().splitlines():
        key, _, rest = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            values[key] = int(rest.split()[0])
    return values


async def run(bench: Bench) -> Figure:
    calls = bench.runs(CALLS, 200)
    checkpoints = tuple(c for c in CHECKPOINTS if c <= calls) + ((calls,) if calls not in CHECKPOINTS else ())
    issue = await bench.busiest_issue()
    figure = Figure(
        f"7. Memory over {calls} sequential issue calls (MB = 10^6 bytes)",
        ["server", *[f"RSS after call {c}" for c in checkpoints], f"peak RSS after {calls}", f"growth 100 -> {calls}"],
    )
    samples: dict[str, dict[int, dict[str, int]]] = {s.name: {} for s in bench.servers}
    async with contextlib.AsyncExitStack() as stack:
        sessions = {s.name: await stack.enter_async_context(bench.session(s)) for s in bench.servers}
        for index in range(1, calls + 1):
            for server in bench.servers:  # alternating, one call each
                answer = await sessions[server.name].call(*server.issue(issue, bench.sentry.org))
                if answer.is_error:
                    raise RuntimeError(f"{server.name}: {answer.text[:300]}")
                if index in checkpoints:
                    samples[server.name][index] = memory_kib(sessions[server.name].pid)
            if index % 100 == 0:
                await bench.sentry.clear_requests()
    if not any(samples[s.name][checkpoints[0]] for s in bench.servers):
        figure.notes.append("No /proc on this system: memory was not measured.")
        return figure
    for server in bench.servers:
        got = samples[server.name]
        mib = {c: round(got[c]["VmRSS"] * 1024 / 1e6, 1) for c in checkpoints}
        peak = round(got[calls]["VmHWM"] * 1024 / 1e6, 1)
        growth = round(mib[calls] - mib[100], 1) if 100 in mib else None
        figure.data[server.name] = {"rss_mb": mib, "peak_mb": peak, "growth_mb": growth}
        figure.rows.append([server.label, *mib.values(), peak, growth])
    figure.notes.append("The official server's RSS is its node process; ours is the Python process.")
    return figure
