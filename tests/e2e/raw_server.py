"""The stdio server as a raw subprocess: JSON-RPC lines in, lines out, signals and timing under test control."""

from __future__ import annotations

import json
import os
import queue
import subprocess
import sys
import threading
import time
from pathlib import Path
from types import TracebackType
from typing import Any

from tests.conftest import REPO, coverage_env
from tests.ledger import LEDGER, WRITE_TOOLS

PROTOCOL = "2025-11-25"


class RawServer:
    """`python -m mcp_servers.sentry_monitor` with its stdout read by a thread into a queue of parsed lines."""

    def __init__(self, env: dict[str, str], *args: str, stderr_path: Path) -> None:
        full_env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "PYTHONPATH": str(REPO), **coverage_env(), **env}
        self._stderr = stderr_path.open("wb")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "mcp_servers.sentry_monitor", *args],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._stderr,
            env=full_env,
            cwd=REPO,
        )
        self.stderr_path = stderr_path
        self.lines: queue.Queue[bytes] = queue.Queue()
        self.raw_stdout: list[bytes] = []
        self._next_id = 100
        threading.Thread(target=self._pump, daemon=True).start()

    def _pump(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.raw_stdout.append(line)
            self.lines.put(line)

    def send(self, message: dict[str, Any]) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write((json.dumps(message) + "\n").encode())
        self.process.stdin.flush()

    def request(self, method: str, params: dict[str, Any] | None = None) -> int:
        self._next_id += 1
        message: dict[str, Any] = {"jsonrpc": "2.0", "id": self._next_id, "method": method}
        if params is not None:
            message["params"] = params
        if method == "tools/call" and params and params.get("name") in WRITE_TOOLS:
            LEDGER.asked.add(str((params.get("arguments") or {}).get("issue_id")))
        self.send(message)
        return self._next_id

    def reply(self, timeout: float = 30.0) -> dict[str, Any]:
        reply: dict[str, Any] = json.loads(self.lines.get(timeout=timeout))
        return reply

    def ask(self, method: str, params: dict[str, Any] | None = None, timeout: float = 30.0) -> dict[str, Any]:
        sent = self.request(method, params)
        reply = self.reply(timeout)
        assert reply.get("id") == sent, reply
        return reply

    def initialize(self) -> dict[str, Any]:
        reply = self.ask(
            "initialize",
            {"protocolVersion": PROTOCOL, "capabilities": {}, "clientInfo": {"name": "raw-test", "version": "1"}},
        )
        self.send({"jsonrpc": "2.0", "method": "notifications/initialized"})
        return reply

    def call(self, name: str, arguments: Any, timeout: float = 30.0) -> dict[str, Any]:
        reply = self.ask("tools/call", {"name": name, "arguments": arguments}, timeout)
        result = reply.get("result") or {}
        text = "".join(block.get("text", "") for block in result.get("content", []))
        LEDGER.record_call(name, arguments, result.get("structuredContent"), text)
        return reply

    def close_stdin(self) -> None:
        assert self.process.stdin is not None
        self.process.stdin.close()

    def wait(self, timeout: float = 10.0) -> tuple[int, float]:
        """Exit code and seconds waited."""
        started = time.monotonic()
        code = self.process.wait(timeout)
        return code, time.monotonic() - started

    def stderr(self) -> str:
        self._stderr.flush()
        return self.stderr_path.read_text(errors="replace")

    def __enter__(self) -> RawServer:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(10)
        if self.process.stdin is not None and not self.process.stdin.closed:
            self.process.stdin.close()
        self._stderr.close()
