"""`make demo`: the local Sentry, filled by sentry-sdk, and an MCP client calling every tool over stdio.

Starts the local Sentry on 127.0.0.1, seeds it with real events through the official sentry-sdk, spawns
`python -m mcp_servers.sentry_monitor` with the official MCP client, calls every tool, prints the text
each returns, and ends with the Claude Desktop entry for trying it by hand (`make sandbox`).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import anyio
from mcp import ClientSession, StdioServerParameters, stdio_client
from mcp.types import CallToolResult, TextContent

from mcp_servers.sentry_monitor.src.shared.results import records
from mcp_servers.sentry_sandbox import SandboxServer
from mcp_servers.sentry_sandbox.api import FLAVORS
from mcp_servers.sentry_sandbox.desktop import claude_desktop_entry

REPO = Path(__file__).resolve().parents[2]


def show(title: str, arguments: dict[str, Any], result: CallToolResult) -> dict[str, Any]:
    print(
        f"\n=== {title}({', '.join(f'{k}={v!r}' for k, v in arguments.items())})"
        + ("  [isError]" if result.is_error else "")
    )
    for block in result.content:
        if isinstance(block, TextContent):
            print(block.text)
    structured: dict[str, Any] = result.structured_content or {}
    meta = result.meta or {}
    print(f"--- status {structured.get('status')}, {meta.get('api_calls')} Sentry calls, {meta.get('duration_ms')} ms")
    return structured


Record = Callable[[str, dict[str, Any], CallToolResult], dict[str, Any]]
"""What becomes of each call's result: the demo prints it; the surface snapshot (tests/surface) keeps it."""


def server_params(sandbox: SandboxServer) -> StdioServerParameters:
    """`python -m mcp_servers.sentry_monitor` pointed at the local Sentry, as a Claude Desktop entry would run it."""
    env = {
        "SENTRY_AUTH_TOKEN": sandbox.token,
        "SENTRY_URL": sandbox.url,
        "SENTRY_ORG": sandbox.org_slug,
        "PYTHONPATH": str(REPO),
        **{key: value for key, value in os.environ.items() if key.startswith("COVERAGE_")},
    }
    return StdioServerParameters(command=sys.executable, args=["-m", "mcp_servers.sentry_monitor"], env=env)


async def call_every_tool(session: ClientSession, flavor: str, record: Record) -> None:
    """The demo's calls, in order: every tool the server kind has at least once, against the seeded local Sentry."""

    async def call(name: str, **arguments: Any) -> dict[str, Any]:
        return record(name, arguments, await session.call_tool(name, arguments))

    await call("list-projects")
    recent = await call("get-recent-issues", project_slug="backend", limit=5, sort="freq")
    issues = records((recent.get("data") or {}).get("issues")) or []
    if len(issues) < 2:
        raise SystemExit("the local Sentry has too few issues: seeding failed")
    top, second = issues[0], issues[1]
    # GlitchTip looks issues up by numeric id only (a short id answers UNSUPPORTED_BY_SERVER, saying so).
    ref, second_ref = (
        (top["id"], second["id"]) if flavor.startswith("glitchtip") else (top["short_id"], second["short_id"])
    )
    # GlitchTip has no error.unhandled search (the tool says so rather than answer "no issues"): by level there
    crashed = "level:error" if flavor.startswith("glitchtip") else "error.unhandled:true"
    await call("search-issues", query=f"is:unresolved {crashed}", limit=3)
    await call("add-issue-note", issue_id=ref, text="Triage: seen on every release since 1.2.0; Ann is on it.")
    await call("get-issue-details", issue_id=ref)
    await call("get-issue-tags", issue_id=top["id"], keys=["release", "environment", "user", "url"], top=3)
    listed = await call("get-error-events", issue_id=top["id"], limit=5)
    events = records((listed.get("data") or {}).get("events")) or []
    if events:
        await call("get-event", issue_id=ref, event_id=events[-1]["event_id"])
    await call("get-project-stats", project_slug="backend", period="7d")
    # The seed planted a spike, a regression, an escalation and a release (backend@1.3.0) with a new bug.
    await call("get-project-health", project_slug="backend")
    await call("analyze-error-patterns", project_slug="backend", top=5)
    await call("resolve-issue", issue_id=ref)
    if flavor.startswith("glitchtip"):  # it keeps no ignore condition (the tool refuses one): archived for good
        await call("ignore-issue", issue_id=second_ref)
    else:
        await call("ignore-issue", issue_id=second_ref, until_escalating=True)
    await call("unresolve-issue", issue_id=second_ref)
    # Many at once: a dry run says which would change and their ids; the real run takes those ids.
    dry = await call("update-issues", project_slug="worker", query="is:unresolved", status="ignored", max_issues=3)
    chosen = ((dry.get("data") or {}).get("issue_ids") or [])[:2]
    if chosen:
        await call("update-issues", issue_ids=chosen, status="ignored", dry_run=False)
    await call("get-recent-issues", project_slug="backend", limit=3, status="resolved")
    if not flavor.startswith("glitchtip"):  # GlitchTip has no assignees (both tools say so, sending nothing)
        await call("list-assignees", project_slug="backend")
        await call("assign-issue", issue_id=second_ref, assignee="#backend-devs")
    # A logged error and a captured message: their text stands where an exception's stack trace would.
    for project, words in (("backend", "Refund webhook"), ("worker", "Job queue backlog")):
        found = await call("search-issues", query=f"is:unresolved {words}", project_slug=project, limit=1)
        messages = records((found.get("data") or {}).get("issues")) or []
        if messages:
            message_ref = messages[0]["id" if flavor == "glitchtip" else "short_id"]
            await call("get-event", issue_id=message_ref, event_id="latest")


async def run_demo(sandbox: SandboxServer) -> None:
    async with stdio_client(server_params(sandbox)) as (read, write), ClientSession(read, write) as session:
        init = await session.initialize()
        tools = (await session.list_tools()).tools
        print(
            f"Connected to {init.server_info.name} {init.server_info.version} over stdio "
            f"(protocol {init.protocol_version}); tools: {', '.join(tool.name for tool in tools)}"
        )
        await call_every_tool(session, sandbox.flavor, show)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m mcp_servers.sentry_monitor.demo", description=__doc__)
    parser.add_argument("--flavor", choices=FLAVORS, default="sentry", help="the local Sentry's flavor")
    flavor = parser.parse_args(argv).flavor
    started = time.monotonic()
    with SandboxServer(port=0, flavor=flavor) as sandbox:
        print(f"Local Sentry ({flavor} flavor) on {sandbox.url}; seeding it through sentry-sdk ...")
        sandbox.seed()
        print(f"Seeded in {time.monotonic() - started:.1f} s.")
        anyio.run(run_demo, sandbox)
        print(
            "\nTry it from Claude Desktop or the MCP Inspector: run `make sandbox` (a fixed port, the same data) "
            "and use the entry it prints. For this run it would have been:"
        )
        print(json.dumps(claude_desktop_entry(sandbox.url, sandbox.token, sandbox.org_slug), indent=2))
        print(
            "\nFor your own Sentry, use SENTRY_AUTH_TOKEN=<your token> (scopes org:read project:read event:read, "
            "event:write to change issues), SENTRY_ORG=<your org> and, for self-hosted or EU, SENTRY_URL."
        )
    print(f"Demo finished in {time.monotonic() - started:.1f} s.")


if __name__ == "__main__":
    main()
