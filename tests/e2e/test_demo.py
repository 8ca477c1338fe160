"""`make demo`'s client: every tool over stdio against the local Sentry, printed as a user sees them."""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING

import pytest

from mcp_servers.sentry_monitor import demo
from mcp_servers.sentry_monitor.src.operations.registry import OPERATIONS
from mcp_servers.sentry_sandbox.desktop import claude_desktop_entry
from tests.conftest import SandboxPool, account_for_changes, issue_states

if TYPE_CHECKING:
    from mcp_servers.sentry_sandbox import SandboxServer

pytestmark = pytest.mark.anyio
NO_ASSIGNEES = {"assign-issue", "list-assignees"}  # GlitchTip's issues have no assignees


async def test_demo_calls_every_tool_and_prints_their_text(
    clean_sandbox: SandboxServer, capsys: pytest.CaptureFixture[str]
) -> None:
    await demo.run_demo(clean_sandbox)
    printed = capsys.readouterr().out
    called = set(re.findall(r"^=== ([a-z-]+)\(", printed, flags=re.MULTILINE))
    assert called == set(OPERATIONS)
    assert "[isError]" not in printed
    assert "Raised: " in printed and " is now resolved" in printed and "Errors in the last 7d" in printed
    assert "is now ignored/archived_until_escalating" in printed and "is now unresolved" in printed
    assert "notes, newest first:" in printed and ": Triage: seen on every release since 1.2.0; Ann is on it." in printed
    assert printed.count("--- status success") == printed.count("\n=== ")
    assert "backend health, last 24h: CRITICAL" in printed and "- critical: crash-free sessions 90% < 95%" in printed
    assert "- spike: BACKEND-6 spiked to " in printed
    assert "- regression: BACKEND-4 regressed, seen again in backend@1.2.0" in printed
    assert "- release: backend@1.3.0 introduced 1 new issue(s): BACKEND-A" in printed
    assert "Message [error] shop.refunds: Refund webhook from acme-pay rejected: bad signature (key whk_7)" in printed
    assert "Message [error]: Job queue backlog above threshold: 5000 pending" in printed
    assert "backend: 3 user(s), 1 team(s) can be assigned" in printed and "is now assigned to #backend-devs" in printed


def test_claude_desktop_entry_runs_this_server(sandbox: SandboxServer) -> None:
    entry = claude_desktop_entry(sandbox.url, sandbox.token, sandbox.org_slug)["mcpServers"]["sentry-error-monitor"]
    assert entry["args"] == ["-m", "mcp_servers.sentry_monitor"]
    assert entry["env"] == {"SENTRY_AUTH_TOKEN": sandbox.token, "SENTRY_URL": sandbox.url, "SENTRY_ORG": "sandbox"}
    json.dumps(entry)


@pytest.mark.parametrize(
    ("flavor", "said"),
    [
        ("glitchtip", "Warning: This server has no per-outcome error statistics"),
        ("sentry-legacy", "older substatus names"),
    ],
)
async def test_demo_works_against_other_servers_too(
    sandbox_pool: SandboxPool, capsys: pytest.CaptureFixture[str], flavor: str, said: str
) -> None:
    sandbox = sandbox_pool.get(flavor)
    before = issue_states(sandbox)
    try:
        await demo.run_demo(sandbox)
    finally:
        account_for_changes(sandbox, before)
        sandbox.reset()
    printed = capsys.readouterr().out
    called = set(re.findall(r"^=== ([a-z-]+)\(", printed, flags=re.MULTILINE))
    assert called == set(OPERATIONS) - (NO_ASSIGNEES if flavor == "glitchtip" else set())
    assert "[isError]" not in printed
    answered = printed.count("--- status success") + printed.count("--- status partial_success")
    assert answered == printed.count("\n=== ")  # partial: a part this server cannot give, said in a warning
    assert said in printed
