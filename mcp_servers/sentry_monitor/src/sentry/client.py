"""The one Sentry HTTP client: auth, paths, size limits, and what is learned once per process.

`SentryClient` owns one `httpx.AsyncClient` (one connection pool) for the life of the server or the
module context and caches what is learned once per process: the organization, its region host and
project ids. Each operation talks to Sentry through a `SentryApi` view of it (`api.py`), which counts the
requests that operation made.

Operations never build URLs: they pass path segments, each validated by `identifiers` and
percent-encoded here. A request is retried as `retry` says; its answer is read by `responses`, so every
failure leaves as one of the exceptions in `errors`.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any, Protocol
from urllib.parse import quote, urlsplit

import anyio
import httpx

from ..base.config import Settings
from ..base.errors import (
    AuthFailed,
    BadUpstreamResponse,
    NetworkError,
    NotFound,
    OperationTimeout,
    OrganizationAmbiguous,
    OrganizationNotFound,
    ProjectNotFound,
    RateLimited,
    ResponseTooLarge,
    SentryMonitorError,
    SharedStateUnavailable,
    TransientError,
)
from ..base.version import __version__
from . import capabilities, kinds
from .capabilities import FormsMemory
from .kinds import ServerKind
from .rate_gate import LocalRateGate, RateGate, RateHeaders, endpoint, token_scope
from .responses import ApiResponse, Expectations, interpret
from .retry import retrying

USER_AGENT = f"sentry-error-monitor/{__version__}"
DEFAULT_CALL = Expectations()
ORGANIZATION_CALL = Expectations(not_found=OrganizationNotFound, scope="org:read")
PROBE = Expectations(not_found=NotFound, scope="org:read")
logger = logging.getLogger("sentry_monitor")
# A request's query parameters, as httpx takes them.
Params = Mapping[str, str | int | Sequence[str]]


class Counted(Protocol):
    """What a request is counted on: one operation's view of Sentry (`OrgRequests`)."""

    api_calls: int


# Keep every connection the pool may open: with fewer kept, a burst of calls closes and reopens them
# (64 parallel calls opened 59 connections with 16 kept).
POOL_SIZE = 32
ResponseHook = Callable[[int], None]
# Given a client and the token Sentry just refused (401), give `client.settings` a renewed token, or raise (a
# signed-in user's client: `web/signin/callers.py`).
Renewal = Callable[["SentryClient", str], Awaitable[None]]


def _hearing(hook: ResponseHook) -> Callable[[httpx.Response], Awaitable[None]]:
    async def heard(response: httpx.Response) -> None:
        hook(response.status_code)

    return heard


