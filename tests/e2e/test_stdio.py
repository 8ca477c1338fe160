"""The real thing: `python -m mcp_servers.sentry_monitor` spawned over stdio, against the local Sentry."""

from __future__ import annotations

import json
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import anyio
import jsonschema
import pytest
from mcp import ClientSession, StdioServerParameters, stdio_client
from mcp.types import CallToolResult, TextContent

from mcp_servers.sentry_monitor.src.operations.registry import OPERATIONS
from mcp_servers.sentry_monitor.src.shared.results import records
from tests.conftest import REPO, coverage_env

if TYPE_CHECKING:
    from mcp_servers.sentry_sandbox import SandboxServer

pytestmark = pytest.mark.anyio
TOOLS = set(OPERATIONS)
WRITE_TOOLS = {"resolve-issue", "ignore-issue", "unresolve-issue", "update-issues", "assign-issue", "add-issue-note"}


def server_env(sandbox: SandboxServer | None, **extra: str) -> dict[str, str]:
    env = {"PYTHONPATH": str(REPO), **coverage_env(), **extra}
    if sandbox is not None:
        env.update(SENTRY_AUTH_TOKEN=sandbox.token, SENTRY_URL=sandbox.url, SENTRY_ORG=sandbox.org_slug)
    return env


async def open_session(env: dict[str, str], errlog: Path, *args: str) -> AsyncIterator[ClientSession]:
    params = StdioServerParameters(
        command=sys.executable, args=["-m", "mcp_servers.sentry_monitor", *args], env=env, cwd=str(REPO)
    )
    with errlog.open("w") as err:
        async with stdio_client(params, errlog=err) as (read, write), ClientSession(read, write) as session:
            await session.initialize()
            yield session


@pytest.fixture
async def session(sandbox: SandboxServer, tmp_path: Path) -> AsyncIterator[ClientSession]:
    async for opened in open_session(server_env(sandbox), tmp_path / "stderr.log"):
        yield opened


def text_of(result: CallToolResult) -> str:
    return "".join(block.text for block in result.content if isinstance(block, TextContent))


async def call(session: ClientSession, name: str, arguments: dict[str, Any]) -> CallToolResult:
    return await session.call_tool(name, arguments)


async def test_lists_every_tool_with_schemas_and_annotations(session: ClientSession) -> None:
    tools = {tool.name: tool for tool in (await session.list_tools()).tools}
    assert set(tools) == TOOLS
    for tool in tools.values():
        assert tool.title and tool.annotations is not None
        assert tool.annotations.open_world_hint is True
        assert tool.description and len(tool.description) > 150
        assert tool.input_schema["type"] == "object" and tool.input_schema["additionalProperties"] is False
        assert tool.output_schema is not None
        envelope = {"status", "data", "error", "side_effects", "warnings", "recommendations"}
        assert set(tool.output_schema["properties"]) == envelope == set(tool.output_schema["required"])
        jsonschema.Draft202012Validator.check_schema(tool.output_schema)
        assert tool.annotations.read_only_hint is (tool.name not in WRITE_TOOLS)
    for name in WRITE_TOOLS:
        write = tools[name].annotations
        assert write is not None and write.destructive_hint is False
        assert write.idempotent_hint is (name != "add-issue-note")  # a second note is a second note
    limit = tools["get-recent-issues"].input_schema["properties"]["limit"]
    assert (limit["minimum"], limit["maximum"], limit["default"]) == (1, 250, 25)
    patterns = tools["analyze-error-patterns"].input_schema["properties"]
    assert (patterns["top"]["minimum"], patterns["top"]["maximum"], patterns["top"]["default"]) == (1, 50, 10)
    assert (patterns["spike_factor"]["default"], patterns["spike_min_events"]["default"]) == (3.0, 10)
    assert patterns["period"]["enum"] == ["24h", "7d", "14d", "30d"]
    health = tools["get-project-health"].input_schema["properties"]
    assert [health[f"{level}_crash_free_pct"]["default"] for level in ("critical", "degraded")] == [95, 99]
    assert [health[f"{level}_error_increase_pct"]["default"] for level in ("critical", "degraded")] == [100, 25]
    for name, fields in (
        ("analyze-error-patterns", {"findings", "spikes"}),
        ("get-project-health", {"verdict", "reasons"}),
    ):
        schema = tools[name].output_schema or {}
        assert fields <= set(schema["properties"]["data"]["anyOf"][0]["properties"])


