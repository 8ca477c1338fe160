"""Speaking to a server under test: raw JSON-RPC lines over its stdio, and direct httpx requests to Sentry.

`StdioSession` is a deliberately thin client (no SDK, no validation) so that what is measured is the
server, and so that both servers pay exactly the same client cost. Requests may overlap: replies are
matched to requests by id.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

PROTOCOL = "2025-11-25"
LINE_LIMIT = 64 * 1024 * 1024


class RpcError(RuntimeError):
    """The server answered a request with a JSON-RPC error, or went away."""


@dataclass(frozen=True)
class ToolAnswer:
    """One tools/call result: the text the model reads, the whole result, and whether it is an error."""

    result: dict[str, Any]
    seconds: float

    @property
    def text(self) -> str:
        return "".join(
            str(block.get("text", "")) for block in self.result.get("content", []) if block.get("type") == "text"
        )

    @property
    def is_error(self) -> bool:
        return bool(self.result.get("isError"))


class StdioSession:
    """One server process spoken to over stdin/stdout; `await StdioSession.spawn(...)`, then `close()`."""

    def __init__(self, process: asyncio.subprocess.Process, started: float) -> None:
        self.process = process
        self.started = started
        self._pending: dict[int, asyncio.Future[dict[str, Any]]] = {}
        self._next_id = 0
        self._reader = asyncio.create_task(self._read())

    @classmethod
    async def spawn(cls, command: Sequence[str], env: Mapping[str, str], cwd: Path, stderr_path: Path) -> StdioSession:
        started = time.perf_counter()
        with stderr_path.open("ab") as stderr:
            process = await asyncio.create_subprocess_exec(
                *command,
                stdin=asyncio.subprocess.PIPE,
                stdout=asyncio.subprocess.PIPE,
                stderr=stderr,
                env=dict(env),
                cwd=cwd,
                limit=LINE_LIMIT,
            )
        return cls(process, started)

    @property
    def pid(self) -> int:
        return self.process.pid

    async def _read(self) -> None:
        assert self.process.stdout is not None
        while line := await self.process.stdout.readline():
            message = json.loads(line)
            if "id" in message and "method" in message:  # a request from the server: ping, roots...
                answer: dict[str, Any] = {"jsonrpc": "2.0", "id": message["id"]}
                if message["method"] == "ping":
                    answer["result"] = {}
                else:
                    answer["error"] = {"code": -32601, "message": "not supported by the bench client"}
                await self._write(answer)
                continue
            future = self._pending.pop(message.get("id", -1), None)
            if future is not None and not future.done():
                future.set_result(message)
        for future in self._pending.values():
            if not future.done():
                future.set_exception(RpcError("the server closed its stdout"))

    async def _write(self, message: dict[str, Any]) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write((json.dumps(message) + "\n").encode())
        await self.process.stdin.drain()

    async def request(self, method: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
        """The `result` of one request; raises RpcError for an error answer."""
        self._next_id += 1
        future: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self._pending[self._next_id] = future
        await self._write({"jsonrpc": "2.0", "id": self._next_id, "method": method, "params": params or {}})
        reply = await future
        if "error" in reply:
            raise RpcError(f"{method}: {reply['error']}")
        result: dict[str, Any] = reply["result"]
        return result

    async def initialize(self) -> dict[str, Any]:
        result = await self.request(
            "initialize",
            {"protocolVersion": PROTOCOL, "capabilities": {}, "clientInfo": {"name": "bench", "version": "1"}},
        )
        await self._write({"jsonrpc": "2.0", "method": "notifications/initialized"})
        return result

    async def list_tools(self) -> dict[str, Any]:
        return await self.request("tools/list")

    async def call(self, name: str, arguments: dict[str, Any]) -> ToolAnswer:
        started = time.perf_counter()
        result = await self.request("tools/call", {"name": name, "arguments": arguments})
        return ToolAnswer(result, time.perf_counter() - started)

    async def close(self) -> None:
        """Close stdin (the MCP way to stop a stdio server), then kill if it lingers."""
        if self.process.stdin is not None and not self.process.stdin.is_closing():
            self.process.stdin.close()
        try:
            await asyncio.wait_for(self.process.wait(), 5)
        except TimeoutError:
            self.process.kill()
            await self.process.wait()
        self._reader.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._reader


def compact(value: Any) -> str:
    """The JSON text a client would hand on: compact and not ASCII-escaped, the same for both servers."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


class DirectSentry:
    """Plain httpx requests to the local Sentry: the floor a tool call is compared with."""

    def __init__(self, url: str, token: str) -> None:
        self.http = httpx.AsyncClient(
            base_url=url,
            headers={"Authorization": f"Bearer {token}", "Accept": "application/json"},
            limits=httpx.Limits(max_connections=256, max_keepalive_connections=64),
            timeout=60,
        )

    async def replay(self, requests: Sequence[Mapping[str, Any]]) -> float:
        """Send these logged requests (method, path, query) one after another; returns the seconds taken."""
        started = time.perf_counter()
        for logged in requests:
            query = f"?{logged['query']}" if logged.get("query") else ""
            await self.http.request(str(logged["method"]), f"{logged['path']}{query}")
        return time.perf_counter() - started

    async def get_json(self, path: str, **params: Any) -> Any:
        response = await self.http.get(path, params=params)
        response.raise_for_status()
        return response.json()

    async def aclose(self) -> None:
        await self.http.aclose()
