"""The bench's handle on a local Sentry running in `bench.sandbox_host` (a separate process)."""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]


class SandboxUnavailable(RuntimeError):
    """The local Sentry could not start, or refused a command."""


class LocalSentry:
    """Start with `await LocalSentry.start(seed=True)`; stop with `await sentry.stop()`."""

    def __init__(self, process: asyncio.subprocess.Process, hello: dict[str, Any]) -> None:
        self.process = process
        self.url: str = hello["url"]
        self.token: str = hello["token"]
        self.org: str = hello["org"]
        self.projects: dict[str, str] = hello["projects"]
        self.has_faults: bool = hello["faults"]
        self._lock = asyncio.Lock()

    @classmethod
    async def start(cls, *, seed: bool, bulk: int = 0, stderr_path: Path) -> LocalSentry:
        args = [sys.executable, "-m", "bench.sandbox_host", *(["--seed"] if seed else []), "--bulk", str(bulk)]
        with stderr_path.open("ab") as stderr:
            process = await asyncio.create_subprocess_exec(
                *args, stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, stderr=stderr, cwd=REPO
            )
        assert process.stdout is not None
        line = await asyncio.wait_for(process.stdout.readline(), 300)
        if not line:
            raise SandboxUnavailable(f"the local Sentry did not start; see {stderr_path}")
        return cls(process, json.loads(line))

    @property
    def host(self) -> str:
        return self.url.split("://", 1)[1]

    async def command(self, op: str, **fields: Any) -> Any:
        assert self.process.stdin is not None and self.process.stdout is not None
        async with self._lock:
            self.process.stdin.write((json.dumps({"op": op, **fields}) + "\n").encode())
            await self.process.stdin.drain()
            reply = json.loads(await self.process.stdout.readline())
        if not reply["ok"]:
            raise SandboxUnavailable(f"{op}: {reply['error']}")
        return reply["result"]

    async def latency(self, seconds: float) -> None:
        """Every API request waits `seconds` before its answer (0: none); a no-op without the fault plan."""
        await self.clear_faults()
        if seconds > 0 and self.has_faults:
            await self.command("add_fault", fields={"kind": "slow", "delay": seconds})

    async def throttle(self, rate: float) -> None:
        """At most `rate` API requests per second; the rest get 429 with Retry-After. Needs the fault plan."""
        await self.clear_faults()
        await self.command("add_fault", fields={"kind": "throttle", "rate": rate})

    async def clear_faults(self) -> None:
        if self.has_faults:
            await self.command("clear_faults")

    async def fault_hits(self) -> list[dict[str, Any]]:
        hits: list[dict[str, Any]] = await self.command("fault_hits") if self.has_faults else []
        return hits

    async def requests(self) -> list[dict[str, Any]]:
        logged: list[dict[str, Any]] = await self.command("requests")
        return logged

    async def clear_requests(self) -> None:
        await self.command("clear_requests")

    async def reset(self) -> None:
        await self.command("reset")

    async def bulk(self, count: int, project: str = "backend") -> int:
        added: int = await self.command("bulk", count=count, project=project)
        return added

    async def issues(self) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = await self.command("issues")
        return found

    async def stop(self) -> None:
        if self.process.returncode is None:
            assert self.process.stdin is not None
            self.process.stdin.write(b'{"op": "stop"}\n')
            self.process.stdin.close()
            try:
                await asyncio.wait_for(self.process.wait(), 20)
            except TimeoutError:
                self.process.kill()
                await self.process.wait()
