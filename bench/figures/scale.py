"""Figure 5: a page of 100 issues out of 1,000 and out of 10,000, and five pages of 100 through `cursor`.

A second local Sentry holds only synthetic issues (`sentry_sandbox.bulk`). The local Sentry itself
scans every issue for each list request, so its own time grows with the total; the direct httpx row
shows that part, and "server's share" (tool call minus direct) is what the MCP server adds.
"""

from __future__ import annotations

import contextlib
from typing import Any

from ..clients import DirectSentry
from ..harness import Bench
from ..sandbox import LocalSentry
from ..stats import summary_ms
from . import Figure

PAGE = 100
PAGES = 5
SMALL, LARGE = 1_000, 10_000


async def _measure(bench: Bench, sentry: LocalSentry, total: int, figure: Figure) -> None:
    """Page 1 of each server, each call followed by a direct replay of the requests it made."""
    runs = bench.runs(7, 2)
    direct = DirectSentry(sentry.url, sentry.token)
    async with contextlib.AsyncExitStack() as stack:
        stack.push_async_callback(direct.aclose)
        servers = bench.servers_for(sentry)
        sessions = {s.name: await stack.enter_async_context(bench.session(s)) for s in servers}
        tool: dict[str, list[float]] = {s.name: [] for s in servers}
        floor: dict[str, list[float]] = {s.name: [] for s in servers}
        calls: dict[str, int] = {}
        for index in range(runs + 1):
            for server in servers if index % 2 == 0 else list(reversed(servers)):
                call = server.recent("backend", sentry.projects["backend"], sentry.org, PAGE)
                assert call is not None
                answer, logged = await bench.counted_call(sessions[server.name], call, sentry)
                if answer.is_error:
                    raise RuntimeError(f"{server.name}: {answer.text[:300]}")
                replayed = await direct.replay(logged)
                if index:  # the first round warms caches (ours: the project id)
                    tool[server.name].append(answer.seconds)
                    floor[server.name].append(replayed)
                    calls[server.name] = len(logged)
        for server in servers:
            wall, alone = summary_ms(tool[server.name]), summary_ms(floor[server.name])
            share = round(wall["median"] - alone["median"], 1)
            figure.rows.append([f"{total:,}", server.label, "page 1", calls[server.name], wall, alone, share])
            figure.data.setdefault(str(total), {})[server.name] = {"wall": wall, "direct": alone, "share": share}
        if total == LARGE:
            figure.data["pages"] = await _pages(bench, sessions, servers, sentry)
            for name, row in figure.data["pages"].items():
                label = next(s.label for s in servers if s.name == name)
                figure.rows.append(
                    [
                        f"{total:,}",
                        label,
                        f"{PAGES} pages via cursor",
                        row["calls"],
                        row["wall"],
                        row["direct"],
                        row["share"],
                    ]
                )


async def _pages(bench: Bench, sessions: dict[str, Any], servers: list[Any], sentry: LocalSentry) -> dict[str, Any]:
    """Five pages of 100 in a row, several times: per walk, the total wall time and Sentry calls."""
    results: dict[str, Any] = {}
    direct = DirectSentry(sentry.url, sentry.token)
    try:
        for server in servers:
            if server.recent("backend", "", sentry.org, PAGE, cursor="0:100:0") is None:
                continue
            walls, floors, calls = [], [], 0
            for _ in range(bench.runs(5, 1)):
                cursor, wall, alone, requests = None, 0.0, 0.0, 0
                for _page in range(PAGES):
                    call = server.recent("backend", sentry.projects["backend"], sentry.org, PAGE, cursor)
                    answer, logged = await bench.counted_call(sessions[server.name], call, sentry)
                    wall += answer.seconds
                    alone += await direct.replay(logged)
                    requests += len(logged)
                    cursor = (answer.result.get("structuredContent") or {}).get("data", {}).get("next_cursor")
                walls.append(wall)
                floors.append(alone)
                calls = requests
            wall_ms, direct_ms = summary_ms(walls), summary_ms(floors)
            share = round(wall_ms["median"] - direct_ms["median"], 1)
            results[server.name] = {"wall": wall_ms, "direct": direct_ms, "share": share, "calls": calls}
    finally:
        await direct.aclose()
    return results


async def run(bench: Bench) -> Figure:
    figure = Figure(
        f"5. Scale: get-recent-issues / search_issues, {PAGE} per page (wall ms)",
        [
            "issues in the project",
            "server",
            "what",
            "Sentry calls",
            "wall time",
            "same requests, direct httpx",
            "server's share (median)",
        ],
    )
    sentry = await LocalSentry.start(seed=False, bulk=SMALL, stderr_path=bench.work_dir / "sandbox-scale.stderr.log")
    try:
        await _measure(bench, sentry, SMALL, figure)
        await sentry.bulk(LARGE - SMALL)
        await _measure(bench, sentry, LARGE, figure)
    finally:
        await sentry.stop()
    small, large = figure.data[str(SMALL)], figure.data[str(LARGE)]
    figure.notes.append(
        "Server's share (tool call minus a direct replay of the same requests, median ms), page 1 at 1,000 vs "
        "10,000 issues: "
        + "; ".join(f"{name} {small[name]['share']} vs {large[name]['share']}" for name in small)
        + ". The local Sentry's own time (direct column) grows with the total because it filters every issue "
        "for each request; a real Sentry answers from an index."
    )
    if "official" in small:
        figure.notes.append("search_issues (official) takes no cursor, so it cannot page; only page 1 is compared.")
    return figure
