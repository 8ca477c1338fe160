"""The one Sentry HTTP client: auth, paths, retries, size limits, pagination and error mapping.

`SentryClient` owns one `httpx.AsyncClient` (one connection pool) for the life of the server or the
module context and caches what is learned once per process: the organization, its region host and
project ids. Each operation talks to Sentry through a `SentryApi` view of it, which counts the
requests that operation made.

Operations never build URLs: they pass path segments, each validated by `identifiers` and
percent-encoded here. Every failure leaves as one of the exceptions in `errors`.
"""

from __future__ import annotations

import json
import math
import random
import re
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlsplit

import anyio
import httpx
from tenacity import AsyncRetrying, RetryCallState, retry_if_exception, stop_after_attempt
from tenacity.stop import stop_base
from tenacity.wait import wait_random_exponential

from . import capabilities, routes
from .capabilities import ISSUE_LOOKUP, Capability
from .config import Settings
from .errors import (
    AuthFailed,
    BadUpstreamResponse,
    InvalidParameter,
    MissingScope,
    NetworkError,
    NotFound,
    OperationTimeout,
    OrganizationAmbiguous,
    OrganizationNotFound,
    ProjectNotAllowed,
    ProjectNotFound,
    RateLimited,
    ResponseTooLarge,
    SentryMonitorError,
    SentryUnavailable,
    TransientError,
    UnsupportedByServer,
)
from .links import next_cursor
from .models import Issue
from .rate_gate import RateGate, endpoint, learned_limit
from .version import __version__

USER_AGENT = f"sentry-error-monitor/{__version__}"
Params = Mapping[str, str | int | Sequence[str]]
# The longest server-requested wait we honour; the operation deadline caps it further.
MAX_SERVER_WAIT_S = 60.0
_BACKOFF = wait_random_exponential(multiplier=0.5, max=8)


@dataclass(frozen=True)
class Expectations:
    """How to read a failure of one request: what a 404 means, which scope a 403 lacks, which parameter a
    400 blames, and which project (if any) the request is about, so a 403 can name it.

    Every path we call starts with the organization, so a 404 the call site names nothing more specific
    for means the organization is unknown.
    """

    not_found: type[NotFound] = OrganizationNotFound
    scope: str = "event:read"
    bad_request_field: str = "parameters"
    project: str | None = None


ORGANIZATION_CALL = Expectations(not_found=OrganizationNotFound, scope="org:read")


@dataclass(frozen=True)
class ApiResponse:
    status_code: int
    data: Any
    headers: httpx.Headers

    def json_object(self, what: str) -> dict[str, Any]:
        """The body as a JSON object; BAD_UPSTREAM_RESPONSE naming `what` when it is anything else."""
        if isinstance(self.data, dict):
            return self.data
        raise self._wrong_shape(what, "an object")

    def json_list(self, what: str) -> list[dict[str, Any]]:
        """The body as a JSON list (its object items); BAD_UPSTREAM_RESPONSE naming `what` otherwise."""
        if isinstance(self.data, list):
            return [item for item in self.data if isinstance(item, dict)]
        raise self._wrong_shape(what, "a list")

    def _wrong_shape(self, what: str, expected: str) -> BadUpstreamResponse:
        got = "an empty body" if self.data is None else f"JSON {type(self.data).__name__}"
        excerpt = _excerpt(json.dumps(self.data).encode()) if self.data is not None else ""
        return BadUpstreamResponse(
            f"Sentry's answer for {what} (HTTP {self.status_code}) is {got}, not {expected}."
            + (f" It starts: {excerpt!r}" if excerpt else ""),
            status_code=self.status_code,
            excerpt=excerpt or None,
        )

    @property
    def next_cursor(self) -> str | None:
        return next_cursor(self.headers.get("link"))

    @property
    def total_hits(self) -> int | None:
        value = self.headers.get("x-hits")
        return int(value) if value and value.isdigit() else None


