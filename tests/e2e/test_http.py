"""The team server as a team meets it: real `--transport http` processes, the SDK's streamable-HTTP client.

Keys, Host and Origin checks, the body limit, a caller's concurrency limit, progress, the result format
per client, health and metrics, read-only mode and the allow-list, and a 2025-11-25 client whose requests
alternate between two processes.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import anyio
import httpx
import httpx2
import pytest

from mcp_servers.sentry_monitor.src.operations.registry import OPERATIONS
from tests.e2e.http_process import HttpServer, fetch, http_server, mcp_client, new_key
from tests.e2e.test_stdio import WRITE_TOOLS
from tests.ledger import LEDGER

if TYPE_CHECKING:
    from mcp_servers.sentry_sandbox import SandboxServer

pytestmark = pytest.mark.anyio
MODES = ["legacy", "2026-07-28"]
INITIALIZE = {
    "jsonrpc": "2.0",
    "id": 1,
    "method": "initialize",
    "params": {"protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}},
}
MCP_HEADERS = {"Accept": "application/json, text/event-stream", "Content-Type": "application/json"}


@pytest.fixture(scope="module")
def keys() -> list[str]:
    return [new_key(), new_key()]


@pytest.fixture(scope="module")
def server(sandbox: SandboxServer, keys: list[str], tmp_path_factory: pytest.TempPathFactory) -> Iterator[HttpServer]:
    log = tmp_path_factory.mktemp("http") / "server.log"
    with http_server(sandbox, log, keys) as running:
        yield running
    LEDGER.scan_file(log)
    for key in keys:
        assert key not in log.read_text()


async def post(
    server: HttpServer, body: Any, headers: dict[str, str] | None = None, path: str = "/mcp"
) -> httpx.Response:
    content = json.dumps(body).encode()
    return await fetch("POST", server.base + path, content=content, headers={**MCP_HEADERS, **(headers or {})})


@pytest.mark.parametrize("mode", MODES)
async def test_lists_the_tools_and_answers_calls_on_both_protocol_versions(
    server: HttpServer, keys: list[str], mode: str
) -> None:
    async with mcp_client(server.url, keys[0], mode) as client:
        tools = {tool.name: tool for tool in (await client.list_tools()).tools}
        assert set(tools) == set(OPERATIONS)
        assert all(tool.output_schema for tool in tools.values())
        assert tools["get-issue-details"].annotations is not None
        assert tools["get-issue-details"].annotations.read_only_hint
        result = await client.call_tool("get-issue-details", {"issue_id": "BACKEND-1"})
        assert not result.is_error and result.structured_content is not None
        assert result.structured_content["data"]["issue"]["short_id"] == "BACKEND-1"
        prompts = (await client.list_prompts()).prompts
        assert [prompt.name for prompt in prompts] == ["triage-project"]
        wrong = await client.call_tool("get-issue-details", {"issue_id": "NOPE-404"})
        assert wrong.is_error and wrong.structured_content is not None
        assert wrong.structured_content["error"]["code"] == "ISSUE_NOT_FOUND"
        assert "get-recent-issues" in wrong.content[0].text  # type: ignore[union-attr]


async def test_a_missing_or_wrong_key_gets_401_and_a_good_one_works(server: HttpServer, keys: list[str]) -> None:
    missing = await post(server, INITIALIZE)
    assert missing.status_code == 401 and missing.headers["www-authenticate"].startswith("Bearer")
    wrong = await post(server, INITIALIZE, {"Authorization": f"Bearer {keys[0]}x"})
    assert wrong.status_code == 401
    not_bearer = await post(server, INITIALIZE, {"Authorization": f"Basic {keys[0]}"})
    assert not_bearer.status_code == 401
    good = await post(server, INITIALIZE, {"Authorization": f"Bearer {keys[1]}"})
    assert good.status_code == 200, good.text
    assert "2025-11-25" in good.text
    for response in (missing, wrong, not_bearer, good):
        assert all(key not in response.text for key in keys)


async def test_a_foreign_origin_gets_403_and_a_wrong_host_421(server: HttpServer, keys: list[str]) -> None:
    auth = {"Authorization": f"Bearer {keys[0]}"}
    foreign = await post(server, INITIALIZE, {**auth, "Origin": "https://evil.example.com"})
    assert foreign.status_code == 403
    rebinding = await post(server, INITIALIZE, {**auth, "Host": "evil.example.com"})
    assert rebinding.status_code == 421
    local_page = await post(server, INITIALIZE, {**auth, "Origin": "http://localhost:3000"})
    assert local_page.status_code == 200


async def test_a_body_over_the_limit_gets_413_and_nothing_runs(server: HttpServer, keys: list[str]) -> None:
    huge = {**INITIALIZE, "padding": "x" * (1024 * 1024 + 1)}
    answer = await post(server, huge, {"Authorization": f"Bearer {keys[0]}"})
    assert answer.status_code == 413


async def test_progress_reaches_the_client_over_http(server: HttpServer, keys: list[str]) -> None:
    heard: list[tuple[float, float | None, str | None]] = []

    async def progress(progress: float, total: float | None, message: str | None) -> None:
        heard.append((progress, total, message))

    async with mcp_client(server.url, keys[0]) as client:
        result = await client.call_tool("get-project-health", {"project_slug": "backend"}, progress_callback=progress)
    assert not result.is_error
    assert len(heard) >= 3 and heard[-1][0] == heard[-1][1], heard
    assert [done for done, _, _ in heard] == sorted(done for done, _, _ in heard)


@pytest.mark.parametrize("mode", MODES)
async def test_each_client_chooses_its_result_format(server: HttpServer, keys: list[str], mode: str) -> None:
    async with mcp_client(server.url + "?format=text", keys[0], mode) as client:
        tools = (await client.list_tools()).tools
        assert tools and all(tool.output_schema is None for tool in tools)
        result = await client.call_tool("get-recent-issues", {"project_slug": "backend", "limit": 2})
        assert not result.is_error and result.structured_content is None
        assert "BACKEND-" in result.content[0].text  # type: ignore[union-attr]
    bad = await post(server, INITIALIZE, {"Authorization": f"Bearer {keys[0]}"}, path="/mcp?format=yaml")
    assert bad.status_code == 400 and "structured or text" in bad.text
    assert (await post(server, INITIALIZE, path="/mcp?format=yaml")).status_code == 401  # the key comes first


async def test_health_readiness_metrics_and_the_access_log(
    server: HttpServer, keys: list[str], clean_sandbox: SandboxServer
) -> None:
    clean_sandbox.add_fault("rate_limit", r"/issues/[^/]+/$", times=1, retry_after=0.2)
    async with mcp_client(server.url, keys[1]) as client:
        throttled_once = await client.call_tool("get-issue-details", {"issue_id": "BACKEND-2"})
        assert not throttled_once.is_error  # the retry policy waited and asked again
        await client.call_tool("get-issue-details", {"issue_id": "NOPE-404"})
    assert (await fetch("GET", server.base + "/healthz")).json() == {"status": "alive"}
    assert (await fetch("GET", server.base + "/readyz")).json() == {"status": "ready"}
    metrics = (await fetch("GET", server.base + "/metrics")).text
    assert re.search(r'sentry_monitor_tool_calls_total\{status="success",tool="get-issue-details"\} [1-9]', metrics)
    assert re.search(
        r'sentry_monitor_tool_errors_total\{code="ISSUE_NOT_FOUND",tool="get-issue-details"\} [1-9]', metrics
    )
    assert re.search(r'sentry_monitor_tool_call_seconds_bucket\{le="\+Inf",tool="get-issue-details"\} [1-9]', metrics)
    assert re.search(r'sentry_monitor_sentry_requests_total\{status="2xx"\} [1-9]', metrics)
    assert re.search(r'sentry_monitor_http_requests_total\{path="/mcp",status="200"\} [1-9]', metrics)
    assert re.search(r"sentry_monitor_sentry_rate_limited_total [1-9]", metrics)
    assert re.search(r'sentry_monitor_sentry_requests_total\{status="4xx"\} [1-9]', metrics)
    await anyio.sleep(0.2)  # the access log line is written once the response has gone
    caller = re.escape(_key_id(keys[1]))
    assert re.search(rf"POST /mcp 200 [\d.]+ms tool=get-issue-details caller={caller}", server.log_text())
    assert re.search(r"GET /healthz 200 [\d.]+ms tool=- caller=-", server.log_text())


def _key_id(key: str) -> str:
    from mcp_servers.sentry_monitor.src.web.keys import digest_of, key_id

    return key_id(digest_of(key))


async def test_read_only_mode_and_the_allow_list_hold_for_every_caller(sandbox: SandboxServer, tmp_path: Path) -> None:
    key = new_key()
    env = {"SENTRY_MONITOR_READ_ONLY": "true", "SENTRY_MONITOR_ALLOWED_PROJECTS": "backend"}
    # At WARNING the server still says where it listens (the fixture waits for that line), and no more.
    with http_server(sandbox, tmp_path / "server.log", [key], "--log-level", "WARNING", **env) as running:
        async with mcp_client(running.url, key) as client:
            names = {tool.name for tool in (await client.list_tools()).tools}
            assert names == set(OPERATIONS) - WRITE_TOOLS
            resolve = await client.call_tool("resolve-issue", {"issue_id": "BACKEND-1"})
            assert resolve.is_error and "READ_ONLY" in resolve.content[0].text  # type: ignore[union-attr]
            worker = await client.call_tool("get-recent-issues", {"project_slug": "worker"})
            assert worker.is_error and "PROJECT_NOT_ALLOWED" in worker.content[0].text  # type: ignore[union-attr]
            backend = await client.call_tool("get-recent-issues", {"project_slug": "backend", "limit": 1})
            assert not backend.is_error
        assert "POST /mcp" not in running.log_text()


@pytest.mark.parametrize("mode", MODES)
async def test_a_caller_past_its_limit_gets_too_many_calls_and_others_are_not_held(
    clean_sandbox: SandboxServer, tmp_path: Path, mode: str
) -> None:
    busy, other = new_key(), new_key()
    clean_sandbox.add_fault("slow", r"/issues/[^/]+/$", delay=1.5)
    outcomes: dict[str, list[dict[str, Any]]] = {busy: [], other: []}
    with http_server(clean_sandbox, tmp_path / "server.log", [busy, other], SENTRY_MONITOR_CALLER_CONCURRENCY="2") as s:
        async with mcp_client(s.url, busy, mode) as busy_client, mcp_client(s.url, other, mode) as other_client:

            async def one(key: str, issue: str) -> None:
                client = busy_client if key == busy else other_client
                result = await client.call_tool("get-issue-details", {"issue_id": issue})
                text = result.content[0].text  # type: ignore[union-attr]
                outcomes[key].append({**(result.structured_content or {}), "text": text})

            async with anyio.create_task_group() as group:
                for index in range(4):
                    group.start_soon(one, busy, f"BACKEND-{index + 1}")
                await anyio.sleep(0.5)
                group.start_soon(one, other, "BACKEND-5")
        metrics = (await fetch("GET", s.base + "/metrics")).text
    refused = [outcome for outcome in outcomes[busy] if "TOO_MANY_CALLS" in json.dumps(outcome)]
    assert len(refused) == 2 and len(outcomes[busy]) == 4, outcomes
    for outcome in refused:  # the text is what Claude Code hands the model on an error
        assert outcome["text"].startswith("Error TOO_MANY_CALLS: This caller already has 2 calls running")
        assert "\nNext step: " in outcome["text"] and "\nRetry: " in outcome["text"], outcome["text"]
        error = outcome["error"]
        assert error["retryable"] and error["details"] == {"limit": 2}
        assert "SENTRY_MONITOR_CALLER_CONCURRENCY" in error["recovery_suggestion"]
    assert "RATE_LIMITED" not in json.dumps(refused)
    assert [outcome.get("status") for outcome in outcomes[other]] == ["success"]
    assert re.search(r'sentry_monitor_tool_errors_total\{code="TOO_MANY_CALLS",tool="get-issue-details"\} 2', metrics)


@pytest.mark.parametrize("mode", MODES)
async def test_a_client_whose_requests_alternate_between_two_processes(
    sandbox: SandboxServer, tmp_path: Path, mode: str
) -> None:
    """Stateless: a 2025-11-25 client (initialize on one process, calls on both) and a 2026-07-28 one."""
    key = new_key()
    with (
        http_server(sandbox, tmp_path / "first.log", [key]) as first,
        http_server(sandbox, tmp_path / "second.log", [key]) as second,
    ):
        ports = [port for port in (httpx.URL(first.url).port, httpx.URL(second.url).port) if port is not None]
        served: list[int] = []

        class Alternating(httpx2.AsyncBaseTransport):
            """A load balancer without affinity: each request goes to the next process."""

            def __init__(self) -> None:
                self.inner = httpx2.AsyncHTTPTransport()

            async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
                port = ports[len(served) % 2]
                served.append(port)
                request.url = request.url.copy_with(port=port)
                return await self.inner.handle_async_request(request)

            async def aclose(self) -> None:
                await self.inner.aclose()

        async with mcp_client(first.url, key, mode, transport=Alternating()) as client:
            assert len((await client.list_tools()).tools) == len(OPERATIONS)
            for number in range(1, 5):
                result = await client.call_tool("get-issue-details", {"issue_id": f"BACKEND-{number}"})
                assert not result.is_error, result.content
                assert result.structured_content is not None
                assert result.structured_content["data"]["issue"]["short_id"] == f"BACKEND-{number}"
        await anyio.sleep(0.2)
        first_tools = re.findall(r"tool=(get-issue-details)", first.log_text())
        second_tools = re.findall(r"tool=(get-issue-details)", second.log_text())
    assert set(served) == set(ports)
    assert len(first_tools) == 2 and len(second_tools) == 2, (first_tools, second_tools)


async def test_cors_is_off_unless_origins_are_set(server: HttpServer, sandbox: SandboxServer, tmp_path: Path) -> None:
    preflight = {
        "Origin": "https://app.example.com",
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "authorization, content-type, mcp-protocol-version",
    }
    closed = await fetch("OPTIONS", server.url, headers=preflight)
    assert "access-control-allow-origin" not in closed.headers
    key = new_key()
    with http_server(
        sandbox, tmp_path / "server.log", [key], SENTRY_MONITOR_CORS_ORIGINS="https://app.example.com"
    ) as running:
        opened = await fetch("OPTIONS", running.url, headers=preflight)
        assert opened.status_code == 200
        assert opened.headers["access-control-allow-origin"] == "https://app.example.com"
        assert "authorization" in opened.headers["access-control-allow-headers"].lower()
        page = await post(running, INITIALIZE, {"Authorization": f"Bearer {key}", "Origin": "https://app.example.com"})
        assert page.status_code == 200
        assert page.headers["access-control-allow-origin"] == "https://app.example.com"
        other = await post(
            running, INITIALIZE, {"Authorization": f"Bearer {key}", "Origin": "https://other.example.com"}
        )
        assert other.status_code == 403
