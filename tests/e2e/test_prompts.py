"""The triage-project prompt over stdio: listed, filled in, and naming only tools the server has."""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from mcp import MCPError
from mcp.types import TextContent

from mcp_servers.sentry_monitor.src.operations.registry import OPERATIONS
from mcp_servers.sentry_monitor.src.prompts import PROMPTS
from tests.e2e.test_stdio import open_session, server_env

if TYPE_CHECKING:
    from mcp_servers.sentry_sandbox import SandboxServer

pytestmark = pytest.mark.anyio


def test_every_tool_a_prompt_names_exists() -> None:
    for spec in PROMPTS.values():
        text = spec.text({argument.name: "backend" for argument in spec.arguments})
        named = set(re.findall(r"\b([a-z]+(?:-[a-z]+)+)\(", text))
        assert named and named <= set(OPERATIONS), named - set(OPERATIONS)


async def test_triage_prompt_is_listed_and_filled_in(sandbox: SandboxServer, tmp_path: Path) -> None:
    async for session in open_session(server_env(sandbox), tmp_path / "stderr.log"):
        listed = (await session.list_prompts()).prompts
        assert [(p.name, [a.name for a in p.arguments or []]) for p in listed] == [("triage-project", ["project_slug"])]
        prompt = await session.get_prompt("triage-project", {"project_slug": "Backend"})
        (message,) = prompt.messages
        assert message.role == "user" and isinstance(message.content, TextContent)
        assert "get-project-health(project_slug='backend')" in message.content.text
        # It ends with who owns what stays open.
        assert "5. Assign what stays open" in message.content.text
        assert "list-assignees(project_slug='backend')" in message.content.text
        with pytest.raises(MCPError, match="project_slug"):
            await session.get_prompt("triage-project", {"project_slug": "../etc"})
        with pytest.raises(MCPError, match="no prompt"):
            await session.get_prompt("nope", {})
