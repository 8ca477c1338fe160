"""Figure 9: the team server as one replica against two, behind nginx, sharing one Redis; and the memory 100
signed-in users take.

Throughput: the replicas run with API keys (one caller limit of 1000) and SENTRY_MONITOR_REDIS_URL, behind nginx
with docs/deploy.md's configuration and TLS (tests/replicas/cluster.py), one replica or two in the upstream. 16
and 128 clients (HTTP 2026-07-28, each its own connection pool) call get-recent-issues (limit 5) in a closed loop,
as figure 8 does. Memory: one replica signing users in with their API token (`user-token`): 100 sign-ins (each
through its own client registration, as 100 users' clients would be), each making one call; the replica's RSS
and Redis's `used_memory` before and after.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import ssl
import tempfile
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from cryptography.fernet import Fernet

from tests.e2e.signin_flow import Browser, free_port, signed_in
from tests.redis_server import RedisServer
from tests.replicas.cluster import certificate, nginx_config, running_nginx

from ..harness import Bench
from ..http_client import MODERN, HttpServer, HttpSession
from ..sandbox import REPO
from ..servers import ours
from ..stats import tail_ms
from . import Figure
from .http_load import cpu_seconds, drive, recent_issues
from .memory import memory_kib

LEVELS = (16, 128)
SBIN_PATH = os.pathsep.join([os.environ.get("PATH", ""), "/usr/sbin", "/sbin"])
KEY = "bench-replicas-key"
USERS = 100


async def run(bench: Bench) -> Figure:
    missing = [name for name in ("nginx", "redis-server") if not shutil.which(name, path=SBIN_PATH)]
    if missing:
        return Figure(
            "9. Replicas: not measured", [], notes=[f"Not installed: {', '.join(missing)} (apt-get install)."]
        )
    calls, rounds = bench.runs(2048, 512), bench.runs(4, 2)
    figure = Figure(
        f"9. Replicas behind nginx sharing Redis: get-recent-issues (limit 5), {calls} calls per level (ms)",
        ["replicas", "clients", "calls/s", "p50", "p99", "errors", *(f"CPU ms per call: {p}" for p in PARTS)],
    )
    with tempfile.TemporaryDirectory(dir=bench.work_dir) as scratch:
        folder = Path(scratch)
        redis = RedisServer(folder).start()
        try:
            async with contextlib.AsyncExitStack() as stack:
                setups = {n: await stack.enter_async_context(_setup(bench, folder / f"r{n}", redis, n)) for n in (1, 2)}
                for level in LEVELS:
                    got = await _level(bench, setups, redis, level, calls, rounds)
                    for replicas in setups:
                        figure.data.setdefault(str(replicas), {})[str(level)] = got[replicas]
            figure.data["memory"] = await _memory(bench, folder / "memory", redis)
        finally:
            redis.stop()
    for replicas in (1, 2):
        for level in LEVELS:
            got = figure.data[str(replicas)][str(level)]
            cpu = [got["cpu_ms"][part] for part in PARTS]
            figure.rows.append([replicas, level, got["calls_per_s"], got["p50"], got["p99"], got["errors"], *cpu])
    _notes(figure)
    return figure


PARTS = ("replicas", "nginx", "Redis", "local Sentry", "bench clients", "all")


class _Setup:
    def __init__(self, url: str, servers: list[HttpServer], nginx: int, cert: Path) -> None:
        self.url, self.servers, self.nginx, self.cert = url, servers, nginx, cert


@contextlib.asynccontextmanager
async def _setup(bench: Bench, folder: Path, redis: RedisServer, replicas: int) -> AsyncIterator[_Setup]:
    """`replicas` servers (API keys, SENTRY_MONITOR_REDIS_URL) behind their own nginx."""
    os.makedirs(folder)
    env = {**ours(bench.sentry).env, "SENTRY_MONITOR_REDIS_URL": redis.url}
    servers = [await HttpServer.start(env, REPO, folder / f"replica{i}.log", KEY) for i in range(replicas)]
    port = free_port()
    cert, key = certificate(folder)
    config = nginx_config(folder, port, [_port(server) for server in servers], cert, key)
    try:
        with running_nginx(folder, config, port) as nginx:
            yield _Setup(f"https://127.0.0.1:{port}/mcp", servers, nginx.pid, cert)
    finally:
        for server in servers:
            await server.stop()


async def _level(
    bench: Bench, setups: dict[int, _Setup], redis: RedisServer, level: int, calls: int, rounds: int
) -> dict[int, dict[str, Any]]:
    """`level` clients on each setup, `calls` calls each, in `rounds` rounds alternating the setups."""
    name, arguments = recent_issues(bench)
    async with contextlib.AsyncExitStack() as stack:
        callers: dict[int, list[Any]] = {}
        for replicas, setup in setups.items():
            sessions = [HttpSession(setup.url, KEY, MODERN, verify=str(setup.cert)) for _ in range(level)]
            for session in sessions:
                stack.push_async_callback(session.aclose)
            await asyncio.gather(*(session.call(name, arguments) for session in sessions))  # warm, untimed
            callers[replicas] = [_bind(session, name, arguments) for session in sessions]
        walls = {n: 0.0 for n in setups}
        cpu = {n: dict.fromkeys(PARTS, 0.0) for n in setups}
        took: dict[int, list[float]] = {n: [] for n in setups}
        errors: dict[int, list[str]] = {n: [] for n in setups}
        for index in range(rounds):
            for replicas in list(setups) if index % 2 == 0 else list(reversed(setups)):
                share = calls // rounds + (1 if index < calls % rounds else 0)
                pids = _pids(bench, setups[replicas], redis)
                before = {part: sum(map(cpu_seconds, pids[part])) for part in pids}
                wall, latencies, failed = await drive(callers[replicas], share)
                for part in pids:
                    cpu[replicas][part] += sum(map(cpu_seconds, pids[part])) - before[part]
                walls[replicas] += wall
                took[replicas] += latencies
                errors[replicas] += failed
                await bench.sentry.clear_requests()
    result = {}
    for n in setups:
        per_call = {part: round(seconds * 1000 / calls, 2) for part, seconds in cpu[n].items()}
        per_call["all"] = round(sum(per_call.values()), 2)
        result[n] = {
            "calls_per_s": round(calls / walls[n], 1),
            **tail_ms(took[n]),
            "errors": len(errors[n]),
            "cpu_ms": per_call,
            "error_samples": sorted(set(errors[n]))[:3],
        }
    return result


def _pids(bench: Bench, setup: _Setup, redis: RedisServer) -> dict[str, list[int | None]]:
    return {
        "replicas": [server.process.pid for server in setup.servers],
        "nginx": [setup.nginx, *_children(setup.nginx)],
        "Redis": [redis.process.pid if redis.process else None],
        "local Sentry": [bench.sentry.process.pid],
        "bench clients": [os.getpid()],
    }


def _children(pid: int) -> list[int | None]:
    """nginx's worker processes (its master does no request work)."""
    found = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(child) for child in found.read_text().split()] if found.is_file() else []