class SentryClient:
    """One Sentry, one connection pool. Use as an async context manager, or call `aclose()`.

    `for_user(settings)` makes a client for another token (a signed-in user of the team server) that shares
    this one's connection pool and rate gate but learns its own organization, projects and rate limits (the
    gate keeps them per token).
    """

    def __init__(
        self,
        settings: Settings,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        on_response: ResponseHook | None = None,
        pool: httpx.AsyncClient | None = None,
        gate: RateGate | None = None,
        forms: FormsMemory | None = None,
    ) -> None:
        """`on_response(status)` hears the status of every answer Sentry gives, retries included (for metrics).
        `gate` paces requests to rate-limited endpoints (default: a `LocalRateGate` of this client's); `forms`
        keeps the route forms learned per server beyond this process (default: nowhere else)."""
        self.settings = settings
        self._owns_pool = pool is None
        self._http = pool or httpx.AsyncClient(
            headers={"User-Agent": USER_AGENT, "Accept": "application/json"},
            timeout=httpx.Timeout(settings.timeout, connect=min(10.0, settings.timeout)),
            limits=httpx.Limits(max_connections=POOL_SIZE, max_keepalive_connections=POOL_SIZE),
            follow_redirects=False,
            transport=transport,
            event_hooks={"response": [_hearing(on_response)]} if on_response else None,
        )
        self._org: str | None = settings.org
        self._region_base: str | None = None if settings.is_saas else settings.api_base
        self._org_lock = anyio.Lock()
        self._project_ids: dict[str, str] = {}
        self._gate = gate or LocalRateGate()
        self.capabilities = capabilities.for_server(settings.api_base, forms)
        self.renew: Renewal | None = None
        self.rate_scope: str | None = None  # whose limits pace this client (None: its token's fingerprint)

    def for_user(self, settings: Settings, renew: Renewal | None = None, rate_scope: str | None = None) -> SentryClient:
        """A client acting with `settings.auth_token` over this client's connection pool (closing it leaves the
        pool open). `renew`: a request Sentry answers 401 renews the token once and is sent again (401 means it
        was not applied). `rate_scope`: who Sentry limits, e.g. `user:<id>` (Sentry keys a user token's limits by
        its user: all their sign-ins and renewed tokens share them); default the token."""
        client = SentryClient(settings, pool=self._http, gate=self._gate, forms=self.capabilities.memory)
        client.renew = renew
        client.rate_scope = rate_scope
        return client

    async def __aenter__(self) -> SentryClient:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        if self._owns_pool:
            await self._http.aclose()

    # -- one request, with retries -------------------------------------------------------------

    async def send(
        self,
        counted: Counted,
        method: str,
        base: str,
        path: Sequence[str],
        *,
        params: Params | None = None,
        body: Mapping[str, Any] | None = None,
        expect: Expectations = DEFAULT_CALL,
        retried: bool = True,
    ) -> ApiResponse:
        """One request to `base` + the percent-encoded `path`, counted on `counted` and retried as `retry` says
        (sent once only when `retried` is False). Raises one of the exceptions in `errors`; a failed answer is
        read as `expect` says."""
        try:
            return await self._send_retried(counted, method, base, path, params, body, expect, retried)
        except AuthFailed:
            if self.renew is None:
                raise
            await self.renew(self, self.settings.auth_token)
            return await self._send_retried(counted, method, base, path, params, body, expect, retried)

    async def _send_retried(
        self,
        counted: Counted,
        method: str,
        base: str,
        path: Sequence[str],
        params: Params | None,
        body: Mapping[str, Any] | None,
        expect: Expectations,
        retried: bool,
    ) -> ApiResponse:
        url = base + "".join(quote(segment, safe="") + "/" for segment in path)
        scope, gate_key = self.rate_scope or token_scope(self.settings.auth_token), endpoint(method, path)
        async for attempt in retrying(self.settings.retry_attempts if retried else 0):
            with attempt:
                scout = await self._gate.scout(scope, gate_key)
                try:
                    await self._gate.wait_turn(scope, gate_key)
                    counted.api_calls += 1
                    return await self._send_once(method, url, params, body, expect, scope, gate_key)
                except RateLimited as exc:
                    requests, window_s = exc.details.get("limit_requests"), exc.details.get("limit_window_s")
                    if requests is not None and window_s is not None:
                        await _told(self._gate.learn(scope, gate_key, (requests, window_s)))
                    self._gate.answered(scope, gate_key)
                    raise
                finally:
                    if scout:
                        self._gate.scouted(scope, gate_key)
        raise AssertionError("unreachable: tenacity reraises the last error")  # pragma: no cover

    async def _send_once(
        self,
        method: str,
        url: str,
        params: Params | None,
        body: Mapping[str, Any] | None,
        expect: Expectations,
        scope: str,
        gate_key: str,
    ) -> ApiResponse:
        try:
            # The token goes with each request, not the pool: users' clients share one pool (`for_user`).
            headers = {"Authorization": f"Bearer {self.settings.auth_token}"}
            async with self._http.stream(method, url, params=params, json=body, headers=headers) as response:
                raw = await self._read_capped(response)
        except httpx.TimeoutException:
            raise OperationTimeout(
                f"Sentry did not answer within {self.settings.timeout:g} s.", timeout_s=self.settings.timeout
            ) from None
        except httpx.TransportError as exc:
            raise NetworkError(
                f"Could not reach Sentry at {self.settings.host}: {type(exc).__name__}.", reason=type(exc).__name__
            ) from None
        rate_headers = RateHeaders.read(response.headers)
        if rate_headers is not None:
            await _told(self._gate.heard(scope, gate_key, rate_headers))
        if response.status_code != 429:  # a 429's limit may be in its body: answered once that is learned
            self._gate.answered(scope, gate_key)
        try:
            answer = interpret(response, raw, expect)
        except SentryMonitorError as exc:
            self.capabilities.answered_json_anywhere |= bool(exc.answered_json)
            raise
        self.capabilities.answered_json_anywhere |= answer.data is not None
        return answer

    async def _read_capped(self, response: httpx.Response) -> bytes:
        limit = self.settings.max_response_bytes
        declared = response.headers.get("content-length")
        if declared and declared.isdigit() and int(declared) > limit:
            raise ResponseTooLarge(
                f"Sentry's answer is {int(declared)} bytes, over the {limit}-byte limit.",
                limit_bytes=limit,
                size_bytes=int(declared),
            )
        chunks: list[bytes] = []
        size = 0
        async for chunk in response.aiter_bytes():
            size += len(chunk)
            if size > limit:
                raise ResponseTooLarge(f"Sentry's answer exceeded the {limit}-byte limit.", limit_bytes=limit)
            chunks.append(chunk)
        return b"".join(chunks)

    # -- what is learned once per process ------------------------------------------------------

    async def organization(self, counted: Counted) -> str:
        """The organization slug: the configured one, or the only one the token sees."""
        if self._org is not None and self._region_base is not None:
            return self._org
        async with self._org_lock:
            if self._org is None:
                response = await self.send(
                    counted,
                    "GET",
                    self.settings.api_base,
                    ["organizations"],
                    expect=ORGANIZATION_CALL,
                )
                orgs = [org for org in response.json_list("the organization list") if org.get("slug")]
                if len(orgs) != 1:
                    slugs = sorted(str(org["slug"]) for org in orgs)
                    raise OrganizationAmbiguous(
                        f"SENTRY_ORG is not set and the token sees {len(orgs)} organizations"
                        + (f": {', '.join(slugs)}." if slugs else "."),
                        organizations=slugs,
                    )
                self._org = str(orgs[0]["slug"])
                self._region_base = self._region_base or _region_base(orgs[0], self.settings)
            if self._region_base is None:
                response = await self.send(
                    counted,
                    "GET",
                    self.settings.api_base,
                    ["organizations", self._org],
                    expect=ORGANIZATION_CALL,
                )
                self._region_base = _region_base(response.data, self.settings)
            return self._org

    async def _organization_exists(self, counted: Counted, org: str) -> None:
        """On a missing project, tell a wrong SENTRY_ORG apart (one call, on this failure path only)."""
        try:
            base = await self.region_base(counted)
            await self.send(counted, "GET", base, ["organizations", org], expect=ORGANIZATION_CALL)
        except OrganizationNotFound:
            raise OrganizationNotFound(
                f"Sentry at {self.settings.host} has no organization {org!r} that this token can see (404)."
            ) from None
        except SentryMonitorError:
            pass  # the project answer stands; this probe only refines it

    async def server_kind(self, counted: Counted) -> ServerKind:
        """What kind of server this is (see `kinds`): asked once per process and server, by `GET /api/settings/`,
        unless SENTRY_MONITOR_SERVER says, the server is sentry.io or the capabilities' memory knows it. An answer
        that is not GlitchTip's means Sentry; a transient failure leaves the question open for the next call."""
        if self.capabilities.kind is not None:
            return self.capabilities.kind
        preset = kinds.named(self.settings.server) or (kinds.SENTRY if self.settings.is_saas else None)
        if preset is not None:
            self.capabilities.identified(preset)
            return preset
        async with self.capabilities.identifying:
            if self.capabilities.kind is None and not await self.capabilities.recall_kind():
                try:
                    answer = await self.send(counted, "GET", self.settings.url + "/api/", ["settings"], expect=PROBE)
                    kind = kinds.from_settings_answer(answer.data)
                except TransientError:
                    return kinds.SENTRY
                except SentryMonitorError:
                    kind = kinds.SENTRY
                self.capabilities.identified(kind)
                await self.capabilities.remember_kind()
            assert self.capabilities.kind is not None
            return self.capabilities.kind

    async def region_base(self, counted: Counted) -> str:
        await self.organization(counted)
        assert self._region_base is not None
        return self._region_base

    async def project_id(self, counted: Counted, slug: str) -> str:
        """The numeric id of a project slug, looked up once and cached."""
        if slug not in self._project_ids:
            org = await self.organization(counted)
            expect = Expectations(not_found=ProjectNotFound, scope="project:read", project=slug)
            try:
                response = await self.send(
                    counted, "GET", await self.region_base(counted), ["projects", org, slug], expect=expect
                )
            except ProjectNotFound:
                await self._organization_exists(counted, org)
                raise
            project_id = str(response.json_object(f"project {slug!r}").get("id", ""))
            if not project_id.isdigit():
                raise BadUpstreamResponse(
                    "Sentry's project answer has no numeric id.", status_code=response.status_code
                )
            self._project_ids[slug] = project_id
        return self._project_ids[slug]


async def _told(telling: Awaitable[None]) -> None:
    """Tell the gate what an answer taught. A shared gate out of reach is logged, not raised: Sentry's answer
    stands (a change it made is made), and the next request's turn reports the outage."""
    try:
        await telling
    except SharedStateUnavailable as exc:
        logger.warning("rate limit not shared: %s", exc)


def _region_base(org: Any, settings: Settings) -> str:
    """The API root for org-scoped calls: the org's region on sentry.io, else SENTRY_URL as given.

    Only a sentry.io https host is followed, so a forged regionUrl can never receive the token.
    """
    if settings.is_saas and isinstance(org, dict):
        links = org.get("links")
        region = links.get("regionUrl") if isinstance(links, dict) else None
        if isinstance(region, str):
            parts = urlsplit(region)
            host = parts.hostname or ""
            if (
                parts.scheme == "https"
                and (host == "sentry.io" or host.endswith(".sentry.io"))
                and not parts.path.strip("/")
            ):
                return f"https://{host}/api/0/"
    return settings.api_base
