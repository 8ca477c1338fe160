"""The MCP server, generated from the operation registry with the SDK's low-level `Server`.

Every tool call goes through `SentryErrorMonitorModule.execute`, so the MCP tools and the Python API
cannot drift apart. Startup never calls Sentry: a dead Sentry or a missing token must not stop
`tools/list`.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from contextlib import asynccontextmanager
from typing import Any, Protocol, cast

import anyio
from mcp import MCPError
from mcp.server import Server, ServerRequestContext
from mcp.server.stdio import stdio_server
from mcp.types import (
    INVALID_PARAMS,
    CallToolRequestParams,
    CallToolResult,
    GetPromptRequestParams,
    GetPromptResult,
    ListPromptsResult,
    ListToolsResult,
    PaginatedRequestParams,
    Prompt,
    PromptArgument,
    PromptMessage,
    TextContent,
    Tool,
    ToolAnnotations,
)

from mcp_servers.framework.contracts import ModuleInput, ModuleOutput

from .base.errors import InvalidParameter
from .base.version import __version__
from .lifecycle import finish_or_report, stdin_lines, stop_on_signal
from .operations.operation import Operation
from .operations.registry import OPERATIONS
from .processor import SentryErrorMonitorModule, structured_content
from .prompts import PROMPTS
from .schemas import input_schema, output_schema
from .sentry import SentryClient

SERVER_NAME = "sentry-error-monitor"
INSTRUCTIONS = (
    "Triage production errors in Sentry. Find a project with list-projects; see how it is doing with "
    "get-project-health (verdict and reasons) or get-project-stats, and what drives it with analyze-error-patterns "
    "(spikes, new, regressed and escalating issues, the release behind them); list issues with get-recent-issues "
    "or search-issues; open one with get-issue-details (get-event for a particular occurrence, get-error-events "
    "for its spread); then resolve-issue, ignore-issue or unresolve-issue. Every result has recommendations for "
    "the next call. The triage-project prompt walks through all of it."
)


def tool_for(operation: Operation[Any, Any], *, structured: bool = True) -> Tool:
    """The tool a client lists; text-only servers (SENTRY_MONITOR_RESULT_FORMAT=text) give no outputSchema."""
    return Tool(
        name=operation.name,
        title=operation.title,
        description=operation.description,
        input_schema=input_schema(operation),
        output_schema=output_schema(operation) if structured else None,
        # The title is the tool's own, not repeated here; the destructive and idempotent hints mean something
        # only for a tool that writes (MCP's ToolAnnotations), so a read-only tool leaves them out.
        annotations=ToolAnnotations(
            read_only_hint=operation.read_only,
            destructive_hint=None if operation.read_only else operation.destructive,
            idempotent_hint=None if operation.read_only else operation.idempotent,
            open_world_hint=True,
        ),
    )


Run = Callable[[SentryClient | None], Awaitable[ModuleOutput]]


class CallGate(Protocol):
    """What a transport puts in front of the tools: the HTTP server's callers, limits, metrics and result format."""

    def structured(self, default: bool) -> bool:
        """Whether this request's caller reads structured results (`default`: the configured format)."""
        ...

    def read_only(self) -> bool:
        """Whether this request's caller may only read (a read-only sign-in): the write tools are hidden."""
        ...

    async def admit(
        self, module: SentryErrorMonitorModule, tool: str, arguments: Mapping[str, Any], run: Run
    ) -> ModuleOutput:
        """`run(client)`'s output, `client` the caller's own Sentry client (None: the module's), or the module's
        refusal of the call (`arguments`: the call's, for the audit of writes)."""
        ...


class OpenGate:
    """stdio: one user, the configured token and format, no limits."""

    def structured(self, default: bool) -> bool:
        return default

    def read_only(self) -> bool:
        return False

    async def admit(
        self, module: SentryErrorMonitorModule, tool: str, arguments: Mapping[str, Any], run: Run
    ) -> ModuleOutput:
        return await run(None)


