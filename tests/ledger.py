"""The record of a test run: every tool outcome seen, token leaks, crashes, faults injected, unasked changes.

Every output passes through here: the module API's `execute` and `render` (in process), and tool results
read over stdio (the MCP client session and the raw server). Each is scanned for auth tokens. Server
stderr logs are scanned when their test ends. `make reliability` writes the totals as a table.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

TOKEN = re.compile(r"sntry[a-z]_[A-Za-z0-9]{16,}")
WRITE_TOOLS = frozenset(
    {"resolve-issue", "ignore-issue", "unresolve-issue", "update-issues", "assign-issue", "add-issue-note"}
)


@dataclass
class Ledger:
    outcomes: Counter[str] = field(default_factory=Counter)
    crashes: list[str] = field(default_factory=list)
    leaks: list[str] = field(default_factory=list)
    faults_injected: Counter[str] = field(default_factory=Counter)
    unasked_changes: list[str] = field(default_factory=list)
    asked: set[str] = field(default_factory=set)  # issue refs a write tool was asked to change, this test
    secrets: set[str] = field(default_factory=set)

    @property
    def calls(self) -> int:
        return sum(self.outcomes.values())

    def scan(self, where: str, text: str) -> None:
        found = set(TOKEN.findall(text)) | {secret for secret in self.secrets if secret in text}
        if found:
            self.leaks.append(f"{where}: {len(found)} token(s)")

    def record_call(self, tool: str, arguments: Any, outcome: dict[str, Any] | None, text: str = "") -> None:
        """One tool result: its structured outcome (None for a protocol error) and its text."""
        if tool in WRITE_TOOLS and isinstance(arguments, dict):
            many = arguments.get("issue_ids")
            named = [arguments.get("issue_id"), *(many if isinstance(many, list) else [])]
            self.asked.update(ref for ref in named if isinstance(ref, str))
        if outcome is None:
            self.outcomes["protocol error"] += 1
            self.crashes.append(f"{tool}: protocol error")
            return
        error = outcome.get("error") or {}
        kind = error.get("code") or outcome.get("status") or "?"
        self.outcomes[kind] += 1
        if kind == "INTERNAL_ERROR":
            self.crashes.append(f"{tool}: {error.get('message')}")
        self.scan(f"{tool} result", json.dumps(outcome) + text)

    def scan_file(self, path: Path) -> None:
        text = path.read_text(errors="replace")
        self.scan(str(path.name), text)
        if "Traceback (most recent call last)" in text:
            self.crashes.append(f"traceback in {path.name}")

    def changed_unasked(self, changed: dict[int, str]) -> None:
        """Issues whose state changed (numeric id -> short id) that no write call named."""
        for issue_id, short_id in changed.items():
            named = any(str(issue_id) in ref or short_id.lower() in ref.lower() for ref in self.asked)
            if not named:
                self.unasked_changes.append(short_id)
        self.asked.clear()

    def totals(self) -> dict[str, Any]:
        return {
            "calls": self.calls,
            "outcomes": dict(self.outcomes.most_common()),
            "faults_injected": dict(self.faults_injected.most_common()),
            "crashes": self.crashes,
            "leaks": self.leaks,
            "unasked_changes": self.unasked_changes,
        }


LEDGER = Ledger()
