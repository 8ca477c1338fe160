"""`make reliability`: the ledger of the reliability suites as a table, printed and written to docs/reliability.md."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from tests.conftest import REPO

COMMAND = "make reliability"
SUITES = (
    "tests/reliability",
    "tests/e2e/test_fuzz.py",
    "tests/e2e/test_parallel.py",
    "tests/e2e/test_lifecycle.py",
    "tests/integration/test_least_privilege.py",
    "tests/integration/test_check.py",
)


def table(totals: dict[str, Any], passed: bool) -> str:
    faults = totals["faults_injected"]
    rows = [
        ("suites", "passed" if passed else "FAILED"),
        ("faults injected", f"{sum(faults.values())} ({', '.join(f'{k} {v}' for k, v in faults.items())})"),
        ("tool calls made", str(totals["calls"])),
        ("outcomes by kind", ", ".join(f"{k} {v}" for k, v in totals["outcomes"].items())),
        ("calls that crashed (must be 0)", str(len(totals["crashes"]))),
        ("token leaks (must be 0)", str(len(totals["leaks"]))),
        ("issues changed that were not asked for (must be 0)", str(len(totals["unasked_changes"]))),
    ]
    lines = ["| measure | value |", "|---|---|", *(f"| {name} | {value} |" for name, value in rows)]
    for title in ("crashes", "leaks", "unasked_changes"):
        lines += [f"- {title}: {item}" for item in totals[title]]
    return "\n".join(lines)


def main() -> int:
    """Run the suites with the ledger on, print the table, write docs/reliability.md; 0 only when all is well."""
    with tempfile.TemporaryDirectory() as work:
        ledger = Path(work) / "ledger.json"
        env = {**os.environ, "RELIABILITY_LEDGER": str(ledger)}
        command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *SUITES]
        passed = subprocess.run(command, cwd=REPO, env=env, check=False).returncode == 0
        totals = json.loads(ledger.read_text())
    text = table(totals, passed)
    print(text)
    (REPO / "docs" / "reliability.md").write_text(
        "# Reliability record\n\n"
        f"Produced by `{COMMAND}`, which runs {', '.join(f'`{s}`' for s in SUITES)} against the local Sentry\n"
        "with faults injected into its real HTTP answers, and totals what every tool output showed\n"
        "(`tests/ledger.py`). Regenerate it with the same command.\n\n" + text + "\n"
    )
    bad = totals["crashes"] or totals["leaks"] or totals["unasked_changes"]
    return 0 if passed and not bad else 1


if __name__ == "__main__":
    sys.exit(main())
