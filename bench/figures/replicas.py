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
import ssl
import tempfile
from pathlib import Path
from typing import Any

from cryptography.fernet import Fernet

from tests.e2e.signin_flow import Browser, free_port, signed_in
from tests.redis_server import RedisServer
from tests.replicas.cluster import certificate, need_nginx, nginx_config, running_nginx

from ..harness import Bench
from ..http_client import MODERN, HttpServer, HttpSession
from ..sandbox import REPO
from ..servers import ours
from ..stats import tail_ms
from . import Figure
from .http_load import cpu_seconds, drive, recent_issues
from .memory import memory_kib

LEVELS = (16, 128)
KEY = "bench-replicas-key"
USERS = 100


async def run(bench: Bench) -> Figure:
    need_nginx()
    calls = bench.runs(1024, 256)
    figure = Figure(
        f"9. Replicas behind nginx sharing Redis: get-recent-issues (limit 5), {calls} calls per level (ms)",
        ["replicas", "clients", "calls/s", "p50", "p99", "errors", "replicas' CPU per call", "Redis CPU per call"],
    )
    with tempfile.TemporaryDirectory(dir=bench.work_dir) as scratch:
        folder = Path(scratch)
        redis = RedisServer(folder).start()
        try:
            for replicas in (1, 2):
                figure.data[str(replicas)] = await _throughput(bench, folder / f"r{replicas}", redis, replicas, calls)
            figure.data["memory"] = await _memory(bench, folder / "memory", redis)
        finally:
            redis.stop()
    for replicas in (1, 2):
        for level in LEVELS:
            got = figure.data[str(replicas)][str(level)]
            figure.rows.append(
                [
                    replicas,
                    level,
                    got["calls_per_s"],
                    got["p50"],
                    got["p99"],
                    got["errors"],
                    got["cpu_ms"],
                    got["redis_cpu_ms"],
                ]
            )
    memory = figure.data["memory"]
    figure.notes.append(
        f"Memory per {USERS} signed-in users (each signed in through its own client and made one call): the replica's "
        f"RSS grew {memory['rss_mb']} MB and Redis's used_memory {memory['redis_mb']} MB "
        f"({memory['redis_keys']} keys for them)."
    )
    figure.notes.append(
        "Each replica is one Python process; the bench's clients, nginx (one worker), Redis, the replicas and the "
        f"local Sentry share this machine's {os.cpu_count()} cores. CPU per call: user + system CPU time of the "
        "replicas (all of them) and of redis-server over a level's calls (/proc), divided by the calls."
    )
    return figure


async def _throughput(bench: Bench, folder: Path, redis: RedisServer, replicas: int, calls: int) -> dict[str, Any]:
    os.makedirs(folder)
    env = {**ours(bench.sentry).env, "SENTRY_MONITOR_REDIS_URL": redis.url}
    servers = [await HttpServer.start(env, REPO, folder / f"replica{i}.log", KEY) for i in range(replicas)]
    port = free_port()
    cert, key = certificate(folder)
    ports = [int(server.url.rsplit(":", 1)[1].split("/")[0]) for server in servers]
    config = nginx_config(folder, port, ports, cert, key)
    url = f"https://127.0.0.1:{port}/mcp"
    result: dict[str, Any] = {}
    try:
        with running_nginx(folder, config, port):
            name, arguments = recent_issues(bench)
            for level in LEVELS:
                async with contextlib.AsyncExitStack() as stack:
                    sessions = [HttpSession(url, KEY, MODERN, verify=str(cert)) for _ in range(level)]
                    for session in sessions:
                        stack.push_async_callback(session.aclose)
                    await asyncio.gather(*(session.call(name, arguments) for session in sessions))  # warm, untimed
                    pids = [server.process.pid for server in servers]
                    before = sum(map(cpu_seconds, pids)), cpu_seconds(redis.process.pid if redis.process else None)
                    wall, took, errors = await drive([_bind(s, name, arguments) for s in sessions], calls)
                    after = sum(map(cpu_seconds, pids)), cpu_seconds(redis.process.pid if redis.process else None)
                    result[str(level)] = {
                        "calls_per_s": round(calls / wall, 1),
                        **tail_ms(took),
                        "errors": len(errors),
                        "cpu_ms": round((after[0] - before[0]) * 1000 / calls, 2),
                        "redis_cpu_ms": round((after[1] - before[1]) * 1000 / calls, 3),
                        "error_samples": sorted(set(errors))[:3],
                    }
                await bench.sentry.clear_requests()
    finally:
        for server in servers:
            await server.stop()
    return result


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
    config = nginx_config(folder, port, [int(server.url.rsplit(":", 1)[1].split("/")[0])], cert, key)
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
