"""`make serve` for real: the team server against the local Sentry, called over HTTP with the key it printed."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import anyio
import httpx2
import pytest
from anyio.abc import ByteReceiveStream, Process
from mcp import Client
from mcp.client.streamable_http import streamable_http_client

from mcp_servers.sentry_monitor.src.shared.results import records
from mcp_servers.sentry_monitor.src.web.keys import digest_of
from tests.conftest import REPO, coverage_env
from tests.e2e.signin_flow import Browser, signed_in

pytestmark = pytest.mark.anyio
START_TIMEOUT_S = 60  # seeding and two Python starts on a shared 2-core machine
STOP_TIMEOUT_S = 15


class Output:
    """The process's output lines, read as they come; each wait starts after the line the last one matched."""

    def __init__(self, stream: ByteReceiveStream) -> None:
        self.stream = stream
        self.lines: list[str] = []
        self.partial = ""
        self.seen = 0

    async def wait_for(self, pattern: str) -> re.Match[str]:
        compiled = re.compile(pattern)
        while True:
            for number in range(self.seen, len(self.lines)):
                found = compiled.search(self.lines[number])
                if found:
                    self.seen = number + 1
                    return found
            self.seen = len(self.lines)
            if not await self.read():
                raise AssertionError(f"the output ended before {pattern!r}:\n{self.text}")

    async def read(self) -> bool:
        try:
            chunk = await self.stream.receive()
        except anyio.EndOfStream:
            return False
        *lines, self.partial = (self.partial + chunk.decode(errors="replace")).split("\n")
        self.lines.extend(lines)
        return True

    async def read_to_end(self) -> None:
        while await self.read():
            pass

    @property
    def text(self) -> str:
        return "\n".join([*self.lines, self.partial])


@asynccontextmanager
async def make_serve(*args: str) -> AsyncIterator[tuple[Process, Output]]:
    """`serve_sandbox --port 0 *args`, as `make serve` runs it, and its output; killed at the end if still running."""
    env = {key: value for key, value in os.environ.items() if not key.startswith(("SENTRY_", "COVERAGE_"))}
    env |= {"PYTHONPATH": str(REPO), **coverage_env()}
    command = [sys.executable, "-m", "mcp_servers.sentry_monitor.serve_sandbox", "--port", "0", *args]
    async with await anyio.open_process(
        command, env=env, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    ) as process:
        assert process.stdout is not None
        try:
            yield process, Output(process.stdout)
        finally:
            if process.returncode is None:
                process.kill()


async def stopped(process: Process, output: Output) -> int:
    """SIGTERM, as Ctrl-C passes it on; the exit code once the output has ended."""
    process.send_signal(signal.SIGTERM)
    with anyio.fail_after(STOP_TIMEOUT_S):
        await output.read_to_end()
        return await process.wait()


async def test_make_serve_runs_the_team_server_against_the_local_sentry(tmp_path: Path) -> None:
    async with make_serve() as (process, output):
        with anyio.fail_after(START_TIMEOUT_S):
            key = (await output.wait_for(r"^  API key: (\S+)$"))[1]
            digest = (await output.wait_for(r"^  SENTRY_MONITOR_API_KEYS=(\S+)$"))[1]
            claude = (await output.wait_for(r"^  (claude mcp add .*)$"))[1]
            url = (await output.wait_for(r"serving MCP at (http://\S+/mcp) "))[1]
        assert digest == digest_of(key)  # what `sentry-error-monitor hash-key` prints for it
        assert claude == f'claude mcp add --transport http sentry {url} --header "Authorization: Bearer {key}"'
        base = url.removesuffix("/mcp")

        async with httpx2.AsyncClient() as plain:
            assert (await plain.get(f"{base}/healthz")).json() == {"status": "alive"}
            assert (await plain.get(f"{base}/readyz")).json() == {"status": "ready"}
            assert (await plain.post(url, json={})).status_code == 401  # no key
        async with (
            httpx2.AsyncClient(headers={"Authorization": f"Bearer {key}"}) as http,
            Client(streamable_http_client(url, http_client=http), mode="legacy") as client,
        ):
            result = await client.call_tool("get-recent-issues", {"project_slug": "backend", "limit": 2})
        assert not result.is_error
        structured = result.structured_content or {}
        assert structured["status"] == "success"
        assert len(records(structured["data"]["issues"]) or []) == 2
        code = await stopped(process, output)
    (tmp_path / "serve.log").write_text(output.text)  # the ledger scans it for the local Sentry's token
    assert code == 0, output.text
    server_lines = [line for line in output.lines if " sentry_monitor." in line or " uvicorn." in line]
    caller = f"caller=key:{digest.removeprefix('sha256:')[:12]}"  # the key id: its digest's first 12 digits
    assert any("POST /mcp 200" in line and f"tool=get-recent-issues {caller}" in line for line in server_lines)
    assert not [line for line in server_lines if key in line]  # the server logs a key id, never the key
    assert any("SIGTERM: draining" in line for line in server_lines)
    assert output.lines[-1] == "Team server exited with 0; local Sentry stopped."


async def test_make_serve_with_sign_in_lets_a_user_of_the_local_sentry_sign_in(tmp_path: Path) -> None:
    async with make_serve("--auth", "oauth") as (process, output):
        with anyio.fail_after(START_TIMEOUT_S):
            claude = (await output.wait_for(r"^  (claude mcp add .*)$"))[1]
            url = (await output.wait_for(r"serving MCP at (http://\S+/mcp) "))[1]
        assert claude == f"claude mcp add --transport http sentry {url}"  # no key: the client signs in
        async with signed_in(url, Browser("ben@example.com")) as client:
            result = await client.call_tool("get-recent-issues", {"project_slug": "backend", "limit": 2})
        assert not result.is_error, result
        code = await stopped(process, output)
    (tmp_path / "serve.log").write_text(output.text)
    assert code == 0, output.text
    assert any("signed in: ben@example.com (Sentry user 3)" in line for line in output.lines)