class SentryClient:
    """One Sentry, one connection pool. Use as an async context manager, or call `aclose()`."""

    def __init__(self, settings: Settings, *, transport: httpx.AsyncBaseTransport | None = None) -> None:
        self.settings = settings
        self._http = httpx.AsyncClient(
            headers={
                "Authorization": f"Bearer {settings.auth_token}",
                "User-Agent": USER_AGENT,
                "Accept": "application/json",
            },
            timeout=httpx.Timeout(settings.timeout, connect=min(10.0, settings.timeout)),
            limits=httpx.Limits(max_connections=32, max_keepalive_connections=16),
            follow_redirects=False,
            transport=transport,
        )
        self._org: str | None = settings.org
        self._region_base: str | None = None if settings.is_saas else settings.api_base
        self._org_lock = anyio.Lock()
        self._project_ids: dict[str, str] = {}
        self._gate = RateGate()
        self.capabilities = capabilities.for_server(settings.api_base)

    async def __aenter__(self) -> SentryClient:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._http.aclose()

    def api(self) -> SentryApi:
        """A view for one operation, counting its requests."""
        return SentryApi(self)

    # -- one request, with retries -------------------------------------------------------------

    async def send(
        self,
        api: SentryApi,
        method: str,
        base: str,
        path: Sequence[str],
        *,
        params: Params | None = None,
        body: Mapping[str, Any] | None = None,
        expect: Expectations = Expectations(),
    ) -> ApiResponse:
        url = base + "".join(quote(segment, safe="") + "/" for segment in path)
        server_errors = 0

        def should_retry(exc: BaseException) -> bool:
            nonlocal server_errors
            if isinstance(exc, SentryUnavailable) and exc.details.get("status_code") == 500:
                server_errors += 1
                return server_errors <= 1  # a 500 is retried exactly once
            return isinstance(exc, TransientError) and not isinstance(exc, OperationTimeout)

        retrying = AsyncRetrying(
            retry=retry_if_exception(should_retry),
            wait=_wait,
            stop=stop_after_attempt(self.settings.retry_attempts + 1) | _StopAtDeadline(),
            sleep=anyio.sleep,
            reraise=True,
        )
        gate_key = endpoint(method, path)
        async for attempt in retrying:
            with attempt:
                await self._gate.wait_turn(gate_key)
                api.api_calls += 1
                try:
                    return await self._send_once(method, url, params, body, expect)
                except RateLimited as exc:
                    limit = exc.details.get("limit_requests"), exc.details.get("limit_window_s")
                    self._gate.learn(gate_key, limit if None not in limit else None)  # type: ignore[arg-type]
                    raise
        raise AssertionError("unreachable: tenacity reraises the last error")  # pragma: no cover

    async def _send_once(
        self,
        method: str,
        url: str,
        params: Params | None,
        body: Mapping[str, Any] | None,
        expect: Expectations,
    ) -> ApiResponse:
        try:
            async with self._http.stream(method, url, params=params, json=body) as response:
                raw = await self._read_capped(response)
        except httpx.TimeoutException:
            raise OperationTimeout(
                f"Sentry did not answer within {self.settings.timeout:g} s.", timeout_s=self.settings.timeout
            ) from None
        except httpx.TransportError as exc:
            raise NetworkError(
                f"Could not reach Sentry at {self.settings.host}: {type(exc).__name__}.", reason=type(exc).__name__
            ) from None
        return _interpret(response, raw, expect)

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

    async def organization(self, api: SentryApi) -> str:
        """The organization slug: the configured one, or the only one the token sees."""
        if self._org is not None and self._region_base is not None:
            return self._org
        async with self._org_lock:
            if self._org is None:
                response = await self.send(
                    api,
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
                    api,
                    "GET",
                    self.settings.api_base,
                    ["organizations", self._org],
                    expect=ORGANIZATION_CALL,
                )
                self._region_base = _region_base(response.data, self.settings)
            return self._org

    async def _organization_exists(self, api: SentryApi, org: str) -> None:
        """On a missing project, tell a wrong SENTRY_ORG apart (one call, on this failure path only)."""
        try:
            await api.get(["organizations", org], scope="org:read", not_found=OrganizationNotFound)
        except OrganizationNotFound:
            raise OrganizationNotFound(
                f"Sentry at {self.settings.host} has no organization {org!r} that this token can see (404)."
            ) from None
        except SentryMonitorError:
            pass  # the project answer stands; this probe only refines it

    async def region_base(self, api: SentryApi) -> str:
        await self.organization(api)
        assert self._region_base is not None
        return self._region_base

    async def project_id(self, api: SentryApi, slug: str) -> str:
        """The numeric id of a project slug, looked up once and cached."""
        if slug not in self._project_ids:
            org = await self.organization(api)
            try:
                response = await api.get(
                    ["projects", org, slug], scope="project:read", not_found=ProjectNotFound, project=slug
                )
            except ProjectNotFound:
                await self._organization_exists(api, org)
                raise
            project_id = str(response.json_object(f"project {slug!r}").get("id", ""))
            if not project_id.isdigit():
                raise BadUpstreamResponse(
                    "Sentry's project answer has no numeric id.", status_code=response.status_code
                )
            self._project_ids[slug] = project_id
        return self._project_ids[slug]


