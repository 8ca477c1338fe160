"""The team server's ASGI app: MCP over streamable HTTP at /mcp, with keys, checks, limits and health.

Made of the SDK's own pieces: the low-level Server (the same registry, tools and prompts as stdio), its
stateless streamable-HTTP session manager (any process answers any request; 2025-11-25 and 2026-07-28
clients), TransportSecuritySettings (Host and Origin checks), the request body limit, and `mcp.server.auth`'s
bearer middleware with our API-key verifier. From the outside in:

    AccessLog -> StateOutage (503 when Redis is down) -> [CORS] -> AuthenticationMiddleware
          -> AuthContextMiddleware -> routes
    /mcp: RequireAuthMiddleware (401) -> format_check (400) -> Drain.guard (503 when stopping)
          -> session manager (Host 421, Origin 403, body 413; then MCP)
    /healthz, /readyz (503 draining or Redis unreachable), /metrics: no key
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass

import anyio
from mcp.server.auth.middleware.auth_context import AuthContextMiddleware
from mcp.server.auth.middleware.bearer_auth import BearerAuthBackend, RequireAuthMiddleware
from mcp.server.streamable_http_manager import StreamableHTTPASGIApp, StreamableHTTPSessionManager
from mcp.server.transport_security import TransportSecuritySettings
from pydantic import AnyHttpUrl
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.authentication import AuthenticationMiddleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from ..processor import SentryErrorMonitorModule
from ..server import build_server
from .gate import HttpGate
from .keys import ApiKeyVerifier
from .metrics import CONTENT_TYPE, Metrics
from .middleware import AccessLog, Drain, StateOutage, format_check
from .replicas.connection import SharedRedis
from .settings import HttpSettings
from .signin.setup import SignIn

MCP_PATH = "/mcp"
# What a browser page may send and read, when CORS is on (the streamable-HTTP headers and the key).
CORS_HEADERS = ["authorization", "content-type", "mcp-protocol-version", "mcp-session-id", "last-event-id"]


@dataclass
class TeamServer:
    app: Starlette
    drain: Drain
    metrics: Metrics


def build_app(
    settings: HttpSettings,
    module_factory: Callable[[], SentryErrorMonitorModule],
    sign_in: SignIn | None = None,
    shared: SharedRedis | None = None,
) -> TeamServer:
    """`sign_in`: users sign in (SENTRY_MONITOR_AUTH=oauth or user-token); None: API keys (service). `shared`: the
    Redis replicas share (SENTRY_MONITOR_REDIS_URL), which /readyz then asks."""
    metrics = Metrics()
    drain = Drain()
    if sign_in is not None:
        sign_in.report_to(metrics)

    def module() -> SentryErrorMonitorModule:
        built = module_factory()
        built.on_response(metrics.sentry_answered)
        return built

    server = build_server(
        module, gate=HttpGate(metrics, settings.caller_concurrency, sign_in.callers if sign_in else None)
    )
    manager = StreamableHTTPSessionManager(
        app=server,
        stateless=True,
        security_settings=TransportSecuritySettings(
            enable_dns_rebinding_protection=True,
            allowed_hosts=settings.host_patterns(),
            allowed_origins=settings.origins(),
        ),
        max_request_body_size=settings.max_body_bytes,
    )
    mcp = RequireAuthMiddleware(
        format_check(drain.guard(StreamableHTTPASGIApp(manager))),
        required_scopes=[],
        resource_metadata_url=sign_in.resource_metadata_url if sign_in else None,  # where a 401 says to sign in
    )

    async def healthz(request: Request) -> Response:
        return JSONResponse({"status": "alive"})

    async def readyz(request: Request) -> Response:
        # Sentry is not asked: its outage reaches callers as SENTRY_UNAVAILABLE, it must not empty the pool.
        if drain.draining:
            return JSONResponse({"status": "draining"}, status_code=503)
        # Redis is asked: without it no replica can check a sign-in or pace Sentry's limits with the others.
        if shared is not None and not await shared.ping():
            return JSONResponse({"status": "redis unreachable", "redis": shared.where}, status_code=503)
        return JSONResponse({"status": "ready"})

    async def metrics_page(request: Request) -> Response:
        return Response(metrics.exposition(), media_type=CONTENT_TYPE)

    middleware = [Middleware(AccessLog, metrics=metrics), Middleware(StateOutage)]
    if settings.cors_origins:
        middleware.append(
            Middleware(
                CORSMiddleware,
                allow_origins=list(settings.cors_origins),
                allow_methods=["GET", "POST", "DELETE", "OPTIONS"],
                allow_headers=CORS_HEADERS,
                expose_headers=["mcp-session-id", "mcp-protocol-version", "www-authenticate"],
            )
        )
    if sign_in is not None:  # our tokens, and only those issued for this server's MCP URL
        backend = BearerAuthBackend(sign_in.verifier, resource_server_url=AnyHttpUrl(sign_in.resource))
    else:
        backend = BearerAuthBackend(ApiKeyVerifier(settings.api_key_digests))
    middleware += [Middleware(AuthenticationMiddleware, backend=backend), Middleware(AuthContextMiddleware)]

    @asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        try:
            async with anyio.create_task_group() as group:
                if sign_in is not None:
                    group.start_soon(sign_in.sweep)
                async with manager.run():
                    yield
                group.cancel_scope.cancel()
        finally:
            if sign_in is not None:
                await sign_in.aclose()

    app = Starlette(
        routes=[
            Route(MCP_PATH, endpoint=mcp),
            Route("/healthz", endpoint=healthz, methods=["GET"]),
            Route("/readyz", endpoint=readyz, methods=["GET"]),
            Route("/metrics", endpoint=metrics_page, methods=["GET"]),
            *(sign_in.routes if sign_in else []),
        ],
        middleware=middleware,
        lifespan=lifespan,
    )
    return TeamServer(app, drain, metrics)
