"""Speaking to our server over streamable HTTP: its process (`--transport http`) and a thin JSON-RPC client.

`HttpSession` is to HTTP what `clients.StdioSession` is to stdio: no SDK, no validation, one POST per
request, so that what is measured is the server. It speaks the two protocol versions the server accepts:
`2025-11-25` (legacy: initialize once, answers as an SSE stream) and `2026-07-28` (no handshake, each request
carries its `_meta` envelope and the `Mcp-Method` / `Mcp-Name` headers, answers as JSON), as the SDK's
`Client` does (mcp 2.3.0).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import signal
import socket
import sys
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import httpx

from mcp_servers.sentry_monitor.src.web.keys import digest_of

from .clients import RpcError, ToolAnswer

LEGACY = "2025-11-25"
MODERN = "2026-07-28"
CLIENT_INFO = {"name": "bench", "version": "1"}


class HttpSession:
    """One client of the HTTP server, with its own connection pool; `await open()`, then `aclose()`."""

    def __init__(self, url: str, key: str, protocol: str, verify: str | bool = True) -> None:
        """`verify`: a CA file for a server behind a proxy with a test certificate."""
        self.url = url
        self.protocol = protocol
        self.http = httpx.AsyncClient(
            headers={
                "Authorization": f"Bearer {key}",
                "Accept": "application/json, text/event-stream",
                "Content-Type": "application/json",
            },
            timeout=120,
            verify=verify,
        )
        self._next_id = 0

    async def open(self) -> None:
        """The legacy handshake (initialize, then the initialized notification); nothing at 2026-07-28."""
        if self.protocol == LEGACY:
            params = {"protocolVersion": LEGACY, "capabilities": {}, "clientInfo": CLIENT_INFO}
            await self.request("initialize", params)
            await self._post({"jsonrpc": "2.0", "method": "notifications/initialized"}, {})

    async def _post(self, message: dict[str, Any], headers: Mapping[str, str]) -> httpx.Response:
        response = await self.http.post(self.url, content=json.dumps(message), headers=headers)
        if response.status_code >= 400:
            raise RpcError(f"HTTP {response.status_code}: {response.text[:300]}")
        return response

    async def request(self, method: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
        """The `result` of one request; raises RpcError for an error answer or an HTTP error status."""
        self._next_id += 1
        params = dict(params or {})
        headers = {}
        if method != "initialize":
            headers["Mcp-Protocol-Version"] = self.protocol
        if self.protocol == MODERN:
            headers["Mcp-Method"] = method
            if "name" in params:
                headers["Mcp-Name"] = str(params["name"])
            params["_meta"] = {
                "io.modelcontextprotocol/protocolVersion": MODERN,
                "io.modelcontextprotocol/clientInfo": CLIENT_INFO,
                "io.modelcontextprotocol/clientCapabilities": {},
            }
        message = {"jsonrpc": "2.0", "id": self._next_id, "method": method, "params": params}
        reply = _reply(await self._post(message, headers), self._next_id)
        if "error" in reply:
            raise RpcError(f"{method}: {reply['error']}")
        result: dict[str, Any] = reply["result"]
        return result

    async def call(self, name: str, arguments: dict[str, Any]) -> ToolAnswer:
        started = time.perf_counter()
        result = await self.request("tools/call", {"name": name, "arguments": arguments})
        return ToolAnswer(result, time.perf_counter() - started)

    async def aclose(self) -> None:
        await self.http.aclose()


def _reply(response: httpx.Response, request_id: int) -> dict[str, Any]:
    """The JSON-RPC answer to `request_id` in a JSON body or in an SSE stream's `data:` lines."""
    if not response.headers.get("content-type", "").startswith("text/event-stream"):
        answer: dict[str, Any] = response.json()
        return answer
    for line in response.text.splitlines():
        if line.startswith("data:") and line[5:].strip():
            message: dict[str, Any] = json.loads(line[5:])
            if message.get("id") == request_id:
                return message
    raise RpcError(f"no answer to request {request_id} in the event stream")


class HttpServer:
    """Our server under `--transport http` on a free port; `await HttpServer.start(...)`, then `stop()`.

    Its stderr is copied to `stderr_path` by a task (so that a chatty server never blocks on a full pipe);
    `warnings` counts its WARNING and ERROR lines.
    """

    def __init__(self, process: asyncio.subprocess.Process, url: str, log: Path) -> None:
        self.process = process
        self.url = url
        self.log = log
        self.warnings = 0
        self._copy = asyncio.create_task(self._copy_stderr())

    @classmethod
    async def start(cls, env: Mapping[str, str], cwd: Path, stderr_path: Path, key: str) -> HttpServer:
        # The bench picks a free port itself, then waits for /healthz.
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        command = [sys.executable, "-m", "mcp_servers.sentry_monitor", "--transport", "http"]
        command += ["--host", "127.0.0.1", "--port", str(port), "--log-level", "WARNING"]
        env = {
            **env,
            "SENTRY_MONITOR_API_KEYS": digest_of(key),
            "SENTRY_MONITOR_CALLER_CONCURRENCY": "1000",
        }
        process = await asyncio.create_subprocess_exec(
            *command, stdin=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE, env=env, cwd=cwd
        )
        server = cls(process, f"http://127.0.0.1:{port}/mcp", stderr_path)
        async with httpx.AsyncClient(timeout=5) as http:
            deadline = time.monotonic() + 120
            while time.monotonic() < deadline and process.returncode is None:
                with contextlib.suppress(httpx.TransportError):
                    if (await http.get(f"http://127.0.0.1:{port}/healthz")).status_code == 200:
                        return server
                await asyncio.sleep(0.1)
        await server.stop()
        raise RuntimeError(f"the HTTP server did not answer /healthz; see {stderr_path}")

    async def _copy_stderr(self) -> None:
        assert self.process.stderr is not None
        with self.log.open("ab") as log:
            while line := await self.process.stderr.readline():
                log.write(line)
                if b" WARNING " in line or b" ERROR " in line:
                    self.warnings += 1

    async def stop(self) -> None:
        """SIGTERM (the server drains, then exits), and a kill if it lingers."""
        if self.process.returncode is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(self.process.wait(), 30)
            except TimeoutError:
                self.process.kill()
                await self.process.wait()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._copy, 5)
