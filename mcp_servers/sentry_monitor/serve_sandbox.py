"""`make serve`: the team server (`--transport http`) against the seeded local Sentry, for trying it by hand.

Starts the local Sentry on a free port and seeds it through sentry-sdk, makes a random API key, prints the
URL, the key, its digest and a ready `claude mcp add` line, then runs `python -m mcp_servers.sentry_monitor
--transport http` as a subprocess pointed at the local Sentry. Ctrl-C or SIGTERM is passed on to the server as
one SIGTERM (it drains, then exits); a second one is passed on too, and stops it at once; then the local
Sentry stops. The key is for this run only: it is printed, and nothing keeps it.

With `--auth oauth` (`make serve AUTH=oauth`) there is no key: users sign in through the local Sentry's OAuth, as
with Sentry's (an OAuth application registered for the run, a new secret key, the sign-ins kept in a temporary
file). The local Sentry's consent page asks who you are: ana, ben@example.com or chloe@example.com.
"""

from __future__ import annotations

import argparse
import os
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from types import FrameType

from cryptography.fernet import Fernet

from mcp_servers.sentry_monitor.src.web.keys import digest_of
from mcp_servers.sentry_sandbox import SandboxError, SandboxServer
from mcp_servers.sentry_sandbox.api import FLAVORS

REPO = Path(__file__).resolve().parents[2]
HOST = "127.0.0.1"
DEFAULT_PORT = 8000


def free_port() -> int:
    """A port free on 127.0.0.1 now, so that the printed URL is the one the server will listen on."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        port: int = sock.getsockname()[1]
        return port


def claude_code_command(url: str, key: str) -> str:
    return f'claude mcp add --transport http sentry {url} --header "Authorization: Bearer {key}"'


def server_env(sandbox: SandboxServer, digest: str) -> dict[str, str]:
    """This environment (SENTRY_MONITOR_* settings such as READ_ONLY pass through), pointed at the local Sentry."""
    env = dict(os.environ)
    env.update(
        SENTRY_AUTH_TOKEN=sandbox.token,
        SENTRY_URL=sandbox.url,
        SENTRY_ORG=sandbox.org_slug,
        SENTRY_MONITOR_API_KEYS=digest,
        PYTHONPATH=os.pathsep.join(part for part in (str(REPO), env.get("PYTHONPATH", "")) if part),
    )
    return env


SIGN_IN_USERS = "ana (both projects), ben@example.com (backend only), chloe@example.com (worker only)"


def sign_in_env(sandbox: SandboxServer, url: str, state_dir: str) -> dict[str, str]:
    """What a server whose users sign in through the local Sentry's OAuth needs, for this run only."""
    base = url.removesuffix("/mcp")
    app = sandbox.add_oauth_app([f"{base}/signin/callback"], name="Sentry Error Monitor (make serve)")
    env = dict(os.environ)
    env.pop("SENTRY_AUTH_TOKEN", None)
    env.update(
        SENTRY_URL=sandbox.url,
        SENTRY_ORG=sandbox.org_slug,
        SENTRY_MONITOR_AUTH="oauth",
        SENTRY_OAUTH_CLIENT_ID=app.client_id,
        SENTRY_OAUTH_CLIENT_SECRET=app.client_secret,
        SENTRY_MONITOR_SECRET_KEY=Fernet.generate_key().decode(),
        SENTRY_MONITOR_PUBLIC_URL=url,
        SENTRY_MONITOR_STATE_FILE=str(Path(state_dir) / "sign-ins.sqlite3"),
        PYTHONPATH=os.pathsep.join(part for part in (str(REPO), env.get("PYTHONPATH", "")) if part),
    )
    return env


def serve(port: int, flavor: str, auth: str = "service") -> int:
    """Run until the server exits; its exit code (0 after a clean stop)."""
    server: subprocess.Popen[bytes] | None = None

    def pass_on(signum: int, frame: FrameType | None) -> None:
        if server is None:
            raise KeyboardInterrupt  # still starting: leave the `with` below, which stops the local Sentry
        if server.poll() is None:
            server.send_signal(signal.SIGTERM)  # the first drains, a second stops it at once

    previous = {signum: signal.signal(signum, pass_on) for signum in (signal.SIGINT, signal.SIGTERM)}
    started = time.monotonic()
    try:
        with SandboxServer(port=0, flavor=flavor) as sandbox:
            print(f"Local Sentry ({flavor} flavor) on {sandbox.url}; seeding it through sentry-sdk ...", flush=True)
            sandbox.seed()
            port = port or free_port()
            url = f"http://{HOST}:{port}/mcp"
            seeded = f"Seeded in {time.monotonic() - started:.1f} s. Starting the team server:"
            with tempfile.TemporaryDirectory(prefix="sentry-monitor-serve-") as state_dir:
                if auth == "oauth":
                    env = sign_in_env(sandbox, url, state_dir)
                    lines = [
                        seeded,
                        f"  URL:     {url} (users sign in with the local Sentry)",
                        "Claude Code:",
                        f"  claude mcp add --transport http sentry {url}",
                        f"The local Sentry's consent page asks who you are: {SIGN_IN_USERS}. Ctrl-C stops both.",
                    ]
                else:
                    key = secrets.token_urlsafe(32)
                    digest = digest_of(key)
                    env = server_env(sandbox, digest)
                    lines = [
                        seeded,
                        f"  URL:     {url}",
                        f"  API key: {key}",
                        f"  SENTRY_MONITOR_API_KEYS={digest}",
                        "Claude Code:",
                        f"  {claude_code_command(url, key)}",
                        'Any other client: send the header "Authorization: Bearer <the key>". Ctrl-C stops both.',
                    ]
                print("\n".join(lines), flush=True)
                command = [sys.executable, "-m", "mcp_servers.sentry_monitor", "--transport", "http"]
                command += ["--host", HOST, "--port", str(port)]
                # Its own process group: a terminal's Ctrl-C reaches this process only, which passes one SIGTERM on.
                server = subprocess.Popen(command, env=env, cwd=REPO, process_group=0)
                code = server.wait()
    except KeyboardInterrupt:
        print("Stopped before the team server started.", flush=True)
        return 130
    except SandboxError as exc:
        print(f"error: {exc}", file=sys.stderr, flush=True)
        return 1
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
    print(f"Team server exited with {code}; local Sentry stopped.", flush=True)
    return code


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m mcp_servers.sentry_monitor.serve_sandbox", description=__doc__)
    parser.add_argument(
        "--port",
        type=int,
        default=DEFAULT_PORT,
        help=f"the team server's port on {HOST} (default {DEFAULT_PORT}; 0: a free one)",
    )
    parser.add_argument("--flavor", choices=FLAVORS, default="sentry", help="the local Sentry's flavor")
    parser.add_argument(
        "--auth",
        choices=["service", "oauth"],
        default="service",
        help="service: a printed API key; oauth: users sign in through the local Sentry's OAuth",
    )
    args = parser.parse_args(argv)
    if args.auth == "oauth" and args.flavor.startswith("glitchtip"):
        parser.error("--auth oauth needs a flavor with OAuth (sentry or sentry-legacy); GlitchTip has none")
    return serve(args.port, args.flavor, args.auth)


if __name__ == "__main__":
    raise SystemExit(main())