def _port(server: HttpServer) -> int:
    return int(server.url.rsplit(":", 1)[1].split("/")[0])


def _notes(figure: Figure) -> None:
    memory = figure.data["memory"]
    figure.notes.append(
        f"Memory per {USERS} signed-in users (each signed in through its own client and made one call): the replica's "
        f"RSS grew {memory['rss_mb']} MB and Redis's used_memory {memory['redis_mb']} MB "
        f"({memory['redis_keys']} keys for them)."
    )
    two, cores = figure.data["2"][str(LEVELS[-1])], os.cpu_count() or 1
    cpu = two["cpu_ms"]
    ceiling = cores * 1000 / cpu["all"]
    used = two["calls_per_s"] / ceiling
    verdict = (
        "the machine's cores are what limits it: two replicas gain only what one replica left of a core idle"
        if used >= 0.75
        else "the cores were not all busy: the limit is elsewhere (waiting on the local Sentry or on nginx)"
    )
    figure.notes.append(
        f"What limits two replicas on {cores} cores: at {LEVELS[-1]} clients they made {two['calls_per_s']} calls/s, "
        f"each costing {cpu['all']} ms of CPU in all ({cpu['replicas']} in the replicas, {cpu['bench clients']} in "
        f"the bench's own clients, {cpu['local Sentry']} in the local Sentry, {cpu['nginx']} in nginx, {cpu['Redis']} "
        f"in Redis): {cores} cores allow about {ceiling:.0f} calls/s at that cost, of which {used:.0%} was reached, "
        f"so {verdict}. One replica is one Python process, and uses one core at most."
    )
    figure.notes.append(
        "Setups: 1 and 2 replicas, each behind its own nginx (docs/deploy.md's configuration with a test certificate; "
        "one worker), all sharing one redis-server, both up throughout; every level alternates the two setups in "
        "rounds. Each client is an HTTP 2026-07-28 session with its own connection pool and one untimed call first. "
        "CPU per call: user + system CPU time of each part's processes (/proc) over the level's calls, divided by "
        "them; 'bench clients' is the bench process, 'all' their sum."
    )


