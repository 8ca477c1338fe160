"""Figure 8: our server over streamable HTTP against stdio, at 1, 16 and 128 concurrent clients.

Every client calls get-recent-issues (limit 5) on the local Sentry in a closed loop (its next call when the
last one answers) until the level's fixed number of calls is made; calls per second is calls / wall time,
latency is each call's, seen by its client. HTTP: one server process (`--transport http`, one API key with a
caller limit of 1000), each client its own connection and, in the legacy protocol, its own session; both
protocol versions are measured (2025-11-25 and 2026-07-28). stdio: one process and one session, with as
many calls in flight on it as there are clients (a stdio server has one client: N stdio processes would
measure N interpreters on 2 cores). Direct: the same Sentry request sent with httpx, no MCP server (the
local Sentry's own limit). The four alternate in rounds.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import statistics
import time
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import Any

import httpx

from ..clients import DirectSentry, ToolAnswer
from ..harness import Bench
from ..http_client import LEGACY, MODERN, HttpServer, HttpSession
from ..sandbox import REPO
from ..servers import Call, ours
from ..stats import tail_ms
from . import Figure

LEVELS = (1, 16, 128)
LIMIT = 5
KEY = "bench-http-load-key"
TRANSPORTS = {
    "stdio": "stdio (one session, N calls in flight)",
    "http_legacy": f"HTTP {LEGACY} (legacy)",
    "http_modern": f"HTTP {MODERN}",
    "direct": "direct httpx (the local Sentry alone)",
}

Caller = Callable[[], Awaitable[ToolAnswer]]


async def drive(callers: Sequence[Caller], calls: int) -> tuple[float, list[float], list[str]]:
    """`calls` calls shared by the callers, each one call at a time: (wall seconds, latencies, errors)."""
    left = calls
    latencies: list[float] = []
    errors: list[str] = []

    async def client(call: Caller) -> None:
        nonlocal left
        while left > 0:
            left -= 1
            try:
                answer = await call()
            except Exception as exc:  # counted: an error under load is a result
                errors.append(f"{type(exc).__name__}: {exc}"[:300])
                continue
            if answer.is_error:
                errors.append(answer.text[:300])
            else:
                latencies.append(answer.seconds)

    started = time.perf_counter()
    await asyncio.gather(*(client(call) for call in callers))
    return time.perf_counter() - started, latencies, errors


def recent_issues(bench: Bench) -> Call:
    call = ours(bench.sentry).recent("backend", bench.sentry.projects["backend"], bench.sentry.org, LIMIT)
    assert call is not None
    return call


async def run(bench: Bench) -> Figure:
    sentry = bench.sentry
    calls, rounds = bench.runs(2048, 512), bench.runs(4, 2)
    server = ours(sentry)
    name, arguments = recent_issues(bench)
    figure = Figure(
        f"8. HTTP against stdio: get-recent-issues (limit {LIMIT}), {calls} calls per level (ms)",
        ["transport", "clients", "calls/s", "p50", "p99", "p99 / p50", "errors", "server CPU per call"],
    )
    await sentry.clear_faults()
    direct = DirectSentry(sentry.url, sentry.token)
    http = await HttpServer.start(server.env, REPO, bench.work_dir / "http.stderr.log", KEY)
    try:
        async with bench.session(server) as stdio:
            for _ in range(3):  # warm-up, and the Sentry requests one call makes
                await stdio.call(name, arguments)
            _, logged = await bench.counted_call(stdio, (name, arguments))

            async def replay() -> ToolAnswer:
                return ToolAnswer({}, await direct.replay(logged))

            figure.data["healthz_p50"] = await _healthz(http.url)
            pids = {"stdio": stdio.pid, "http_legacy": http.process.pid, "http_modern": http.process.pid}
            for level in LEVELS:
                figure.data[str(level)] = await _level(bench, level, calls, rounds, http, stdio.call, replay, pids)
        figure.data["server_warnings"] = http.warnings  # before the SIGTERM, which logs its drain
    finally:
        await direct.aclose()
        await http.stop()
    for level in LEVELS:
        for transport, label in TRANSPORTS.items():
            got = figure.data[str(level)][transport]
            row = [got["calls_per_s"], got["p50"], got["p99"], got["p99_over_p50"], got["errors"], got["cpu_ms"]]
            figure.rows.append([label, level, *row])
    _notes(figure, logged)
    return figure


async def _level(
    bench: Bench,
    level: int,
    calls: int,
    rounds: int,
    http: HttpServer,
    stdio_call: Callable[[str, dict[str, Any]], Awaitable[ToolAnswer]],
    replay: Caller,
    pids: dict[str, int],
) -> dict[str, dict[str, Any]]:
    """One level: `level` clients per transport, `calls` calls each, in `rounds` alternating rounds."""
    sentry = bench.sentry
    name, arguments = recent_issues(bench)
    async with contextlib.AsyncExitStack() as stack:
        clients: dict[str, list[HttpSession]] = {}
        for transport, protocol in (("http_legacy", LEGACY), ("http_modern", MODERN)):
            clients[transport] = [HttpSession(http.url, KEY, protocol) for _ in range(level)]
            for session in clients[transport]:
                stack.push_async_callback(session.aclose)
            await asyncio.gather(*(session.open() for session in clients[transport]))
            # one call each, not timed: connections open, as a client that keeps calling has them
            await asyncio.gather(*(session.call(name, arguments) for session in clients[transport]))
        callers: dict[str, list[Caller]] = {
            "stdio": [lambda: stdio_call(name, arguments)] * level,
            "direct": [replay] * level,
            **{t: [_bind(s, name, arguments) for s in sessions] for t, sessions in clients.items()},
        }
        walls, cpu = {t: 0.0 for t in TRANSPORTS}, {t: 0.0 for t in TRANSPORTS}
        latencies: dict[str, list[float]] = {t: [] for t in TRANSPORTS}
        errors: dict[str, list[str]] = {t: [] for t in TRANSPORTS}
        for index in range(rounds):
            order = list(TRANSPORTS) if index % 2 == 0 else list(reversed(TRANSPORTS))
            for transport in order:
                share = calls // rounds + (1 if index < calls % rounds else 0)
                before = cpu_seconds(pids.get(transport))
                wall, took, failed = await drive(callers[transport], share)
                cpu[transport] += cpu_seconds(pids.get(transport)) - before
                walls[transport] += wall
                latencies[transport] += took
                errors[transport] += failed
                await sentry.clear_requests()
    return {
        t: {
            "calls": calls,
            "wall_s": round(walls[t], 3),
            "calls_per_s": round(calls / walls[t], 1),
            **tail_ms(latencies[t]),
            "errors": len(errors[t]),
            "cpu_ms": round(cpu[t] * 1000 / calls, 2) if t in pids else None,
            "error_samples": sorted(set(errors[t]))[:5],
        }
        for t in TRANSPORTS
    }


def cpu_seconds(pid: int | None) -> float:
    """User and system CPU time a process has used (Linux /proc; 0 without it or without a pid)."""
    stat = Path(f"/proc/{pid}/stat")
    if pid is None or not stat.is_file():
        return 0.0
    fields = stat.read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def _healthz(url: str, count: int = 200) -> float:
    """p50 ms of GET /healthz on one keep-alive connection: an HTTP round trip through the server, no MCP."""
    took = []
    async with httpx.AsyncClient() as http:
        for _ in range(count + 5):
            started = time.perf_counter()
            (await http.get(url.removesuffix("/mcp") + "/healthz")).raise_for_status()
            took.append(time.perf_counter() - started)
    return round(statistics.median(took[5:]) * 1000, 2)


def _bind(session: HttpSession, name: str, arguments: dict[str, Any]) -> Caller:
    return lambda: session.call(name, arguments)


def http_minus_stdio(data: dict[str, dict[str, dict[str, Any]]], transport: str) -> float | None:
    """p50 over HTTP minus p50 over stdio at one client, in ms: the per-call cost of the transport."""
    one = data.get("1", {})
    http, stdio = one.get(transport, {}).get("p50"), one.get("stdio", {}).get("p50")
    if not isinstance(http, float | int) or not isinstance(stdio, float | int):
        return None
    return round(http - stdio, 2)


def _notes(figure: Figure, logged: list[dict[str, Any]]) -> None:
    for transport in ("http_legacy", "http_modern"):
        figure.data[f"overhead_{transport}"] = http_minus_stdio(figure.data, transport)
    top = str(LEVELS[-1])
    figure.notes.append(
        "Per-call cost of HTTP over stdio at 1 client (p50 minus p50, ms): "
        f"{TRANSPORTS['http_legacy']} {figure.data['overhead_http_legacy']}, "
        f"{TRANSPORTS['http_modern']} {figure.data['overhead_http_modern']}. "
        f"At {top} clients, p99 / p50: "
        + ", ".join(f"{TRANSPORTS[t]} {figure.data[top][t]['p99_over_p50']}" for t in TRANSPORTS)
        + "."
    )
    warnings = figure.data["server_warnings"]
    figure.notes.append(
        f"An HTTP round trip with no MCP in it (GET /healthz on one keep-alive connection, p50): "
        f"{figure.data['healthz_p50']} ms. Server CPU per call (ms): the server process's user + system CPU time "
        "over a level's calls (/proc), divided by the calls; the stdio process serves one session, the HTTP process "
        "all the HTTP clients; the clients' own work is the bench's and not in it."
    )
    figure.notes.append(
        "The HTTP server: one process, `--log-level WARNING`, one API key with SENTRY_MONITOR_CALLER_CONCURRENCY="
        f"1000; it logged {warnings} WARNING or ERROR line(s) during the figure. Each HTTP client has its own httpx "
        "connection pool and one untimed call before its level (connections open); calls/s counts every call, "
        "p50 and p99 the calls that succeeded. The bench's clients, the server and the local Sentry share the "
        "machine's cores; the direct row is what the local Sentry (one thread) answers with no MCP server."
    )
    for level in LEVELS:
        for transport in TRANSPORTS:
            samples = figure.data[str(level)][transport]["error_samples"]
            if samples:
                figure.notes.append(f"Errors, {TRANSPORTS[transport]} at {level} clients: {'; '.join(samples)}")
    requests = ", ".join(f"{r['method']} {r['path']}" for r in logged)
    figure.notes.append(f"One call's Sentry requests: {requests}")
