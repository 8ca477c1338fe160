"""`SandboxServer`: the local Sentry served by uvicorn on 127.0.0.1 in a background thread."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterable
from pathlib import Path
from types import TracebackType
from typing import Any

import uvicorn

from .api import FLAVORS, create_app
from .api_base import SandboxState
from .auth import FULL_SCOPES, TokenRegistry
from .control import dsn_for
from .fault_plan import FaultPlan, parse_fault
from .oauth import DEFAULT_APP_NAME, OAuthApp, OAuthRegistry, OAuthStats
from .store import SandboxStore

HOST = "127.0.0.1"
STARTUP_TIMEOUT_SECONDS = 10.0
SHUTDOWN_TIMEOUT_SECONDS = 10.0
SEED_TIMEOUT_SECONDS = 120.0
REPO_ROOT = Path(__file__).resolve().parents[2]


class SandboxError(RuntimeError):
    """The sandbox could not start, stop or seed."""


class SandboxServer:
    """A real HTTP Sentry on loopback; use as a context manager.

    `port=0` picks a free port. `flavor` chooses whose API it speaks: `sentry` (current Sentry),
    `glitchtip` (as its released image serves it, web page included), `glitchtip-nofrontend` (GlitchTip
    without its web page) or `sentry-legacy` (an older self-hosted Sentry); see `flavor_glitchtip.py` and
    `flavor_legacy.py`. `seed()` fills it with real sentry-sdk events (in a subprocess) and snapshots
    the result so that `reset()` can return to it. `add_fault()` makes API requests fail over real HTTP
    (see `faults.py`). Its organization has users, teams and members (`store.directory`, see `directory.py`):
    `token` and `read_only_token` act as its owner, `token_for()` makes a token acting as another user.
    The `sentry` and `sentry-legacy` flavors speak Sentry's OAuth 2 authorization-code grant (`routes_oauth.py`)
    for the applications `add_oauth_app()` registers; `oauth_token_lifetime`, `oauth_refresh_tokens`,
    `revoke_oauth_tokens()` and `oauth_stats` are its test hooks.
    """

    def __init__(self, port: int = 0, flavor: str = "sentry") -> None:
        if flavor not in FLAVORS:
            raise SandboxError(f"unknown flavor {flavor!r}; choose one of {', '.join(FLAVORS)}")
        self.flavor = flavor
        self.store = SandboxStore()
        self.store.group_by_title = flavor.startswith("glitchtip")
        self.tokens = TokenRegistry()
        self.faults = FaultPlan()
        self.oauth = OAuthRegistry()
        self._requested_port = port
        self._socket: socket.socket | None = None
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self._state: SandboxState | None = None
        self.port = 0

    # -- lifecycle -------------------------------------------------------------------------------

    def start(self) -> SandboxServer:
        """Bind, serve in a background thread and wait until the port answers; raises SandboxError."""
        if self._thread is not None:
            return self
        # proto=IPPROTO_TCP matters: asyncio only sets TCP_NODELAY on accepted sockets of that proto,
        # and without it every response waits ~40 ms for a delayed ACK (Nagle).
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        try:
            sock.bind((HOST, self._requested_port))
        except OSError as exc:
            sock.close()
            raise SandboxError(f"cannot bind {HOST}:{self._requested_port}: {exc}") from exc
        self._socket = sock
        self.port = int(sock.getsockname()[1])
        self._state = SandboxState(
            self.store, self.tokens, self.url, faults=self.faults, flavor=self.flavor, oauth=self.oauth
        )
        config = uvicorn.Config(
            create_app(self._state),
            log_config=None,
            log_level="warning",
            access_log=False,
            lifespan="off",
            ws="none",
            timeout_graceful_shutdown=2,
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [sock]}, name=f"sentry-sandbox-{self.port}", daemon=True
        )
        self._thread.start()
        self._wait_until_serving()
        return self

    def _wait_until_serving(self) -> None:
        deadline = time.monotonic() + STARTUP_TIMEOUT_SECONDS
        while time.monotonic() < deadline:
            if self._server is not None and self._server.started:
                try:
                    with socket.create_connection((HOST, self.port), timeout=0.5):
                        return
                except OSError:
                    pass
            if self._thread is not None and not self._thread.is_alive():
                break
            time.sleep(0.01)
        self.stop()
        raise SandboxError(f"sandbox did not start on {self.url}")

    def stop(self) -> None:
        """Ask uvicorn to exit and join its thread; idempotent. Requests held by a `hang` get a 503."""
        if self._state is not None:
            self._state.closing.set()
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(SHUTDOWN_TIMEOUT_SECONDS)
            if self._thread.is_alive() and self._server is not None:
                self._server.force_exit = True
                self._thread.join(SHUTDOWN_TIMEOUT_SECONDS)
        if self._socket is not None:
            self._socket.close()
        self._thread, self._server, self._socket = None, None, None

    def __enter__(self) -> SandboxServer:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    # -- identity --------------------------------------------------------------------------------

    @property
    def url(self) -> str:
        """`http://127.0.0.1:<port>` (what SENTRY_URL would be)."""
        return f"http://{HOST}:{self.port}"

    @property
    def token(self) -> str:
        """The owner's token, with `org:read project:read event:read event:write member:read`."""
        return self.tokens.full.token

    @property
    def read_only_token(self) -> str:
        """The owner's token without `event:write`."""
        return self.tokens.read_only.token

    def token_for(self, user: str | None, scopes: Iterable[str] | None = None) -> str:
        """A new token acting as `user` (id, email or username of `store.directory`) with `scopes` (default: those
        of `token`); `user` None makes a token without a user, like an integration's.

        What it reads is what Sentry lets that user read: the projects of the user's teams, with the scopes its
        role grants. Raises KeyError for a name no user has (an invitation not accepted yet has no user).
        """
        found = self.store.directory.user(user) if user is not None else None
        if user is not None and found is None:
            raise KeyError(user)
        label = f"sandbox ({found.email})" if found is not None else "sandbox integration"
        chosen = frozenset(scopes) if scopes is not None else FULL_SCOPES
        return self.tokens.issue(found.id if found else None, chosen, label).token

    # -- OAuth -----------------------------------------------------------------------------------

    def add_oauth_app(self, redirect_uris: list[str], name: str = DEFAULT_APP_NAME) -> OAuthApp:
        """Register an OAuth application (its `client_id` and `client_secret` are 64 hex characters each).

        Its redirect URIs must match exactly; the first is the one used when a request names none.
        Raises ValueError without a redirect URI.
        """
        return self.oauth.add_app(redirect_uris, name)

    @property
    def oauth_token_lifetime(self) -> float:
        """Seconds an access token issued through OAuth lives (Sentry's 30 days); a change applies to tokens
        issued after it. An expired token answers 401 `{"detail": "Token expired"}` on every API route."""
        return self.oauth.token_lifetime_s

    @oauth_token_lifetime.setter
    def oauth_token_lifetime(self, seconds: float) -> None:
        self.oauth.token_lifetime_s = float(seconds)

    @property
    def oauth_refresh_tokens(self) -> bool:
        """False: the token endpoint issues no refresh token (its answer has no `refresh_token`)."""
        return self.oauth.refresh_tokens

    @oauth_refresh_tokens.setter
    def oauth_refresh_tokens(self, issued: bool) -> None:
        self.oauth.refresh_tokens = issued

    def revoke_oauth_tokens(self, user: str) -> int:
        """Revoke the access and refresh tokens issued through OAuth to `user` (id, email or username); they then
        answer 401 `{"detail": "Invalid token"}` / `invalid_grant`. Returns how many access tokens were revoked;
        raises KeyError for a name no user has."""
        found = self.store.directory.user(user)
        if found is None:
            raise KeyError(user)
        return self.oauth.revoke_user(self.tokens, found.id)

    @property
    def oauth_stats(self) -> OAuthStats:
        """A copy of the token endpoint's counters: `code_exchanges`, `refreshes`, `refused` (4xx answers)."""
        return self.oauth.stats()

    @property
    def org_slug(self) -> str:
        return self.store.organization.slug

    def project_id(self, slug: str) -> str:
        """Numeric id (string) of a project; raises KeyError for an unknown slug."""
        project = self.store.project(slug)
        if project is None:
            raise KeyError(slug)
        return project.id

    def dsn(self, slug: str) -> str:
        """`http://<key>@127.0.0.1:<port>/<project_id>`; raises KeyError for an unknown slug."""
        project = self.store.project(slug)
        if project is None:
            raise KeyError(slug)
        return dsn_for(self.url, project.public_key, project.id)

    # -- test controls ---------------------------------------------------------------------------

    def requests(self) -> list[dict[str, Any]]:
        """API requests received: dicts with `method`, `path`, `query`, `status`.

        Requests answered by a fault also have `fault` (its kind); `status` 0 means no status line
        was sent (a `hang`, logged once the client went away).
        """
        return self._state.request_log.list() if self._state else []

    def clear_requests(self, settle_s: float = 5.0) -> None:
        """Forget the requests received; first wait (up to `settle_s`) for those still being answered, such as
        a slow answer whose client has gone, so that none of them is logged after the clearing."""
        if self._state is None:
            return
        deadline = time.monotonic() + settle_s
        while self._state.request_log.in_flight > 0 and time.monotonic() < deadline:
            time.sleep(0.01)
        self._state.request_log.clear()

    def reset(self) -> None:
        """Restore the state saved right after seeding (issue statuses, events, outcomes); keeps faults."""
        self.store.restore()

    def add_fault(
        self,
        kind: str,
        path: str = "",
        *,
        query: str = "",
        method: str | None = None,
        times: int | None = None,
        status: int | None = None,
        retry_after: float | None = None,
        reset_in: float | None = None,
        delay: float | None = None,
        size: int | None = None,
        body: Any = None,
        rate: float | None = None,
    ) -> None:
        """Inject a fault into `/api/0/` requests whose path `path` (a regex) is found in; see `faults.py`.

        Faults are checked in the order added; the first live match answers. Raises FaultError
        (a ValueError) for an unknown kind, a bad value, or a field the kind does not take.
        """
        fields = dict(
            kind=kind, path=path, query=query, method=method, times=times, status=status, retry_after=retry_after
        )
        fields.update(reset_in=reset_in, delay=delay, size=size, body=body, rate=rate)
        self.faults.add(parse_fault(fields))

    def clear_faults(self) -> None:
        """Remove every fault."""
        self.faults.clear()

    def fault_hits(self) -> list[dict[str, Any]]:
        """One dict per fault, in order: its fields plus `hits`, how many requests it answered."""
        return self.faults.hits()

    def seed(self, timeout: float = SEED_TIMEOUT_SECONDS) -> dict[str, Any]:
        """Send the demo data through sentry-sdk in a subprocess, then snapshot; returns its summary.

        Raises SandboxError when the seed process fails or times out.
        """
        if self._thread is None:
            raise SandboxError("start the sandbox before seeding it")
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO_ROOT), env.get("PYTHONPATH", "")) if p)
        command = [sys.executable, "-m", "mcp_servers.sentry_sandbox.seed", "--url", self.url, "--token", self.token]
        try:
            done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=timeout, check=False)
        except subprocess.TimeoutExpired as exc:
            raise SandboxError(f"seeding timed out after {timeout:.0f}s") from exc
        if done.returncode != 0:
            raise SandboxError(f"seeding failed ({done.returncode}): {done.stderr[-4000:]}")
        self.store.snapshot()
        self.clear_requests()
        lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
        summary: dict[str, Any] = json.loads(lines[-1]) if lines else {}
        return summary