def nulls(value: Any, where: str = "data") -> list[str]:
    """Where `value` holds a null, an empty string, list or object; a table's cells are positional (a null there is an
    unknown cell) and are not looked in."""
    if value is None or value in ("", [], {}):
        return [where]
    if isinstance(value, dict):
        return [spot for key, item in value.items() if key != "rows" for spot in nulls(item, f"{where}.{key}")]
    if isinstance(value, list):
        return [spot for index, item in enumerate(value) for spot in nulls(item, f"{where}[{index}]")]
    return []


async def test_every_tool_answers_structured_content_valid_against_its_output_schema(
    session: ClientSession, clean_sandbox: SandboxServer
) -> None:
    schemas = {tool.name: tool.output_schema for tool in (await session.list_tools()).tools}
    recent = await call(session, "get-recent-issues", {"project_slug": "backend", "limit": 5})
    assert not recent.is_error and recent.structured_content is not None
    issue = records(recent.structured_content["data"]["issues"])[0]
    results = {
        "list-projects": await call(session, "list-projects", {}),
        "get-recent-issues": recent,
        "search-issues": await call(session, "search-issues", {"query": "is:unresolved", "limit": 3}),
        "get-issue-details": await call(session, "get-issue-details", {"issue_id": issue["short_id"]}),
        "get-issue-tags": await call(session, "get-issue-tags", {"issue_id": issue["short_id"], "top": 3}),
        "get-event": await call(session, "get-event", {"issue_id": issue["short_id"], "event_id": "oldest"}),
        "get-error-events": await call(session, "get-error-events", {"issue_id": issue["id"], "limit": 3}),
        "get-project-stats": await call(session, "get-project-stats", {"project_slug": "backend", "period": "7d"}),
        "get-project-health": await call(session, "get-project-health", {"project_slug": "backend"}),
        "analyze-error-patterns": await call(session, "analyze-error-patterns", {"project_slug": "backend"}),
        "resolve-issue": await call(session, "resolve-issue", {"issue_id": issue["id"]}),
        "ignore-issue": await call(session, "ignore-issue", {"issue_id": issue["id"], "count": 10}),
        "unresolve-issue": await call(session, "unresolve-issue", {"issue_id": issue["id"]}),
        "update-issues": await call(session, "update-issues", {"issue_ids": [issue["id"]], "status": "resolved"}),
        "assign-issue": await call(session, "assign-issue", {"issue_id": issue["id"], "assignee": "ana"}),
        "list-assignees": await call(session, "list-assignees", {"project_slug": "backend", "query": "a"}),
        "add-issue-note": await call(session, "add-issue-note", {"issue_id": issue["id"], "text": "on it"}),
    }
    assert set(results) == TOOLS
    for name, result in results.items():
        assert not result.is_error, (name, result.content)
        assert result.structured_content is not None
        jsonschema.validate(result.structured_content, schemas[name])
        assert result.structured_content["status"] in ("success", "partial_success")
        assert nulls(result.structured_content["data"]) == [], name  # nothing that says nothing
        text = text_of(result)
        assert text and len(text) < 6200
    assert issue["short_id"] in text_of(results["get-issue-details"])
    assert text_of(results["get-project-health"]).startswith("backend health, last 24h: ")
    assert "Findings, most events first:" in text_of(results["analyze-error-patterns"])
    resolved = results["resolve-issue"].structured_content
    assert resolved is not None and resolved["side_effects"][0]["after"]["status"] == "resolved"


