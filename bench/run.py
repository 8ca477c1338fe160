"""`python -m bench.run` (`make bench`): every figure of issue 5, for our server and the official one, in one run.

Starts a seeded local Sentry in its own process, installs the pinned official server with npm when it
can (runs ours alone otherwise, and says so), runs the figures in order and writes `bench/results.md`
and `bench/results.json`. Benchmarks report; a figure that breaks is reported as broken and the
others still run. `--quick` takes fewer repeats (for trying the bench, not for quoting); `--only context`
runs only the named figures (`make bench BENCH_ARGS="--only context"`: figure 6 alone, in about a minute;
`--only http`: figure 8, HTTP against stdio) and replaces only their sections and targets in the results,
keeping the other figures' numbers from the last full run.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import shutil
import subprocess
import sys
import time
import traceback
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from types import ModuleType

from .figures import Figure, cold_start, context, http_load, issue_e2e, memory, overhead, parallel, replicas, scale
from .harness import Bench
from .report import merge, render
from .sandbox import REPO, LocalSentry
from .servers import OFFICIAL_VERSION, Server, install_official, official, ours

FIGURES: dict[str, ModuleType] = {
    "cold_start": cold_start,
    "overhead": overhead,
    "issue_e2e": issue_e2e,
    "parallel": parallel,
    "scale": scale,
    "context": context,
    "memory": memory,
    "http": http_load,
    "replicas": replicas,
}
OURS_ALONE = {"http", "replicas"}
"""Figures that measure our server alone: run by themselves, they need no npm install of the official one."""
RESULTS_MD = REPO / "bench" / "results.md"
RESULTS_JSON = REPO / "bench" / "results.json"
WORK_DIR = REPO / "bench" / ".work"


def _cpu() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def _memory_gib() -> str:
    try:
        kib = int(Path("/proc/meminfo").read_text().split()[1])
        return f"{kib / 1024 / 1024:.1f} GiB"
    except (OSError, ValueError, IndexError):
        return "unknown"


def _node() -> str:
    if shutil.which("node") is None:
        return "absent"
    return subprocess.run(["node", "--version"], capture_output=True, text=True, check=False).stdout.strip()


def header(args: argparse.Namespace, official_status: str, has_faults: bool, seconds: float) -> list[str]:
    versions = ", ".join(f"{name} {metadata.version(name)}" for name in ("mcp", "httpx", "pydantic", "anyio"))
    options = [*(["--quick"] if args.quick else []), *(["--no-official"] if args.no_official else [])]
    options += ["--only", *args.only] if args.only else []
    return [
        f"Command: `make bench` (`python -m bench.run{''.join(f' {o}' for o in options)}`), "
        f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {seconds:.0f} s in all"
        + (f"; only figure(s) {', '.join(args.only)}." if args.only else "."),
        "",
        f"- Machine: {_cpu()}, {os.cpu_count()} cores, {_memory_gib()} memory, {platform.platform()}",
        f"- Python {platform.python_version()} ({versions}); Node {_node()}",
        f"- Official server: {official_status}",
        "- Local Sentry: `mcp_servers/sentry_sandbox` in its own process, seeded through sentry-sdk (same seed each "
        "run); latency and rate limits from its fault plan"
        + ("" if has_faults else " (**absent here: branch `faults` not merged, those figures ran without**)"),
        "- Each figure repeats its measurement and gives median (p95); comparisons alternate the two servers "
        "and are ratios of medians taken in this run. The machine is shared and noisy: read ratios, not "
        "absolute times.",
    ]


async def main_async(args: argparse.Namespace) -> int:
    started = time.perf_counter()
    WORK_DIR.mkdir(parents=True, exist_ok=True)
    if args.no_official:
        ready, official_status = False, "skipped (--no-official)"
    elif args.only and set(args.only) <= OURS_ALONE:
        ready, official_status = False, f"not needed (figure(s) {', '.join(args.only)} measure ours alone)"
    else:
        ready, official_status = install_official()
    print(f"official server: {official_status}", file=sys.stderr, flush=True)
    sentry = await LocalSentry.start(seed=True, stderr_path=WORK_DIR / "sandbox.stderr.log")
    home = WORK_DIR / "home"
    home.mkdir(exist_ok=True)

    def servers_for(target: LocalSentry) -> list[Server]:
        return [ours(target), *([official(target, home)] if ready else [])]

    bench = Bench(sentry, servers_for, WORK_DIR, quick=args.quick)
    figures: dict[str, Figure] = {}
    try:
        for name, module in FIGURES.items():
            if args.only and name not in args.only:
                continue
            print(f"figure {name}...", file=sys.stderr, flush=True)
            figure_started = time.perf_counter()
            try:
                figures[name] = await module.run(bench)
            except Exception:
                trace = traceback.format_exc()
                print(trace, file=sys.stderr, flush=True)
                figures[name] = Figure(f"{name}: broken", [], notes=[f"```\n{trace[-2000:]}```"])
            await sentry.clear_faults()
            print(f"  {time.perf_counter() - figure_started:.1f} s", file=sys.stderr, flush=True)
    finally:
        await sentry.stop()
    seconds = time.perf_counter() - started
    lines = header(args, official_status, sentry.has_faults, seconds)
    partial = bool(args.only) and RESULTS_MD.is_file()
    RESULTS_MD.write_text(
        merge(RESULTS_MD.read_text(), lines[0].removeprefix("Command: "), figures)
        if partial
        else render(lines, figures)
    )
    results = {
        "official": {"ready": ready, "status": official_status, "version": OFFICIAL_VERSION},
        "faults": sentry.has_faults,
        "quick": args.quick,
        "figures": {name: {"title": f.title, "data": f.data} for name, f in figures.items()},
    }
    if args.only and RESULTS_JSON.is_file():
        previous = json.loads(RESULTS_JSON.read_text())
        results = {**previous, "figures": {**previous.get("figures", {}), **results["figures"]}}
    RESULTS_JSON.write_text(json.dumps(results, indent=1, default=str) + "\n")
    print(f"wrote {RESULTS_MD.relative_to(REPO)} and {RESULTS_JSON.relative_to(REPO)}", file=sys.stderr)
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="fewer repeats: to try the bench, not to quote")
    parser.add_argument("--no-official", action="store_true", help="measure our server only")
    parser.add_argument("--only", nargs="*", choices=list(FIGURES), help="run only these figures")
    return asyncio.run(main_async(parser.parse_args()))


if __name__ == "__main__":
    raise SystemExit(main())
