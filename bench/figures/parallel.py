"""Figure 4: 64 concurrent issue calls on one session with 50 ms Sentry latency, versus one call; and a burst
of calls while the local Sentry lets 5 requests per second through (429 with Retry-After for the rest)."""

from __future__ import annotations

import asyncio
import contextlib
import time
from typing import Any

from ..clients import DirectSentry, StdioSession
from ..harness import Bench
from ..servers import Call
from ..stats import ratio, summary_ms
from . import Figure

CONCURRENT = 64
LATENCY_S = 0.05
THROTTLE_RATE = 5.0
BURST = 10


async def _burst(session: StdioSession, call: Call, count: int) -> tuple[float, list[bool]]:
    started = time.perf_counter()
    answers = await asyncio.gather(*(session.call(*call) for _ in range(count)))
    return time.perf_counter() - started, [answer.is_error for answer in answers]


async def run(bench: Bench) -> Figure:
    sentry = bench.sentry
    issue = await bench.busiest_issue()
    figure = Figure(
        f"4. Parallel load: {CONCURRENT} concurrent issue calls on one session, {LATENCY_S * 1000:g} ms Sentry latency",
        ["server", "one call", f"{CONCURRENT} calls at once", "ratio (64 / one)", "failed"],
    )
    if not sentry.has_faults:
        figure.notes.append("No fault plan in the local Sentry (branch `faults` not merged): measured without latency.")
    rounds = bench.runs(3, 1)
    async with contextlib.AsyncExitStack() as stack:
        sessions = {server.name: await stack.enter_async_context(bench.session(server)) for server in bench.servers}
        stack.push_async_callback(sentry.clear_faults)
        await sentry.latency(LATENCY_S)
        one: dict[str, list[float]] = {s.name: [] for s in bench.servers}
        many: dict[str, list[float]] = {s.name: [] for s in bench.servers}
        failed: dict[str, int] = {s.name: 0 for s in bench.servers}
        for server in bench.servers:
            await sessions[server.name].call(*server.issue(issue, sentry.org))  # warm-up
        for index in range(rounds):
            order = bench.servers if index % 2 == 0 else list(reversed(bench.servers))
            for server in order:
                call = server.issue(issue, sentry.org)
                for _ in range(3):
                    one[server.name].append((await sessions[server.name].call(*call)).seconds)
                wall, errors = await _burst(sessions[server.name], call, CONCURRENT)
                many[server.name].append(wall)
                failed[server.name] += sum(errors)
                await sentry.clear_requests()
        for server in bench.servers:
            single, burst = summary_ms(one[server.name]), summary_ms(many[server.name])
            figure.data[server.name] = {"one": single, "many": burst, "ratio": ratio(burst["median"], single["median"])}
            figure.rows.append([server.label, single, burst, figure.data[server.name]["ratio"], failed[server.name]])
        figure.data["direct"] = await _direct_floor(bench, issue["short_id"])
        floor = figure.data["direct"]
        floor["ratio"] = ratio(floor["many"], floor["one"])
        figure.rows.append(
            ["direct httpx, same requests (the local Sentry alone)", floor["one"], floor["many"], floor["ratio"], 0]
        )
        figure.notes.append(
            f"Floor: the same {CONCURRENT} x (issue + latest event) requests sent at once with httpx, no MCP server: "
            f"{figure.data['direct']['many']} ms vs {figure.data['direct']['one']} ms for one pair "
            "(the local Sentry answers from one thread)."
        )
        if sentry.has_faults:
            figure.data["throttle"] = await _throttled(bench, sessions, issue)
            figure.notes.append(
                f"429 burst: {BURST} concurrent issue calls while the local Sentry lets {THROTTLE_RATE:g} requests/s "
                "through: "
                + "; ".join(
                    f"{name}: {v['failed']} failed of {BURST}, {v['limited']} requests answered 429, {v['wall_ms']} ms"
                    for name, v in figure.data["throttle"].items()
                )
            )
    return figure


async def _direct_floor(bench: Bench, short_id: str) -> dict[str, float]:
    direct = DirectSentry(bench.sentry.url, bench.sentry.token)
    base = f"/api/0/organizations/{bench.sentry.org}/issues/{short_id}/"

    async def pair() -> None:
        await asyncio.gather(direct.http.get(base), direct.http.get(base + "events/latest/"))

    try:
        await pair()
        started = time.perf_counter()
        await pair()
        single = time.perf_counter() - started
        started = time.perf_counter()
        await asyncio.gather(*(pair() for _ in range(CONCURRENT)))
        many = time.perf_counter() - started
    finally:
        await direct.aclose()
    return {"one": round(single * 1000, 1), "many": round(many * 1000, 1)}


async def _throttled(
    bench: Bench, sessions: dict[str, StdioSession], issue: dict[str, Any]
) -> dict[str, dict[str, int]]:
    results = {}
    for server in bench.servers:
        await bench.sentry.throttle(THROTTLE_RATE)
        await asyncio.sleep(1.5)  # an empty window for each server
        wall, errors = await _burst(sessions[server.name], server.issue(issue, bench.sentry.org), BURST)
        limited = sum(int(hit.get("hits", 0)) for hit in await bench.sentry.fault_hits())
        results[server.name] = {"failed": sum(errors), "limited": limited, "wall_ms": round(wall * 1000)}
    await bench.sentry.clear_faults()
    return results