async def test_invalid_argument_is_a_failure_not_a_protocol_error(session: ClientSession) -> None:
    result = await call(session, "get-recent-issues", {"project_slug": "backend", "limit": 0})
    assert result.is_error
    assert result.structured_content is not None
    error = result.structured_content["error"]
    assert (result.structured_content["status"], error["code"], error["details"]["field"]) == (
        "failure",
        "INVALID_PARAMETER",
        "limit",
    )
    assert "Next step:" in text_of(result)
    unknown = await call(session, "drop-database", {})
    assert unknown.is_error and unknown.structured_content is not None
    assert unknown.structured_content["error"]["code"] == "UNKNOWN_OPERATION"


async def test_without_a_token_the_server_starts_and_answers_not_configured(tmp_path: Path) -> None:
    async for session in open_session(server_env(None), tmp_path / "stderr.log"):
        assert len((await session.list_tools()).tools) == len(TOOLS)
        result = await call(session, "get-recent-issues", {"project_slug": "backend"})
        assert result.is_error and result.structured_content is not None
        assert result.structured_content["error"]["code"] == "NOT_CONFIGURED"


async def test_stdout_is_json_rpc_only_and_the_token_appears_nowhere(sandbox: SandboxServer, tmp_path: Path) -> None:
    """Raw protocol over pipes, debug logging on, a success and an auth failure: every stdout line is JSON-RPC."""
    bad_token = "sntryu_" + "f" * 64
    for token in (sandbox.token, bad_token):
        env = {**server_env(sandbox), "SENTRY_AUTH_TOKEN": token, "PATH": "/usr/bin:/bin"}
        messages = [
            {
                "jsonrpc": "2.0",
                "id": 1,
                "method": "initialize",
                "params": {
                    "protocolVersion": "2025-11-25",
                    "capabilities": {},
                    "clientInfo": {"name": "t", "version": "1"},
                },
            },
            {"jsonrpc": "2.0", "method": "notifications/initialized"},
            {"jsonrpc": "2.0", "id": 2, "method": "tools/list"},
            {
                "jsonrpc": "2.0",
                "id": 3,
                "method": "tools/call",
                "params": {"name": "get-recent-issues", "arguments": {"project_slug": "backend", "limit": 2}},
            },
        ]
        stdin = "".join(json.dumps(message) + "\n" for message in messages).encode()
        process = await anyio.open_process(
            [sys.executable, "-m", "mcp_servers.sentry_monitor", "--log-level", "DEBUG"], env=env, cwd=str(REPO)
        )
        assert process.stdin is not None and process.stdout is not None and process.stderr is not None
        await process.stdin.send(stdin)
        stdout = b""
        with anyio.fail_after(30):
            while stdout.count(b"\n") < 3:
                stdout += await process.stdout.receive()
        await process.stdin.aclose()
        with anyio.fail_after(10):
            await process.wait()
        stderr = b"".join([chunk async for chunk in process.stderr])
        lines = stdout.decode().splitlines()
        replies = [json.loads(line) for line in lines]
        assert all(reply["jsonrpc"] == "2.0" for reply in replies)
        assert [reply["id"] for reply in replies] == [1, 2, 3]
        assert token not in stdout.decode() and token not in stderr.decode()
        assert b"Traceback" not in stderr
        outcome = replies[2]["result"]["structuredContent"]
        expected = "success" if token == sandbox.token else "error"
        assert outcome["status"] == expected
        if token == bad_token:
            assert outcome["error"]["code"] == "AUTH_FAILED"


async def test_assigning_over_stdio_shows_in_the_issue_with_its_owners(
    session: ClientSession, clean_sandbox: SandboxServer
) -> None:
    assigned = await call(session, "assign-issue", {"issue_id": "BACKEND-A", "assignee": "Ben Okafor"})
    assert text_of(assigned).splitlines() == [
        "BACKEND-A is now assigned to ben@example.com",
        "Changed: Assigned BACKEND-A to ben@example.com (was unassigned).",
        "Next: To undo: assign-issue(issue_id='BACKEND-A', assignee='none').",
    ]
    details = await call(session, "get-issue-details", {"issue_id": "BACKEND-A"})
    issue = (details.structured_content or {})["data"]["issue"]
    assert issue["assignee"] == "ben@example.com"
    assert issue["suggested_owners"] == ["ben@example.com (ownership rule)", "ana@example.com (suspect commit)"]
    text = text_of(details)
    assert "; assigned ben@example.com" in text
    assert "  suggested owners: ben@example.com (ownership rule), ana@example.com (suspect commit)" in text
    unknown = await call(session, "assign-issue", {"issue_id": "BACKEND-A", "assignee": "ben"})
    assert unknown.is_error and text_of(unknown).splitlines()[:2] == [
        "Error ASSIGNEE_NOT_FOUND: No member or team of project backend is 'ben'; nothing was sent.",
        "Candidates: ben@example.com",
    ]
    assert [r["method"] for r in clean_sandbox.requests()].count("PUT") == 1


