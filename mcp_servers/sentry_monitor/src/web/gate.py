"""What the HTTP server puts in front of every tool call: who calls, their limit, the result format, metrics.

The access log middleware opens a `RequestInfo` for each HTTP request; the tool handler, which the SDK runs
in a task started from that request, finds it through a context variable and writes the tool's name into it.
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from collections.abc import Mapping
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from mcp.server.auth.middleware.auth_context import get_access_token
from mcp.server.auth.provider import AccessToken

from mcp_servers.framework.contracts import ModuleOutput

from ..base.errors import CallerBusy, NotAuthenticated, ReadOnly, SentryUnavailable, SharedStateUnavailable
from ..operations.registry import OPERATIONS
from ..processor import SentryErrorMonitorModule
from ..server import Run
from .metrics import Metrics
from .signin.callers import SignedInCallers
from .signin.provider import WRITE_SCOPE

# The arguments that say which issues a write was asked to change (the audit names them).
AUDITED_ARGUMENTS = ("issue_id", "issue_ids", "query", "project_slug")

ANONYMOUS = "anonymous"  # never seen over HTTP, where every call has a key; in-process tests may call without
audit_log = logging.getLogger("sentry_monitor.audit")


@dataclass
class RequestInfo:
    """One HTTP request as the access log tells it."""

    structured: bool | None = None  # the caller's choice of result format (?format=), None: the server's
    bad_format: bool = False  # ?format= named something else (answered 400 once the key is checked)
    tool: str | None = None


CURRENT: ContextVar[RequestInfo | None] = ContextVar("sentry_monitor_request", default=None)


def caller() -> str:
    """Who calls in this request: a sign-in id, else the key id of an API key."""
    token = get_access_token()
    return caller_of(token) if token is not None else ANONYMOUS


def caller_of(token: AccessToken) -> str:
    return token.subject or token.client_id


class HttpGate:
    """A CallGate (see server.py): a caller's calls in flight are limited in each process; a signed-in caller's
    calls run with their own Sentry token (`callers`, None with API keys), and every write is audited."""

    def __init__(self, metrics: Metrics, limit: int, callers: SignedInCallers | None = None) -> None:
        self.metrics = metrics
        self.limit = limit
        self.callers = callers
        self._in_flight: Counter[str] = Counter()

    def structured(self, default: bool) -> bool:
        info = CURRENT.get()
        return default if info is None or info.structured is None else info.structured

    def read_only(self) -> bool:
        token = get_access_token()
        return token is not None and WRITE_SCOPE not in token.scopes

    async def admit(
        self, module: SentryErrorMonitorModule, tool: str, arguments: Mapping[str, Any], run: Run
    ) -> ModuleOutput:
        info = CURRENT.get()
        if info is not None:
            info.tool = tool
        who = caller()
        started = time.perf_counter()
        operation = OPERATIONS.get(tool)
        writes = operation is not None and not operation.read_only
        if writes and self.read_only():
            refusal = ReadOnly(
                f"{tool} changes Sentry, and you signed in read-only: nothing was sent.",
                recovery="Sign out (or revoke this sign-in) and sign in again with read and change access.",
            )
            output = module.refused(tool, refusal)
        elif self._in_flight[who] >= self.limit:
            output = module.refused(
                tool,
                CallerBusy(
                    f"This caller already has {self._in_flight[who]} calls running on this server, its limit: "
                    f"{tool} was not run.",
                    limit=self.limit,
                ),
            )
        else:
            self._in_flight[who] += 1
            self.metrics.in_flight.inc()
            try:
                output = await self._run(module, tool, run)
            finally:
                self._in_flight[who] -= 1
                if not self._in_flight[who]:
                    del self._in_flight[who]
                self.metrics.in_flight.dec()
        if writes:
            await self._audit(tool, arguments, output)
        self._count(tool, output, time.perf_counter() - started)
        return output

    async def _run(self, module: SentryErrorMonitorModule, tool: str, run: Run) -> ModuleOutput:
        token = get_access_token()
        if self.callers is None:
            return await run(None)  # API keys: the service token
        try:
            if token is None:  # not over HTTP, where /mcp needs a token; never the module's (empty) token
                raise NotAuthenticated("No one is signed in for this call.", sign_in=self.callers.sign_in_url)
            client = await self.callers.client(module, token)
        except (NotAuthenticated, SentryUnavailable, SharedStateUnavailable) as exc:
            return module.refused(tool, exc)
        return await run(client)

    async def _named(self, signin_id: str) -> str:
        """Who a sign-in is, read from the store (a call refused before it ran made no client); its id when the
        store cannot say."""
        assert self.callers is not None
        try:
            signin = await self.callers.signins.get(signin_id)
        except SharedStateUnavailable:
            return signin_id
        return signin.user.label if signin is not None else signin_id

    async def _audit(self, tool: str, arguments: Mapping[str, Any], output: ModuleOutput) -> None:
        """One line per write: who, what, on which issues, and how it ended (never a token)."""
        token = get_access_token()
        who = ANONYMOUS
        if token is not None:
            who = token.client_id
            if self.callers is not None and token.subject:
                who = self.callers.label(token.subject) or await self._named(token.subject)
        asked = [_shown(arguments[key]) for key in AUDITED_ARGUMENTS if arguments.get(key) not in (None, "", [])]
        changed = [effect.target for effect in output.side_effects]
        outcome = output.status.value + (f" {output.error.code}" if output.error is not None else "")
        audit_log.info(
            "audit: %s ran %s on %s: %s; changed: %s",
            who, tool, "; ".join(asked) or "-", outcome, ", ".join(changed) or "nothing",
        )  # fmt: skip

    def _count(self, tool: str, output: ModuleOutput, seconds: float) -> None:
        tool = tool if tool in OPERATIONS else "unknown"  # a caller's made-up names must not grow the label set
        self.metrics.calls.labels(tool, output.status.value).inc()
        self.metrics.latency.labels(tool).observe(seconds)
        if output.error is not None:
            self.metrics.errors.labels(tool, output.error.code).inc()


def _shown(value: Any) -> str:
    return ", ".join(str(item) for item in value) if isinstance(value, list) else str(value)
