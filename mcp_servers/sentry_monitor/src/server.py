"""The MCP server, generated from the operation registry with the SDK's low-level `Server`.

Every tool call goes through `SentryErrorMonitorModule.execute`, so the MCP tools and the Python API
cannot drift apart. Startup never calls Sentry: a dead Sentry or a missing token must not stop
`tools/list`.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager
from typing import Any

import anyio
from mcp.server import Server, ServerRequestContext
from mcp.server.stdio import stdio_server
from mcp.types import (
    CallToolRequestParams,
    CallToolResult,
    ListToolsResult,
    PaginatedRequestParams,
    TextContent,
    Tool,
    ToolAnnotations,
)

from mcp_servers.framework.contracts import ModuleInput

from .operation import Operation
from .processor import SentryErrorMonitorModule
from .registry import OPERATIONS
from .schemas import input_schema, output_schema
from .version import __version__

SERVER_NAME = "sentry-error-monitor"
INSTRUCTIONS = (
    "Triage production errors in Sentry. Start with get-recent-issues (or get-project-stats to see whether a "
    "project is getting worse), open an issue with get-issue-details for its stack trace, check its spread with "
    "get-error-events, and resolve-issue once fixed. Every result has recommendations for the next call."
)


def tool_for(operation: Operation[Any, Any]) -> Tool:
    return Tool(
        name=operation.name,
        title=operation.title,
        description=operation.description,
        input_schema=input_schema(operation),
        output_schema=output_schema(operation),
        annotations=ToolAnnotations(
            title=operation.title,
            read_only_hint=operation.read_only,
            destructive_hint=operation.destructive,
            idempotent_hint=operation.idempotent,
            open_world_hint=True,
        ),
    )


def build_server(
    module_factory: Callable[[], SentryErrorMonitorModule] = SentryErrorMonitorModule,
) -> Server[SentryErrorMonitorModule]:
    tools = [tool_for(operation) for operation in OPERATIONS.values()]

    @asynccontextmanager
    async def lifespan(_: Server[SentryErrorMonitorModule]) -> AsyncIterator[SentryErrorMonitorModule]:
        async with module_factory() as module:  # one connection pool for the server's life
            yield module

    async def list_tools(
        ctx: ServerRequestContext[SentryErrorMonitorModule], params: PaginatedRequestParams | None
    ) -> ListToolsResult:
        return ListToolsResult(tools=tools)

    async def call_tool(
        ctx: ServerRequestContext[SentryErrorMonitorModule], params: CallToolRequestParams
    ) -> CallToolResult:
        module = ctx.lifespan_context
        output = await module.execute(ModuleInput(operation=params.name, parameters=params.arguments or {}))
        return CallToolResult(
            content=[TextContent(type="text", text=module.render(output))],
            structured_content=output.model_dump(mode="json"),
            is_error=not output.ok,
        )

    return Server(
        SERVER_NAME,
        version=__version__,
        title="Sentry Error Monitor",
        instructions=INSTRUCTIONS,
        lifespan=lifespan,
        on_list_tools=list_tools,
        on_call_tool=call_tool,
    )


async def serve_stdio(flags: Mapping[str, str | None] | None = None) -> None:
    server = build_server(lambda: SentryErrorMonitorModule(flags=flags))
    async with stdio_server() as (read, write):
        await server.run(read, write, server.create_initialization_options())


def configure_logging(level: str = "WARNING") -> None:
    """Logs go to stderr: stdout carries JSON-RPC only."""
    logging.basicConfig(
        stream=sys.stderr, level=level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )


def run_stdio(flags: Mapping[str, str | None] | None = None) -> None:
    anyio.run(serve_stdio, flags)
