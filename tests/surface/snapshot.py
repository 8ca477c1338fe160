"""What a user sees of the server, as one JSON file: tools/list and every demo call in every flavor.

`python -m tests.surface.snapshot OUT.json` starts the local Sentry in each flavor (sentry, glitchtip,
sentry-legacy), seeds it, runs the demo's calls over real stdio and writes tools/list and each call's
text and structuredContent, with the run-to-run noise masked: the port, `metadata.duration_ms`, ISO
timestamps and 32-hex event ids. Two snapshots taken before and after a change that must not change
what users see compare equal (`diff before.json after.json` prints nothing). Take the two back to back: the
seed's hourly buckets follow the clock, so counts per bucket can move across an hour.

`python -m tests.surface.snapshot --against REF` does that: it takes REF's snapshot in a temporary git
worktree, then this tree's, and prints the difference (exit status 1 if there is one).
"""

from __future__ import annotations

import argparse
import difflib
import json
import re
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import anyio
from mcp import ClientSession, stdio_client
from mcp.types import CallToolResult, TextContent

from mcp_servers.sentry_monitor.demo import call_every_tool, server_params
from mcp_servers.sentry_sandbox import SandboxServer
from mcp_servers.sentry_sandbox.api import FLAVORS

_NOISE = (
    (re.compile(r"127\.0\.0\.1:\d+"), "127.0.0.1:<port>"),
    (re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d(?::\d\d(?:\.\d+)?)?(?:Z|[+-]\d\d:\d\d)?"), "<time>"),
    (re.compile(r"\b[0-9a-f]{32}\b"), "<event-id>"),
)


def mask(value: Any) -> Any:
    """`value` with the run-to-run noise replaced by placeholders, `metadata.duration_ms` by 0."""
    if isinstance(value, dict):
        return {key: 0 if key == "duration_ms" else mask(item) for key, item in value.items()}
    if isinstance(value, list):
        return [mask(item) for item in value]
    if isinstance(value, str):
        for pattern, placeholder in _NOISE:
            value = pattern.sub(placeholder, value)
    return value


async def _flavor_surface(sandbox: SandboxServer) -> dict[str, Any]:
    calls: list[dict[str, Any]] = []

    def record(name: str, arguments: dict[str, Any], result: CallToolResult) -> dict[str, Any]:
        structured: dict[str, Any] = result.structured_content or {}
        calls.append(
            {
                "tool": name,
                "arguments": arguments,
                "is_error": bool(result.is_error),
                "text": [block.text for block in result.content if isinstance(block, TextContent)],
                "structured": structured,
            }
        )
        return structured

    async with stdio_client(server_params(sandbox)) as (read, write), ClientSession(read, write) as session:
        await session.initialize()
        tools = (await session.list_tools()).tools
        await call_every_tool(session, sandbox.flavor, record)
    return {
        "tools": [tool.model_dump(mode="json", by_alias=True, exclude_none=True) for tool in tools],
        "calls": calls,
    }


def snapshot(flavors: tuple[str, ...] = tuple(FLAVORS)) -> dict[str, Any]:
    """tools/list and the demo's calls for each flavor, masked."""
    surface: dict[str, Any] = {}
    for flavor in flavors:
        with SandboxServer(port=0, flavor=flavor) as sandbox:
            sandbox.seed()
            surface[flavor] = mask(anyio.run(_flavor_surface, sandbox))
    return surface


def _dump(surface: dict[str, Any]) -> str:
    return json.dumps(surface, indent=1, sort_keys=True) + "\n"


def against(ref: str, flavors: tuple[str, ...]) -> list[str]:
    """The unified diff between `ref`'s snapshot (taken in a temporary worktree) and this tree's, taken next."""
    repo = Path(__file__).resolve().parents[2]
    with tempfile.TemporaryDirectory(prefix="surface-") as scratch:
        tree, before = Path(scratch) / "tree", Path(scratch) / "before.json"
        subprocess.run(["git", "-C", str(repo), "worktree", "add", "--detach", "-q", str(tree), ref], check=True)
        try:
            flags = [arg for flavor in flavors for arg in ("--flavor", flavor)]
            subprocess.run([sys.executable, "-m", "tests.surface.snapshot", str(before), *flags], cwd=tree, check=True)
        finally:
            subprocess.run(["git", "-C", str(repo), "worktree", "remove", "--force", str(tree)], check=True)
        after = _dump(snapshot(flavors))
        return list(difflib.unified_diff(before.read_text().splitlines(), after.splitlines(), ref, "this tree"))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m tests.surface.snapshot", description=__doc__)
    parser.add_argument("out", type=Path, nargs="?", help="where to write the snapshot (JSON)")
    parser.add_argument("--against", metavar="REF", help="compare with the snapshot of this git ref instead")
    parser.add_argument("--flavor", choices=tuple(FLAVORS), action="append", help="only these flavors (default: all)")
    args = parser.parse_args(argv)
    flavors = tuple(args.flavor or FLAVORS)
    if args.against:
        diff = against(args.against, flavors)
        print("\n".join(diff) or f"No difference from {args.against} in {len(flavors)} flavors.")
        raise SystemExit(1 if diff else 0)
    if args.out is None:
        parser.error("give OUT or --against REF")
    surface = snapshot(flavors)
    args.out.write_text(_dump(surface))
    calls = sum(len(flavor["calls"]) for flavor in surface.values())
    print(f"{args.out}: {len(surface)} flavors, {calls} calls", file=sys.stderr)


if __name__ == "__main__":
    main()
