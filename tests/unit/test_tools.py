"""The MCP tools are generated from the registry: one declaration per operation, complete."""

from __future__ import annotations

import json
import re

import jsonschema
import pytest
from mcp import Client
from mcp.types import Tool

from mcp_servers.sentry_monitor.src.operations.registry import OPERATIONS
from mcp_servers.sentry_monitor.src.processor import SentryErrorMonitorModule
from mcp_servers.sentry_monitor.src.server import build_server, tool_for
from tests.conftest import REPO
from tests.fakes import ScriptedSentry

pytestmark = pytest.mark.anyio


@pytest.mark.parametrize("name", sorted(OPERATIONS))
def test_each_tool_is_fully_described(name: str) -> None:
    operation = OPERATIONS[name]
    tool: Tool = tool_for(operation)
    assert tool.name == name and tool.title == operation.title
    assert tool.input_schema["type"] == "object"
    for field, spec in tool.input_schema["properties"].items():
        assert spec.get("description"), f"{name}.{field} has no description"
    jsonschema.Draft202012Validator.check_schema(tool.input_schema)
    jsonschema.Draft202012Validator.check_schema(tool.output_schema or {})
    assert '"title"' not in json.dumps(tool.input_schema).replace('"title": {', "")  # generated titles dropped
    assert operation.scopes


def test_registry_names_are_the_documented_tool_names() -> None:
    documented = re.findall(r"^### `([a-z-]+)\(", (REPO / "README.md").read_text(), flags=re.MULTILINE)
    assert sorted(documented) == sorted(OPERATIONS)
    assert {"get-recent-issues", "get-issue-details", "get-error-events", "resolve-issue", "get-project-stats"} <= set(
        OPERATIONS
    )


async def test_in_process_server_lists_and_calls_tools() -> None:
    sentry = ScriptedSentry().json("GET", "/projects/acme/backend/", {"id": "7"})
    sentry.json("GET", "/organizations/acme/issues/", [])
    server = build_server(lambda: sentry.module())
    async with Client(server, mode="legacy") as client:
        tools = (await client.list_tools()).tools
        assert len(tools) == len(OPERATIONS)
        result = await client.call_tool("get-recent-issues", {"project_slug": "backend"})
        assert not result.is_error
        assert result.structured_content is not None and result.structured_content["data"] == {}  # nothing found
        assert "No issues match." in result.content[0].text  # type: ignore[union-attr]
        assert result.meta is not None and result.meta["operation"] == "get-recent-issues"  # for the client


def test_module_and_server_share_one_registry() -> None:
    assert SentryErrorMonitorModule(environ={}).operations is OPERATIONS


def test_the_server_hands_the_sdk_each_tools_input_schema() -> None:
    """On 2026-07-28 the SDK checks a call's Mcp-Param headers against its tool's input schema; given the lookup it
    does not list every tool for every call to find it."""
    server = build_server()
    assert server.get_tool_input_schema is not None
    for name, operation in OPERATIONS.items():
        assert server.get_tool_input_schema(name) == tool_for(operation).input_schema
    assert server.get_tool_input_schema("no-such-tool") is None
