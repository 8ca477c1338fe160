"""`sentry-error-monitor --transport http`: the team server under uvicorn, with a drain on SIGTERM.

On SIGTERM (or SIGINT) /readyz turns 503 and new MCP requests are refused at once, while the process still
listens, so a load balancer sees it leave; calls in flight get the operation timeout (plus a second) to finish;
then uvicorn stops. A second signal stops it without waiting.
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import sys
from collections.abc import Callable, Generator, Mapping
from contextlib import contextmanager

import anyio
import uvicorn

from ..base.config import Settings, load_settings
from ..base.errors import ConfigurationError
from ..processor import SentryErrorMonitorModule
from .app import MCP_PATH, TeamServer, build_app
from .replicas.connection import NEEDED, SharedRedis
from .replicas.forms import RedisForms
from .replicas.rate_gate import RedisRateGate
from .settings import SIGN_IN_MODES, HttpSettings, load_http_settings
from .signin.setup import build_sign_in

logger = logging.getLogger("sentry_monitor.http")
DRAIN_GRACE_S = 1.0
QUIET_AT_INFO = ("httpx", "mcp.server.streamable_http", "mcp.server.streamable_http_manager")


class _Uvicorn(uvicorn.Server):
    """uvicorn, leaving the signals to us (its own handler stops listening at once, before the drain)."""

    def __init__(self, config: uvicorn.Config, http: HttpSettings) -> None:
        super().__init__(config)
        self.http = http

    @contextmanager
    def capture_signals(self) -> Generator[None, None, None]:
        yield

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        """Listen, then say where (with port 0, the port it got)."""
        await super().startup(sockets)
        for listener in getattr(self, "servers", []):
            for sock in listener.sockets:
                host, port = sock.getsockname()[:2]
                shown = f"[{host}]" if ":" in host else host
                logger.info("serving MCP at http://%s:%d%s (pid %d)", shown, port, MCP_PATH, os.getpid())
        if self.http.public_url:
            logger.info("clients use %s", self.http.public_url)


async def serve_http(flags: Mapping[str, str | None] | None = None, environ: Mapping[str, str] | None = None) -> int:
    """Serve until a signal; 0 after a clean stop, 2 when the configuration is wrong (said on stderr)."""
    try:
        http = load_http_settings(environ, flags)
        # With API keys a missing token stops the start; with sign-ins the users' own tokens are used, never it.
        settings = load_settings(environ, flags, service_token=http.auth == "service")
        shared = SharedRedis(http.redis_url) if http.redis_url else None
        sign_in = build_sign_in(http, settings, shared=shared) if http.auth in SIGN_IN_MODES else None
    except ConfigurationError as exc:
        sys.stderr.write(f"sentry-error-monitor: {exc.message}\n")
        return 2
    logger.setLevel(logging.INFO)  # where it listens and that it drains: said at any log level
    if logging.getLogger().level == logging.INFO:
        for name in QUIET_AT_INFO:  # one line per request is the access log's; these would add three more
            logging.getLogger(name).setLevel(logging.WARNING)
    if shared is not None:
        answers = await shared.ping()
        logger.info(
            "sharing sign-ins, locks, rate limits and route forms with other replicas in Redis at %s%s",
            shared.where, "" if answers else " (not answering yet: /readyz is 503 until it does)",
        )  # fmt: skip
        version = await shared.version() if answers else None
        if version is not None and version < NEEDED:
            logger.error(
                "Redis at %s is version %s; replicas need %s or newer (sign-ins will fail)",
                shared.where, ".".join(map(str, version)), ".".join(map(str, NEEDED)),
            )  # fmt: skip
    team = build_app(http, _modules(settings, shared), sign_in, shared)
    config = uvicorn.Config(
        team.app,
        host=http.host,
        port=http.port,
        log_config=None,
        access_log=False,  # ours says more (tool, caller) and never a secret
        lifespan="on",
        timeout_graceful_shutdown=int(settings.timeout) + 5,
        server_header=False,
    )
    server = _Uvicorn(config, http)
    try:
        async with anyio.create_task_group() as group:
            group.start_soon(_stop_on_signal, server, team, settings.timeout + DRAIN_GRACE_S)
            await server.serve()
            group.cancel_scope.cancel()
    finally:
        if shared is not None:
            await shared.aclose()
    return 0


def _modules(settings: Settings, shared: SharedRedis | None) -> Callable[[], SentryErrorMonitorModule]:
    """The module factory: with Redis, its clients pace Sentry's limits and keep route forms with the other replicas
    (one gate and one forms memory per process, whatever the number of modules)."""
    gate, forms = (RedisRateGate(shared), RedisForms(shared)) if shared is not None else (None, None)

    def module() -> SentryErrorMonitorModule:
        built = SentryErrorMonitorModule(settings)
        built.share(gate=gate, forms=forms)
        return built

    return module


async def _stop_on_signal(server: uvicorn.Server, team: TeamServer, drain_s: float) -> None:
    async def drain_then_stop() -> None:
        if not await team.drain.wait_idle(drain_s):
            logger.error("%d calls still in flight after %.0f s: stopping anyway", team.drain.in_flight, drain_s)
        server.should_exit = True

    with anyio.open_signal_receiver(signal.SIGTERM, signal.SIGINT) as signals:
        async with anyio.create_task_group() as group:
            async for signum in signals:
                if team.drain.draining:
                    logger.warning("second signal: stopping without waiting for %d calls", team.drain.in_flight)
                    server.force_exit = server.should_exit = True
                    group.cancel_scope.cancel()
                    return
                team.drain.start()
                logger.warning(
                    "%s: draining (readyz 503, new calls refused), %d in flight",
                    signal.Signals(signum).name,
                    team.drain.in_flight,
                )
                group.start_soon(drain_then_stop)


def run_http(flags: Mapping[str, str | None] | None = None) -> int:
    return anyio.run(serve_http, flags)
