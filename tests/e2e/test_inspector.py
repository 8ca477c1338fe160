"""The MCP Inspector CLI (pinned in package.json, installed by `npm ci`) lists the tools and calls one."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from mcp_servers.sentry_monitor.src.operations.registry import OPERATIONS
from tests.conftest import REPO, coverage_env
from tests.e2e.http_process import http_server, new_key

if TYPE_CHECKING:
    from mcp_servers.sentry_sandbox import SandboxServer

INSPECTOR = REPO / "node_modules" / ".bin" / "mcp-inspector"
if shutil.which("node") is None or shutil.which("npx") is None:
    pytest.skip("Node.js/npx not installed: the MCP Inspector CLI test needs them", allow_module_level=True)
if not INSPECTOR.exists():
    pytest.skip("the MCP Inspector is not installed: run `npm ci` (make test does)", allow_module_level=True)


def inspector(sandbox: SandboxServer, *method: str) -> subprocess.CompletedProcess[str]:
    env_args: list[str] = []
    for key, value in {
        "SENTRY_AUTH_TOKEN": sandbox.token,
        "SENTRY_URL": sandbox.url,
        "SENTRY_ORG": sandbox.org_slug,
        "PYTHONPATH": str(REPO),
        **coverage_env(),
    }.items():
        env_args += ["-e", f"{key}={value}"]
    command = [
        "npx",
        "--no-install",
        "@modelcontextprotocol/inspector",
        "--cli",
        sys.executable,
        "-m",
        "mcp_servers.sentry_monitor",
        "--cwd",
        str(REPO),
        *env_args,
        *method,
    ]
    return subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=120, check=False)


def test_inspector_lists_the_tools(sandbox: SandboxServer) -> None:
    listed = inspector(sandbox, "--method", "tools/list")
    assert listed.returncode == 0, listed.stderr[-2000:]
    names = {tool["name"] for tool in json.loads(listed.stdout)["tools"]}
    assert names == set(OPERATIONS)


def test_inspector_calls_a_tool(sandbox: SandboxServer) -> None:
    called = inspector(
        sandbox,
        "--method",
        "tools/call",
        "--tool-name",
        "get-project-stats",
        "--tool-arg",
        "project_slug=backend",
        "--tool-arg",
        "period=7d",
        "--format",
        "json",
        "-q",
    )
    assert called.returncode == 0, called.stderr[-2000:]
    result = json.loads(called.stdout)
    result = result.get("result", result)
    assert result["isError"] is False
    assert result["structuredContent"]["data"]["totals"]["accepted"] > 0
    assert sandbox.token not in called.stdout


@pytest.mark.parametrize("era", ["legacy", "modern"])
def test_inspector_calls_a_tool_on_the_team_server(sandbox: SandboxServer, tmp_path: Path, era: str) -> None:
    key = new_key()
    with http_server(sandbox, tmp_path / "server.log", [key]) as server:
        common = [server.url, "--transport", "http", "--protocol-era", era]

        def run(*arguments: str) -> subprocess.CompletedProcess[str]:
            command = ["npx", "--no-install", "@modelcontextprotocol/inspector", "--cli", *common, *arguments]
            return subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=120, check=False)

        arguments = ["--method", "tools/call", "--tool-name", "get-recent-issues", "--tool-arg", "project_slug=backend"]
        called = run("--header", f"Authorization: Bearer {key}", *arguments, "--tool-arg", "limit=1", "-q")
        refused = run("--header", "Authorization: Bearer not-a-key", "--method", "tools/list")
    assert called.returncode == 0, called.stderr[-2000:]
    result = json.loads(called.stdout)
    assert result["isError"] is False and result["structuredContent"]["data"]["issues"]
    assert refused.returncode != 0 and "tools" not in refused.stdout
    assert key not in called.stdout + called.stderr + refused.stdout + refused.stderr