class SentryApi:
    """What an operation sees of Sentry: org-scoped requests, counted."""

    def __init__(self, client: SentryClient) -> None:
        self.client = client
        self.api_calls = 0
        self.warnings: list[str] = []
        # Where `warn` reports; an OperationContext points it at its own `warn`.
        self.on_warning: Callable[[str], None] = self.warnings.append
        self._warned: set[str] = set()

    def warn(self, message: str) -> None:
        """Say (once per operation) what this server could not give, e.g. a sort it lacks."""
        if message not in self._warned:
            self._warned.add(message)
            self.on_warning(message)

    def offers(self, capability: Capability) -> bool | None:
        """Whether this server answers `capability` in Sentry's current form; None until a request has told."""
        return self.client.capabilities.offers_current(capability)

    def issue_label(self, short_id: str | None, issue_id: str) -> str:
        """How to name an issue in a suggested call: its short id, unless this server looks up numeric ids only."""
        if short_id and self.offers(ISSUE_LOOKUP) is not False:
            return short_id
        return issue_id

    # -- routes that differ between servers (see `capabilities` and `routes`) ---------------------------

    async def issue(self, issue_id: str) -> ApiResponse:
        """GET one issue by numeric or short id. Raises IssueNotFound, or UnsupportedByServer for a short id
        where the server looks issues up by numeric id only."""
        return await routes.issue(self, issue_id)

    async def issue_events(self, issue_id: str, params: Params, *, bad_request_field: str = "cursor") -> ApiResponse:
        """GET one page of an issue's events (`per_page`, `cursor`, ...). Raises IssueNotFound."""
        return await routes.issue_events(self, issue_id, params, bad_request_field)

    async def latest_event(self, issue_id: str) -> ApiResponse:
        """GET an issue's latest event. Raises EventNotFound when it has none within retention."""
        return await routes.issue_event(self, issue_id)

    async def issue_event(self, issue_id: str, event_id: str) -> ApiResponse:
        """GET one event of an issue (`latest`, `oldest`, `recommended` or an id). Raises EventNotFound."""
        return await routes.issue_event(self, issue_id, event_id)

    async def issue_list(
        self,
        params: Params,
        *,
        not_found: type[NotFound] = OrganizationNotFound,
        bad_request_field: str = "parameters",
        project: str | None = None,
    ) -> ApiResponse:
        """GET one page of the organization's issues; `sort` takes Sentry's names (date, new, freq, user)."""
        return await routes.issue_list(
            self, params, not_found=not_found, bad_request_field=bad_request_field, project=project
        )

    async def stats_v2(
        self,
        params: Params,
        *,
        not_found: type[NotFound] = OrganizationNotFound,
        bad_request_field: str = "parameters",
        project: str | None = None,
    ) -> ApiResponse:
        """GET outcome statistics (Sentry's `statsPeriod`/`groupBy` form); where the server has no outcomes,
        every group comes labelled `accepted` and a warning says so."""
        return await routes.stats_v2(
            self, params, not_found=not_found, bad_request_field=bad_request_field, project=project
        )

    @property
    def settings(self) -> Settings:
        return self.client.settings

    async def organization(self) -> str:
        return await self.client.organization(self)

    async def project_id(self, slug: str) -> str:
        """The numeric id of a project the settings allow; PROJECT_NOT_ALLOWED before any request otherwise."""
        self.check_project_allowed(slug)
        return await self.client.project_id(self, slug)

    def check_issue_allowed(self, issue: Issue) -> None:
        """Refuse an issue whose project is outside the allow-list, before anything of it is shown or changed."""
        slug = issue.project.slug if issue.project else None
        self.check_project_allowed(slug, what=f"Issue {issue.short_id or issue.id}")

    def check_project_allowed(self, slug: str | None, what: str = "") -> None:
        """Refuse a project outside SENTRY_MONITOR_ALLOWED_PROJECTS (a no-op when no allow-list is set)."""
        allowed = self.settings.allowed_projects
        if allowed is None or self.settings.allows(slug):
            return
        subject = f"{what} belongs to project {slug!r}, which" if what else f"Project {slug!r}"
        raise ProjectNotAllowed(
            f"{subject} is outside this server's allowed projects ({', '.join(sorted(allowed))}).",
            recovery="Work on one of the allowed projects, or add the project to SENTRY_MONITOR_ALLOWED_PROJECTS "
            "(--allowed-projects).",
            project=slug,
            allowed_projects=sorted(allowed),
        )

    async def check_organization(self, org: str | None, field: str) -> None:
        """Refuse an issue URL of another organization than the configured one."""
        if org is None:
            return
        configured = await self.organization()
        if org.lower() != configured.lower():
            raise InvalidParameter(
                field,
                f"The issue URL belongs to organization {org!r}, but this server works on {configured!r}.",
                recovery="Pass an issue of the configured organization (SENTRY_ORG), or reconfigure SENTRY_ORG.",
            )

    async def get(
        self,
        path: Sequence[str],
        *,
        params: Params | None = None,
        not_found: type[NotFound] = OrganizationNotFound,
        scope: str = "event:read",
        bad_request_field: str = "parameters",
        project: str | None = None,
    ) -> ApiResponse:
        """GET an org-scoped path; the keywords say how its failures read (see `Expectations`)."""
        base = await self.client.region_base(self)
        expect = Expectations(not_found, scope, bad_request_field, project)
        return await self.client.send(self, "GET", base, path, params=params, expect=expect)

    async def put(
        self,
        path: Sequence[str],
        *,
        body: Mapping[str, Any],
        not_found: type[NotFound] = OrganizationNotFound,
        scope: str = "event:write",
        bad_request_field: str = "parameters",
    ) -> ApiResponse:
        """PUT a JSON body to an org-scoped path (sent once per attempt)."""
        base = await self.client.region_base(self)
        expect = Expectations(not_found, scope, bad_request_field)
        return await self.client.send(self, "PUT", base, path, body=body, expect=expect)