def build_server(
    module_factory: Callable[[], SentryErrorMonitorModule] = SentryErrorMonitorModule,
    gate: CallGate | None = None,
) -> Server[SentryErrorMonitorModule]:
    calls = gate or OpenGate()
    tools = {
        structured: {name: tool_for(operation, structured=structured) for name, operation in OPERATIONS.items()}
        for structured in (True, False)
    }

    @asynccontextmanager
    async def lifespan(_: Server[SentryErrorMonitorModule]) -> AsyncIterator[SentryErrorMonitorModule]:
        async with module_factory() as module:  # one connection pool for the server's life
            yield module

    async def list_tools(
        ctx: ServerRequestContext[SentryErrorMonitorModule], params: PaginatedRequestParams | None
    ) -> ListToolsResult:
        # Read-only mode hides the tools that change Sentry (a call to one still answers READ_ONLY).
        module = ctx.lifespan_context
        structured = calls.structured(module.structured)
        writes = not calls.read_only()  # a read-only sign-in sees no write tool either
        names = [name for name, op in module.operations.items() if op.read_only or writes]
        return ListToolsResult(tools=[tools[structured][name] for name in names])

    async def call_tool(
        ctx: ServerRequestContext[SentryErrorMonitorModule], params: CallToolRequestParams
    ) -> CallToolResult:
        module = ctx.lifespan_context
        module_input = ModuleInput(operation=params.name, parameters=params.arguments or {})
        operation = OPERATIONS.get(params.name)
        progress = ctx.session.report_progress  # a no-op unless the client sent a progress token
        structured = calls.structured(module.structured)

        async def run(client: SentryClient | None) -> ModuleOutput:
            if operation is not None and not operation.read_only:
                return await finish_or_report(
                    lambda: module.execute(module_input, progress=progress, structured=structured, client=client),
                    f"{params.name}({_arguments(params.arguments)})",
                )
            return await module.execute(module_input, progress=progress, structured=structured, client=client)

        output = await calls.admit(module, params.name, params.arguments or {}, run)
        return CallToolResult(
            content=[TextContent(type="text", text=module.render(output))],
            structured_content=structured_content(output) if structured else None,
            is_error=not output.ok,
            meta=output.metadata.model_dump(mode="json"),  # for the client, not the model
        )

    prompts = [
        Prompt(
            name=spec.name,
            title=spec.title,
            description=spec.description,
            arguments=[PromptArgument(name=a.name, description=a.description, required=True) for a in spec.arguments],
        )
        for spec in PROMPTS.values()
    ]

    async def list_prompts(
        ctx: ServerRequestContext[SentryErrorMonitorModule], params: PaginatedRequestParams | None
    ) -> ListPromptsResult:
        return ListPromptsResult(prompts=prompts)

    async def get_prompt(
        ctx: ServerRequestContext[SentryErrorMonitorModule], params: GetPromptRequestParams
    ) -> GetPromptResult:
        spec = PROMPTS.get(params.name)
        if spec is None:
            raise MCPError(INVALID_PARAMS, f"There is no prompt {params.name!r}; prompts: {', '.join(PROMPTS)}.")
        arguments = dict(params.arguments or {})
        try:
            text = spec.text(arguments)
        except InvalidParameter as exc:
            raise MCPError(INVALID_PARAMS, exc.message) from None
        return GetPromptResult(
            description=spec.description,
            messages=[PromptMessage(role="user", content=TextContent(type="text", text=text))],
        )

    return Server(
        SERVER_NAME,
        version=__version__,
        title="Sentry Error Monitor",
        instructions=INSTRUCTIONS,
        lifespan=lifespan,
        # On 2026-07-28 a call's Mcp-Param headers are checked against its tool's input schema: without this the
        # SDK runs a whole tools/list (17 tools, about 30,000 characters of JSON) for every call to find it.
        get_tool_input_schema=lambda name: tools[True][name].input_schema if name in tools[True] else None,
        on_list_tools=list_tools,
        on_call_tool=call_tool,
        on_list_prompts=list_prompts,
        on_get_prompt=get_prompt,
    )


def _arguments(arguments: Mapping[str, Any] | None) -> str:
    return ", ".join(f"{key}={value!r}" for key, value in (arguments or {}).items())[:300]


async def serve_stdio(flags: Mapping[str, str | None] | None = None) -> None:
    """Serve until stdin closes or a signal arrives; either way the process ends within about a second."""
    server = build_server(lambda: SentryErrorMonitorModule(flags=flags))
    async with anyio.create_task_group() as group:
        await group.start(stop_on_signal, group.cancel_scope)
        stdin = await stdin_lines()
        async with stdio_server(stdin=cast("anyio.AsyncFile[str] | None", stdin)) as (read, write):
            await server.run(read, write, server.create_initialization_options())
        group.cancel_scope.cancel()


def configure_logging(level: str = "WARNING") -> None:
    """Logs go to stderr: stdout carries JSON-RPC only."""
    logging.basicConfig(
        stream=sys.stderr, level=level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )


def run_stdio(flags: Mapping[str, str | None] | None = None) -> None:
    anyio.run(serve_stdio, flags)