async def _memory(bench: Bench, folder: Path, redis: RedisServer) -> dict[str, Any]:
    """RSS and Redis memory taken by USERS sign-ins, each with one call made."""
    os.makedirs(folder)
    port = free_port()
    env = {
        **ours(bench.sentry).env,
        "SENTRY_AUTH_TOKEN": "",
        "SENTRY_MONITOR_REDIS_URL": redis.url,
        "SENTRY_MONITOR_AUTH": "user-token",
        "SENTRY_MONITOR_PUBLIC_URL": f"https://127.0.0.1:{port}/mcp",
        "SENTRY_MONITOR_SECRET_KEY": Fernet.generate_key().decode(),
    }
    server = await HttpServer.start(env, REPO, folder / "replica.log", KEY)
    cert, key = certificate(folder)
    config = nginx_config(folder, port, [_port(server)], cert, key)
    tls = ssl.create_default_context(cafile=str(cert))
    url = f"https://127.0.0.1:{port}/mcp"
    try:
        with running_nginx(folder, config, port):

            async def one_user() -> None:
                browser = Browser(token=bench.sentry.token, verify=tls)
                async with signed_in(url, browser, mode=MODERN, verify=tls) as client:
                    answer = await client.call_tool("get-recent-issues", {"project_slug": "backend", "limit": 1})
                    if answer.is_error:
                        raise RuntimeError(str(answer.content)[:300])

            await one_user()  # warm: the first sign-in loads what every later one shares
            rss, used, keys = memory_kib(server.process.pid)["VmRSS"], _redis_used(redis), _redis_keys(redis)
            for _ in range(USERS):
                await one_user()
            rss_after, used_after = memory_kib(server.process.pid)["VmRSS"], _redis_used(redis)
            keys_after = _redis_keys(redis)
    finally:
        await server.stop()
    return {
        "rss_mb": round((rss_after - rss) * 1024 / 1e6, 1),
        "redis_mb": round((used_after - used) / 1e6, 2),
        "redis_keys": keys_after - keys,
    }


def _redis_used(redis: RedisServer) -> int:
    info = redis.command("INFO", "memory").decode()
    return int(next(line for line in info.splitlines() if line.startswith("used_memory:")).split(":")[1])


def _redis_keys(redis: RedisServer) -> int:
    return int(redis.command("DBSIZE").decode().strip().lstrip(":"))


def _bind(session: HttpSession, name: str, arguments: dict[str, Any]) -> Any:
    return lambda: session.call(name, arguments)