# -- retry policy -------------------------------------------------------------------------------


def _wait(state: RetryCallState) -> float:
    """Honour the server's wait for a 429 (capped), else exponential backoff with jitter."""
    exc = state.outcome.exception() if state.outcome else None
    if isinstance(exc, RateLimited) and exc.details.get("retry_after_s") is not None:
        wait = min(float(exc.details["retry_after_s"]), MAX_SERVER_WAIT_S)
        # A little jitter on top, so that calls limited together do not all come back at the same instant.
        return wait + random.uniform(0, min(1.0, max(0.1, wait / 2)))
    return float(_BACKOFF(state))


class _StopAtDeadline(stop_base):
    """Stop retrying when the next wait would run past the operation deadline."""

    def __call__(self, retry_state: RetryCallState) -> bool:
        deadline = anyio.current_effective_deadline()
        if math.isinf(deadline):
            return False
        return anyio.current_time() + retry_state.upcoming_sleep + 0.05 >= deadline


# -- status codes to errors -----------------------------------------------------------------------


def _interpret(response: httpx.Response, raw: bytes, expect: Expectations) -> ApiResponse:
    status = response.status_code
    if 200 <= status < 300:
        if status == 204 or not raw.strip():
            return ApiResponse(status, None, response.headers)
        try:
            data = json.loads(raw)
        except ValueError:
            raise BadUpstreamResponse(
                f"Sentry answered {status} with a body that is not JSON: {_excerpt(raw)!r}",
                status_code=status,
                excerpt=_excerpt(raw),
            ) from None
        return ApiResponse(status, data, response.headers)

    error = _failure(response, raw, expect)
    error.answered_json = _parsed(raw) is not None
    raise error