async def test_structured_data_is_the_module_api_data(session: ClientSession, sandbox: SandboxServer) -> None:
    from mcp_servers.framework.contracts import ModuleInput
    from mcp_servers.sentry_monitor.src.processor import SentryErrorMonitorModule
    from tests.conftest import sandbox_settings

    arguments = {"issue_id": "BACKEND-1", "limit": 5}
    over_mcp = await call(session, "get-error-events", arguments)
    async with SentryErrorMonitorModule(sandbox_settings(sandbox)) as module:
        direct = await module.execute(ModuleInput(operation="get-error-events", parameters=arguments))
    assert over_mcp.structured_content is not None
    assert over_mcp.structured_content["data"] == direct.data
    assert over_mcp.structured_content["recommendations"] == direct.recommendations
    assert text_of(over_mcp) == module.render(direct)


async def test_clients_on_the_newest_protocol_work_too(sandbox: SandboxServer) -> None:
    """`mcp.Client` negotiates 2026-07-28 (stateless, server/discover) over the same stdio server."""
    from mcp import Client

    params = StdioServerParameters(
        command=sys.executable, args=["-m", "mcp_servers.sentry_monitor"], env=server_env(sandbox), cwd=str(REPO)
    )
    async with Client(params) as client:
        assert len((await client.list_tools()).tools) == len(TOOLS)
        result = await client.call_tool("get-project-stats", {"project_slug": "backend"})
        assert not result.is_error and result.structured_content is not None
        assert result.structured_content["data"]["totals"]["accepted"] > 0


async def test_every_tool_works_over_stdio_on_every_flavor(flavored_sandbox: SandboxServer, tmp_path: Path) -> None:
    """sentry, glitchtip and an older self-hosted Sentry: the same five tools, the server picking the routes."""
    from tests.conftest import account_for_changes, issue_states

    sandbox = flavored_sandbox
    before = issue_states(sandbox)
    try:
        async for session in open_session(server_env(sandbox), tmp_path / "stderr.log"):
            schemas = {tool.name: tool.output_schema for tool in (await session.list_tools()).tools}
            recent = await call(session, "get-recent-issues", {"project_slug": "backend", "limit": 5, "sort": "freq"})
            assert recent.structured_content is not None and not recent.is_error, text_of(recent)
            issue = records(recent.structured_content["data"]["issues"])[0]
            results = {
                "get-recent-issues": recent,
                "get-issue-details": await call(session, "get-issue-details", {"issue_id": issue["id"]}),
                "get-error-events": await call(session, "get-error-events", {"issue_id": issue["id"], "limit": 3}),
                "get-project-stats": await call(session, "get-project-stats", {"project_slug": "backend"}),
                "resolve-issue": await call(session, "resolve-issue", {"issue_id": issue["id"]}),
            }
            for name, result in results.items():
                assert not result.is_error and result.structured_content is not None, (name, text_of(result))
                jsonschema.validate(result.structured_content, schemas[name])
            assert "Raised: " in text_of(results["get-issue-details"])
            assert " is now resolved" in text_of(results["resolve-issue"])
            stats_text = text_of(results["get-project-stats"])
            assert ("no per-outcome error statistics" in stats_text) is (sandbox.flavor == "glitchtip")
    finally:
        account_for_changes(sandbox, before)
        sandbox.reset()
