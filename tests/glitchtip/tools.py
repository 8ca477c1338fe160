"""The server as a client sees it: `python -m mcp_servers.sentry_monitor` over stdio, with the official MCP client."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mcp import ClientSession, StdioServerParameters, stdio_client
from mcp.types import TextContent

from mcp_servers.sentry_monitor.src.shared.results import records

from .glitchtip import REPO, GlitchTip


@dataclass(frozen=True)
class Answer:
    """One tool result: its text and its structured content."""

    tool: str
    arguments: dict[str, Any]
    is_error: bool
    text: str
    structured: dict[str, Any]

    @property
    def data(self) -> dict[str, Any]:
        data: dict[str, Any] = self.structured.get("data") or {}
        return data

    def rows(self, key: str) -> list[dict[str, Any]]:
        """A list of the result's data (a table: one dict per row), [] when the result has none."""
        listed: list[dict[str, Any]] = records(self.data.get(key))
        return listed

    @property
    def error_code(self) -> str | None:
        error = self.structured.get("error") or {}
        code: str | None = error.get("code")
        return code

    @property
    def warnings(self) -> list[str]:
        return list(self.structured.get("warnings") or [])

    @property
    def recommendations(self) -> list[str]:
        return list(self.structured.get("recommendations") or [])

    def ok(self) -> Answer:
        """This answer, after checking it succeeded (the failure's text is the assertion message)."""
        assert not self.is_error and self.structured.get("status") in ("success", "partial_success"), (
            f"{self.tool}({self.arguments}) failed: {self.text}"
        )
        return self

    def __str__(self) -> str:
        return f"{self.tool}({self.arguments}) answered:\n{self.text}\n{json.dumps(self.structured)[:3000]}"


class Tools:
    """One server process; `call` calls a tool over stdio."""

    def __init__(self, session: ClientSession) -> None:
        self.session = session

    async def call(self, tool: str, **arguments: Any) -> Answer:
        result = await self.session.call_tool(tool, arguments)
        text = "".join(block.text for block in result.content if isinstance(block, TextContent))
        return Answer(tool, arguments, bool(result.is_error), text, result.structured_content or {})

    async def names(self) -> list[str]:
        return [tool.name for tool in (await self.session.list_tools()).tools]


@asynccontextmanager
async def serve(glitchtip: GlitchTip, errlog: Path) -> AsyncIterator[Tools]:
    """A fresh `python -m mcp_servers.sentry_monitor` pointed at GlitchTip (it learns the server anew)."""
    params = StdioServerParameters(
        command=sys.executable,
        args=["-m", "mcp_servers.sentry_monitor"],
        env=glitchtip.server_env(),
        cwd=str(REPO),
    )
    with errlog.open("w") as err:
        async with stdio_client(params, errlog=err) as (read, write), ClientSession(read, write) as session:
            await session.initialize()
            yield Tools(session)


def check(glitchtip: GlitchTip) -> subprocess.CompletedProcess[str]:
    """`python -m mcp_servers.sentry_monitor --check` against GlitchTip."""
    return subprocess.run(
        [sys.executable, "-m", "mcp_servers.sentry_monitor", "--check"],
        env=glitchtip.server_env(),
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