def _failure(response: httpx.Response, raw: bytes, expect: Expectations) -> SentryMonitorError:
    """The exception for a non-2xx answer."""
    status = response.status_code
    detail = _detail(raw)
    said = f" Sentry said: {detail}" if detail else ""
    if status == 400:
        return InvalidParameter(
            expect.bad_request_field, f"Sentry refused the request (400).{said}", status_code=status
        )
    if status == 422:
        return InvalidParameter(
            expect.bad_request_field,
            f"Sentry refused the request (422).{said}",
            status_code=status,
            rejected_parameters=_named_parameters(raw) or None,
        )
    if status == 401:
        return AuthFailed(
            f"Sentry rejected the auth token (401): it is invalid, expired or revoked.{said}", status_code=status
        )
    if status == 403 and expect.project is not None:
        return ProjectNotAllowed(
            f"The token may not read project {expect.project!r} (403): its user is not a member of the project's "
            f"team, or the token lacks the {expect.scope} scope.{said}",
            status_code=status,
            project=expect.project,
            required_scope=expect.scope,
        )
    if status == 403:
        return MissingScope(
            f"The token is not allowed to do this (403): it needs the {expect.scope} scope.{said}",
            status_code=status,
            required_scope=expect.scope,
        )
    if status == 404:
        return expect.not_found(f"Sentry has no such {_noun(expect.not_found)} (404).{said}", status_code=status)
    if status in (405, 410):
        return UnsupportedByServer(
            f"This Sentry server does not offer this API (HTTP {status}).{said}",
            status_code=status,
            capability=response.request.url.path,
        )
    if status == 429:
        retry_after = _retry_after(response.headers)
        limit = learned_limit(response.headers.get("x-sentry-rate-limit-limit"), detail)
        return RateLimited(
            "Sentry is rate-limiting this token (429)."
            + (f" It asks to wait {retry_after:g} s." if retry_after is not None else "")
            + (f" Limit: {limit[0]} requests in {limit[1]:g} s." if limit else ""),
            status_code=status,
            retry_after_s=retry_after,
            limit_requests=limit[0] if limit else None,
            limit_window_s=limit[1] if limit else None,
        )
    if status >= 500:
        error_id = _error_id(raw)
        kind = "is unavailable" if status in (502, 503, 504) else "had an internal error"
        return SentryUnavailable(
            f"Sentry {kind} (HTTP {status}).{said if status != 500 else ''}", status_code=status, error_id=error_id
        )
    if 300 <= status < 400:
        return BadUpstreamResponse(
            f"Sentry answered with a redirect ({status}) to {response.headers.get('location', '?')}: "
            "SENTRY_URL is probably not the API host.",
            status_code=status,
        )
    return BadUpstreamResponse(f"Sentry answered HTTP {status}.{said}", status_code=status, excerpt=_excerpt(raw))


def _noun(error: type[SentryMonitorError]) -> str:
    return {
        "ISSUE_NOT_FOUND": "issue",
        "PROJECT_NOT_FOUND": "project",
        "EVENT_NOT_FOUND": "event",
        "ORGANIZATION_NOT_FOUND": "organization",
    }.get(error.code, "resource")


def _retry_after(headers: httpx.Headers) -> float | None:
    value = headers.get("retry-after")
    if value:
        try:
            return max(0.0, float(value))
        except ValueError:
            pass
    reset = headers.get("x-sentry-rate-limit-reset")
    if reset:
        try:
            return max(0.0, float(reset) - time.time())
        except ValueError:
            pass
    return None


def _parsed(raw: bytes) -> Any:
    try:
        return json.loads(raw)
    except ValueError:
        return None


def _detail(raw: bytes) -> str:
    data = _parsed(raw)
    if isinstance(data, dict):
        detail = data.get("detail", data.get("message"))
        if isinstance(detail, dict):
            detail = detail.get("message") or detail.get("code")
        if isinstance(detail, list):  # django-ninja (GlitchTip): [{"loc": ["query", "sort"], "msg": "..."}]
            detail = "; ".join(
                f"{item.get('loc', ['?'])[-1] if item.get('loc') else '?'}: {item.get('msg', '')}"
                for item in detail
                if isinstance(item, dict)
            )
        if isinstance(detail, str):
            return detail[:300]
        fields = [
            f"{key}: {'; '.join(map(str, value)) if isinstance(value, list) else value}"
            for key, value in data.items()
            if key != "errorId"
        ]
        return ", ".join(fields)[:300]
    return _excerpt(raw) if raw.strip() else ""


def _named_parameters(raw: bytes) -> list[str]:
    """The parameters a refusal names: django-ninja's `detail[].loc[-1]`, or the keys of DRF's field map."""
    data = _parsed(raw)
    if not isinstance(data, dict):
        return []
    detail = data.get("detail")
    if isinstance(detail, list):
        return [
            str(item["loc"][-1])
            for item in detail
            if isinstance(item, dict) and isinstance(item.get("loc"), list) and item["loc"]
        ]
    return [str(key) for key in data if key not in ("detail", "message", "errorId")]


def _error_id(raw: bytes) -> str | None:
    data = _parsed(raw)
    if isinstance(data, dict) and isinstance(data.get("errorId"), str):
        return str(data["errorId"])
    return None


_TAG = re.compile(rb"<[^>]*>")


def _excerpt(raw: bytes, limit: int = 200) -> str:
    """A short, printable excerpt of a body: tags removed, whitespace folded."""
    text = _TAG.sub(b" ", raw[:4096]).decode("utf-8", "replace")
    text = " ".join("".join(ch if ch.isprintable() else " " for ch in text).split())
    return text[:limit]


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
