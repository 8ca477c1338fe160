"""A real team server process (`--transport http --port 0`) for the HTTP tests, and clients for it."""

from __future__ import annotations

import os
import re
import secrets
import signal
import ssl
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import anyio
import httpx
import httpx2
from mcp import Client
from mcp.client.streamable_http import streamable_http_client

from mcp_servers.sentry_monitor.src.web.keys import digest_of
from tests.conftest import REPO
from tests.e2e.test_stdio import server_env
from tests.ledger import LEDGER

if TYPE_CHECKING:
    from mcp_servers.sentry_sandbox import SandboxServer

LISTENING = re.compile(r"serving MCP at (http://\S+/mcp)")
START_TIMEOUT_S = 30.0


def new_key() -> str:
    """A fresh API key; the ledger then fails any test whose outputs or logs show it."""
    key = "mk_" + secrets.token_urlsafe(24)
    LEDGER.secrets.add(key)
    return key


class HttpServer:
    """One server process; `url` is its /mcp endpoint, `log` its stderr."""

    def __init__(self, process: subprocess.Popen[bytes], url: str, log: Path) -> None:
        self.process = process
        self.url = url
        self.base = url.removesuffix("/mcp")
        self.log = log

    def signal(self, signum: int = signal.SIGTERM) -> None:
        self.process.send_signal(signum)

    def wait(self, timeout: float = 60.0) -> int:
        return self.process.wait(timeout)

    def log_text(self) -> str:
        return self.log.read_text(errors="replace")


@contextmanager
def http_server(
    sandbox: SandboxServer | None, log: Path, keys: list[str], *args: str, **env: str
) -> Iterator[HttpServer]:
    """Start a server with these keys (their digests) and settings; stop it (SIGTERM) afterwards."""
    environment = {
        **server_env(sandbox, **env),
        "SENTRY_MONITOR_API_KEYS": ",".join(digest_of(key) for key in keys),
        "PATH": os.environ.get("PATH", ""),
    }
    with log.open("wb") as err:
        process = subprocess.Popen(
            [sys.executable, "-m", "mcp_servers.sentry_monitor", "--transport", "http", "--port", "0", *args],
            env=environment,
            cwd=REPO,
            stdout=subprocess.DEVNULL,
            stderr=err,
        )
    try:
        url = _wait_for_url(process, log)
        yield HttpServer(process, url, log)
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def _wait_for_url(process: subprocess.Popen[bytes], log: Path) -> str:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        found = LISTENING.search(log.read_text(errors="replace"))
        if found:
            return found.group(1)
        if process.poll() is not None:
            raise AssertionError(f"the server exited with {process.returncode}: {log.read_text()}")
        time.sleep(0.05)
    raise AssertionError(f"the server did not listen within {START_TIMEOUT_S:g} s: {log.read_text()}")


async def fetch(method: str, url: str, verify: ssl.SSLContext | None = None, **options: Any) -> httpx.Response:
    """One plain HTTP request (health, metrics, or a hand-made MCP request); `verify`: a test certificate's trust."""
    async with httpx.AsyncClient(timeout=30, verify=verify or True) as http:
        return await http.request(method, url, **options)


async def until(check: Callable[[], Awaitable[bool]], seconds: float = 10.0) -> None:
    """Wait until `check()` holds, asking every 50 ms; fail after `seconds`."""
    with anyio.fail_after(seconds):
        while True:
            if await check():
                return
            await anyio.sleep(0.05)


@asynccontextmanager
async def mcp_client(
    url: str,
    key: str | None,
    mode: str = "legacy",
    transport: httpx2.AsyncBaseTransport | None = None,
    headers: dict[str, str] | None = None,
    verify: ssl.SSLContext | None = None,
) -> AsyncIterator[Client]:
    """The SDK's client over streamable HTTP; mode "legacy" speaks 2025-11-25, "2026-07-28" the stateless one."""
    sent = {**({"Authorization": f"Bearer {key}"} if key else {}), **(headers or {})}
    async with (
        httpx2.AsyncClient(headers=sent, transport=transport, timeout=60, verify=verify or True) as http,
        Client(streamable_http_client(url, http_client=http), mode=mode) as client,
    ):
        yield client
