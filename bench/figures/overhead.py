"""Figure 2: a tool call's wall time minus a direct httpx request for the same Sentry data, sequentially.

Each server lists five issues of a project (ours: get-recent-issues; official: search_issues with the
numeric project id). The Sentry requests one warm call makes are taken from the local Sentry's log;
the direct side replays exactly those with httpx (one keep-alive client). Tool call and direct
replay alternate, and the overhead is the median of the per-pair differences.
"""

from __future__ import annotations

from ..clients import DirectSentry
from ..harness import Bench
from ..stats import percentile, summary_ms
from . import Figure

LIMIT = 5


async def run(bench: Bench) -> Figure:
    calls = bench.runs(500, 60)
    sentry = bench.sentry
    direct = DirectSentry(sentry.url, sentry.token)
    figure = Figure(
        f"2. Per-call overhead over {calls} sequential calls (ms)",
        ["server", "tool", "Sentry requests per call", "tool call", "direct httpx", "overhead (median / p95)"],
    )
    try:
        for server in bench.servers:
            call = server.recent("backend", sentry.projects["backend"], sentry.org, LIMIT)
            assert call is not None
            async with bench.session(server) as session:
                for _ in range(3):  # warm-up: caches, connections, JIT
                    await session.call(*call)
                _, logged = await bench.counted_call(session, call)
                for _ in range(3):
                    await direct.replay(logged)
                tool, plain, diffs = [], [], []
                for index in range(calls):
                    if index % 2 == 0:
                        answer = await session.call(*call)
                        floor = await direct.replay(logged)
                    else:
                        floor = await direct.replay(logged)
                        answer = await session.call(*call)
                    if answer.is_error:
                        raise RuntimeError(f"{server.name} {call[0]} failed: {answer.text[:300]}")
                    tool.append(answer.seconds)
                    plain.append(floor)
                    diffs.append(answer.seconds - floor)
                    if index % 100 == 99:
                        await sentry.clear_requests()
            overhead = {
                "median": round(sorted(diffs)[len(diffs) // 2] * 1000, 2),
                "p95": round(percentile(diffs, 0.95) * 1000, 2),
            }
            figure.data[server.name] = {
                "tool": summary_ms(tool),
                "direct": summary_ms(plain),
                "overhead": overhead,
                "requests": [f"{r['method']} {r['path']}" for r in logged],
            }
            figure.rows.append(
                [
                    server.label,
                    call[0],
                    len(logged),
                    summary_ms(tool),
                    summary_ms(plain),
                    f"{overhead['median']} / {overhead['p95']}",
                ]
            )
    finally:
        await direct.aclose()
    for server in bench.servers:
        figure.notes.append(f"{server.name}: {', '.join(figure.data[server.name]['requests'])}")
    return figure
