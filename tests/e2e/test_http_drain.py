"""SIGTERM to a team server with a call in flight: it leaves the pool, refuses new calls, finishes the call, exits."""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import anyio
import pytest

from tests.e2e.http_process import HttpServer, fetch, http_server, mcp_client, new_key, until
from tests.e2e.test_http import INITIALIZE, MCP_HEADERS

if TYPE_CHECKING:
    from mcp_servers.sentry_sandbox import SandboxServer

pytestmark = pytest.mark.anyio


async def reached_sentry(sandbox: SandboxServer) -> bool:
    """Whether the call has asked the local Sentry for its issue (so it is in flight)."""
    return any("/issues/" in request["path"] for request in sandbox.requests())


async def readyz_is(server: HttpServer, status: int) -> bool:
    return (await fetch("GET", server.base + "/readyz")).status_code == status


async def test_sigterm_lets_the_call_in_flight_finish_while_readyz_says_503(
    clean_sandbox: SandboxServer, tmp_path: Path
) -> None:
    key = new_key()
    clean_sandbox.add_fault("slow", r"/issues/[^/]+/$", delay=2.5)
    outcome: dict[str, Any] = {}
    with http_server(clean_sandbox, tmp_path / "server.log", [key]) as server:
        async with mcp_client(server.url, key) as client:
            await client.list_tools()  # as clients do; else the SDK lists them after the call, to check its result

            async def call() -> None:
                result = await client.call_tool("get-issue-details", {"issue_id": "BACKEND-1"})
                outcome.update(result.structured_content or {})
                outcome["finished"] = time.monotonic()

            async with anyio.create_task_group() as group:
                group.start_soon(call)
                await until(lambda: reached_sentry(clean_sandbox))
                server.signal()
                signalled = time.monotonic()
                await until(lambda: readyz_is(server, 503), 5)
                ready = await fetch("GET", server.base + "/readyz")
                assert ready.json() == {"status": "draining"}
                refused = await fetch(
                    "POST",
                    server.url,
                    json=INITIALIZE,
                    headers={**MCP_HEADERS, "Authorization": f"Bearer {key}"},
                )
                assert refused.status_code == 503 and "shutting down" in refused.text
                assert "finished" not in outcome  # all of this happened while the call was in flight
        code = await anyio.to_thread.run_sync(server.wait, 15.0)
        exited = time.monotonic()
    assert outcome["status"] == "success" and outcome["data"]["issue"]["short_id"] == "BACKEND-1"
    assert code == 0
    assert exited - signalled < 10, exited - signalled
    log = server.log_text()
    assert "SIGTERM: draining (readyz 503, new calls refused), 1 in flight" in log
    assert "Traceback" not in log


async def test_a_second_signal_stops_without_waiting(clean_sandbox: SandboxServer, tmp_path: Path) -> None:
    key = new_key()
    clean_sandbox.add_fault("hang", r"/issues/[^/]+/$")
    with http_server(clean_sandbox, tmp_path / "server.log", [key], SENTRY_MONITOR_TIMEOUT="60") as server:
        async with mcp_client(server.url, key) as client, anyio.create_task_group() as group:

            async def call() -> None:
                with pytest.raises(Exception):  # noqa: B017 - the connection is cut; which error is the SDK's
                    await client.call_tool("get-issue-details", {"issue_id": "BACKEND-1"})

            group.start_soon(call)
            await until(lambda: reached_sentry(clean_sandbox))
            server.signal()
            await anyio.sleep(0.5)
            server.signal()
            started = time.monotonic()
            code = await anyio.to_thread.run_sync(server.wait, 15.0)
            assert time.monotonic() - started < 5
            group.cancel_scope.cancel()
    assert "second signal: stopping without waiting for 1 calls" in server.log_text()
    assert code in (0, 1)
