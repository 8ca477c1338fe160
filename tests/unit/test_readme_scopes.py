"""The README's scope table says what the registry declares: each scope and the tools that need it."""

from __future__ import annotations

import re
from pathlib import Path

from mcp_servers.sentry_monitor.src.operations.registry import OPERATIONS

README = Path(__file__).resolve().parents[2] / "README.md"
SCOPE_ROW = re.compile(r"^\| `([a-z]+:[a-z]+)` \| (.+) \|$")


def test_the_scope_table_lists_every_tool_under_the_scopes_it_declares() -> None:
    rows = {match[1]: match[2] for line in README.read_text().splitlines() if (match := SCOPE_ROW.match(line))}
    assert set(rows) == {scope for op in OPERATIONS.values() for scope in op.scopes}
    for scope, tools in rows.items():
        listed = {name.strip().strip("`") for name in tools.split(",")}
        assert listed == {name for name, op in OPERATIONS.items() if scope in op.scopes}, scope
