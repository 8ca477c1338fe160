"""Sentry's answers: `ApiResponse`, and how a status code and body become one of the exceptions in `errors`.

`Expectations` tells `interpret` how to read a failure of one request (what a 404 means, which scope a 403
lacks, ...); the rest reads what Sentry's error bodies say, in a short printable excerpt.
"""

from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass
from typing import Any

import httpx

from ..base.errors import (
    AuthFailed,
    BadUpstreamResponse,
    InvalidParameter,
    MissingScope,
    NotFound,
    OrganizationNotFound,
    ProjectNotAllowed,
    ProjectNotFound,
    RateLimited,
    SentryMonitorError,
    SentryUnavailable,
    UnsupportedByServer,
)
from .links import next_cursor
from .rate_gate import learned_limit


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


def interpret(response: httpx.Response, raw: bytes, expect: Expectations) -> ApiResponse:
    """A 2xx answer as an `ApiResponse` (data None for an empty body). Raises BadUpstreamResponse for a 2xx
    body that is not JSON, and for any other status the exception `_failure` reads from it."""
    status = response.status_code
    if 200 <= status < 300:
        if status == 204 or not raw.strip():
            return ApiResponse(status, None, response.headers)
        try:
            data = json.loads(raw)
        except ValueError:
            page = BadUpstreamResponse(
                f"Sentry answered {status} with a body that is not JSON: {_excerpt(raw)!r}",
                recovery="Check SENTRY_URL, or the proxy or login page in front of it: the answer is a web page, "
                "not Sentry's API.",
                status_code=status,
                excerpt=_excerpt(raw),
            )
            page.answered_json = False
            raise page from None
        return ApiResponse(status, data, response.headers)

    error = _failure(response, raw, expect)
    error.answered_json = _parsed(raw) is not None
    raise error


def _failure(response: httpx.Response, raw: bytes, expect: Expectations) -> SentryMonitorError:
    """The exception for a non-2xx answer."""
    status = response.status_code
    detail = _detail(raw)
    said = f" Sentry said: {detail}" if detail else ""
    if status in (400, 422):
        return InvalidParameter(
            expect.bad_request_field,
            f"Sentry refused the request ({status}).{said}",
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
        if expect.project is not None and issubclass(expect.not_found, ProjectNotFound):
            return expect.not_found(
                f"Sentry has no project {expect.project!r} (404).{said}", status_code=status, project=expect.project
            )
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
