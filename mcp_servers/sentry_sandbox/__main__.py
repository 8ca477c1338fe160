"""`python -m mcp_servers.sentry_sandbox [--port 8765] [--no-seed] [--latency-ms N] [--flavor F]`: the local Sentry.

Prints the URL, tokens, organization, projects, DSNs and a Claude Desktop config entry, then serves
until Ctrl-C or SIGTERM.
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
import threading
from types import FrameType

from .api import FLAVORS
from .desktop import claude_desktop_entry
from .server import SandboxError, SandboxServer

DEFAULT_PORT = 8765


def member_tokens(sandbox: SandboxServer) -> dict[str, str]:
    """A new token for each member who has a user, but the owner (whose are `token` and `read_only_token`)."""
    directory = sandbox.store.directory
    users = [directory.user_by_id(m.user_id) for m in directory.members if m.user_id != sandbox.tokens.full.user_id]
    return {user.email: sandbox.token_for(user.id) for user in users if user is not None}


def describe(sandbox: SandboxServer, tokens: dict[str, str] | None = None) -> str:
    """The text printed at startup: connection details (with `tokens` by member email, see `member_tokens`) and a
    Claude Desktop `mcpServers` entry."""
    desktop = claude_desktop_entry(sandbox.url, sandbox.token, sandbox.org_slug)
    lines = [
        f"Sentry sandbox ({sandbox.flavor} flavor) running at {sandbox.url}",
        f"  SENTRY_URL={sandbox.url}",
        f"  SENTRY_ORG={sandbox.org_slug}",
        f"  token (org:read project:read event:read event:write member:read): {sandbox.token}",
        f"  read-only token (no event:write):                                {sandbox.read_only_token}",
    ]
    directory = sandbox.store.directory
    for email, token in (tokens or {}).items():
        user = directory.user(email)
        member = directory.member_of(user.id) if user is not None else None
        teams = ", ".join(member.teams) if member is not None and member.teams else "no team"
        lines.append(f"  token acting as {email} ({teams}): {token}")
    for project in sandbox.store.projects:
        lines.append(f"  project {project.slug} (id {project.id}) DSN: {sandbox.dsn(project.slug)}")
    lines += ["", "Claude Desktop config entry:", json.dumps(desktop, indent=2), "", "Press Ctrl-C to stop."]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m mcp_servers.sentry_sandbox", description="Local Sentry sandbox")
    parser.add_argument("--port", type=int, default=DEFAULT_PORT, help=f"port on 127.0.0.1 (default {DEFAULT_PORT})")
    parser.add_argument("--no-seed", action="store_true", help="start empty, without the demo events")
    parser.add_argument(
        "--latency-ms", type=float, default=0, help="delay every API answer by this many milliseconds (a slow fault)"
    )
    parser.add_argument(
        "--flavor",
        choices=FLAVORS,
        default="sentry",
        help="whose API to speak: sentry (default), glitchtip, glitchtip-nofrontend (no web page), sentry-legacy",
    )
    args = parser.parse_args(argv)

    stop = threading.Event()

    def request_stop(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGINT, request_stop)
    signal.signal(signal.SIGTERM, request_stop)
    try:
        with SandboxServer(port=args.port, flavor=args.flavor) as sandbox:
            if not args.no_seed:
                summary = sandbox.seed()
                print(f"Seeded: {json.dumps(summary)}", flush=True)
            if args.latency_ms > 0:
                # Added after seeding, so that only API clients wait.
                sandbox.add_fault("slow", delay=args.latency_ms / 1000)
                print(f"Every API answer is delayed by {args.latency_ms:g} ms.", flush=True)
            print(describe(sandbox, member_tokens(sandbox)), flush=True)
            while not stop.wait(0.5):
                pass
    except SandboxError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print("Sandbox stopped.", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
