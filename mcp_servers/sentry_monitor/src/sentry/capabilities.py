"""Which form of a route this Sentry-compatible server answers, learned at first use and kept for the process.

sentry.io and current self-hosted Sentry answer Sentry's current routes. Older self-hosted Sentry and
GlitchTip answer some of them only in an older form (another path, other parameter values). For each such
capability the client tries the current form first and falls back to the older one only when the answer
says that the route or a parameter is missing:

- for another route: 405 or 410 (the method or the route is not offered), or a 404 or 500 whose body is
  not JSON (a framework's HTML page) from a route that has never answered JSON on this server, or a 200
  whose body is not JSON (a web page's catch-all) from such a route on a server that has answered JSON on
  other routes (anywhere else a 200 web page is a proxy or a login page in front of SENTRY_URL:
  BAD_UPSTREAM_RESPONSE);
- for other parameter values on the same route: a 400 or 422 naming one of the parameters the older form
  changes.

Never on a JSON 5xx (Sentry's `errorId`), a 429, a 502-504, a timeout or a network error: those are faults,
retried by the client and answered as they are. A form is remembered for the process, per server (its API
base URL), once it has succeeded (the older one only after it answered), so a known server costs no extra
request. When neither form is offered the answer is UNSUPPORTED_BY_SERVER naming the capability. A server
identified as GlitchTip (`kinds`) starts with its known forms, so it never sees the failed requests.

With a `FormsMemory` (the team server's replicas share one through Redis), a form or kind learned is also
written there, and one this process does not know is read from there once, before its first use: a server
one replica has learned costs the others no extra request either. A memory out of reach is logged and
passed over: the form is then learned here as without one.
"""

from __future__ import annotations

import json
import logging
from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from enum import Enum
from typing import TYPE_CHECKING

import anyio

from ..base.errors import SentryMonitorError, SharedStateUnavailable, UnsupportedByServer
from .kinds import ServerKind

if TYPE_CHECKING:
    from .responses import ApiResponse

logger = logging.getLogger("sentry_monitor")
MISSING_ROUTE_STATUSES = (405, 410)
KIND_FIELD = "server kind"  # the memory's field for the kind, beside one per capability name
HTML_MISSING_STATUSES = (404, 500)


class Form(Enum):
    CURRENT = "current"
    OLDER = "older"


@dataclass(frozen=True)
class Capability:
    """Something the tools need that servers offer in two forms; `parameters` are those the older form changes."""

    name: str
    current: str
    older: str
    parameters: frozenset[str] = frozenset()


ISSUE_LOOKUP = Capability(
    "issue lookup", "GET organizations/{org}/issues/{id}/", "GET issues/{id}/ (numeric ids only, no short ids)"
)
ISSUE_EVENTS = Capability(
    "issue events", "GET organizations/{org}/issues/{id}/events/", "GET issues/{id}/events/ (numeric ids only)"
)
LATEST_EVENT = Capability(
    "latest event",
    "GET organizations/{org}/issues/{id}/events/latest/",
    "GET issues/{id}/events/latest/ (numeric ids only)",
)
ISSUE_SORT = Capability(
    "issue sort",
    "sort=date|new|freq|user",
    "sort=-last_seen|-first_seen|-count (no sort by users)",
    frozenset({"sort"}),
)
OUTCOME_STATS = Capability(
    "error statistics by outcome",
    "GET organizations/{org}/stats_v2/ with statsPeriod and groupBy=outcome",
    "GET organizations/{org}/stats_v2/ with start and end, no groupBy (accepted events only)",
    frozenset({"statsPeriod", "groupBy", "start", "end"}),
)
ARCHIVE_SUBSTATUS = Capability(
    "archive substatus names",
    "substatus=archived_until_escalating|archived_until_condition_met|archived_forever",
    "substatus=until_escalating|until_condition_met|forever (older Sentry)",
    frozenset({"substatus"}),
)
ALL = (ISSUE_LOOKUP, ISSUE_EVENTS, LATEST_EVENT, ISSUE_SORT, OUTCOME_STATS, ARCHIVE_SUBSTATUS)
GLITCHTIP_OLDER = (ISSUE_LOOKUP, ISSUE_EVENTS, LATEST_EVENT, ISSUE_SORT, OUTCOME_STATS)
"""The capabilities GlitchTip answers in the older form only (its README; verified against its source)."""

Request = Callable[[], Awaitable["ApiResponse"]]


@dataclass(frozen=True)
class NoOlderForm:
    """Why a request has no older form (e.g. a short id where the older route takes numeric ids only)."""

    message: str
    recovery: str


class FormsMemory(ABC):
    """Where what is learned of a server outlives this process: per server (its API base URL), a value per field
    (a capability's name: its form; KIND_FIELD: the kind). Raises SharedStateUnavailable when out of reach."""

    @abstractmethod
    async def recall(self, server: str, field: str) -> str | None:
        """The value kept for `field` of `server`; None when none is."""

    @abstractmethod
    async def remember(self, server: str, field: str, value: str) -> None:
        """Keep `value` for `field` of `server`."""


class Capabilities:
    """What one server offers: the form chosen per capability, and which current routes ever answered JSON.
    `memory`, when given, shares them with other processes (see the module docstring)."""

    def __init__(self, server: str = "", memory: FormsMemory | None = None) -> None:
        self.server = server
        self.memory = memory
        self._recalled: set[str] = set()  # the fields already read from `memory`
        self._chosen: dict[str, Form] = {}
        self._answered_json: set[str] = set()
        self.answered_json_anywhere = False  # any route of this server has answered JSON
        self.kind: ServerKind | None = None  # None until identified (see `kinds`)
        self.identifying = anyio.Lock()

    def identified(self, kind: ServerKind) -> None:
        """Keep what kind of server this is; GlitchTip's known route forms are taken from now on."""
        self.kind = kind
        if kind.glitchtip:
            for capability in GLITCHTIP_OLDER:
                self._chosen[capability.name] = Form.OLDER

    async def recall_kind(self) -> bool:
        """Take the kind `memory` keeps for this server, if any (once per process); whether it did."""
        value = await self._recall(KIND_FIELD)
        if value is None:
            return False
        name, version = json.loads(value)
        self.identified(ServerKind(str(name), None if version is None else str(version)))
        return True

    async def remember_kind(self) -> None:
        """Write the kind identified here to `memory`."""
        if self.kind is not None:
            await self._remember(KIND_FIELD, json.dumps([self.kind.name, self.kind.version]))

    async def _recall(self, field: str) -> str | None:
        if self.memory is None or field in self._recalled:
            return None
        self._recalled.add(field)
        try:
            return await self.memory.recall(self.server, field)
        except SharedStateUnavailable as exc:
            logger.warning("route forms not shared: %s", exc)
            return None

    async def _remember(self, field: str, value: str) -> None:
        if self.memory is None:
            return
        try:
            await self.memory.remember(self.server, field, value)
        except SharedStateUnavailable as exc:
            logger.warning("route forms not shared: %s", exc)

    async def _choose(self, capability: Capability, form: Form) -> None:
        if self._chosen.get(capability.name) is not form:
            self._chosen[capability.name] = form
            await self._remember(capability.name, form.value)

    def form(self, capability: Capability) -> Form | None:
        """The form this server is known to answer; None until a request has told."""
        return self._chosen.get(capability.name)

    def offers_current(self, capability: Capability) -> bool | None:
        """True/False once known, None before."""
        form = self.form(capability)
        return None if form is None else form is Form.CURRENT

    async def call(
        self, capability: Capability, current: Request, older: Request | NoOlderForm
    ) -> tuple[ApiResponse, Form]:
        """Answer with the known form, or try the current one and fall back (see the module docstring).

        Raises what the chosen route raised, or UnsupportedByServer when neither form is offered.
        """
        if capability.name not in self._chosen:
            recalled = await self._recall(capability.name)
            if recalled in (Form.CURRENT.value, Form.OLDER.value):
                self._chosen.setdefault(capability.name, Form(recalled))
        if self._chosen.get(capability.name) is Form.OLDER:
            if isinstance(older, NoOlderForm):
                raise _unsupported(capability, older)
            return await older(), Form.OLDER
        try:
            response = await current()
        except SentryMonitorError as exc:
            route_was_json = capability.name in self._answered_json
            if exc.answered_json:
                self._answered_json.add(capability.name)
            missing = means_missing(capability, exc, route_was_json, self.answered_json_anywhere)
            if self._chosen.get(capability.name) is Form.CURRENT or not missing:
                raise
            if isinstance(older, NoOlderForm):
                raise _unsupported(capability, older) from None
            try:
                response = await older()
            except SentryMonitorError as second:
                if means_missing(capability, second, route_was_json=False):
                    raise UnsupportedByServer(
                        f"This server offers no {capability.name}: {capability.current} answered "
                        f"{_status(exc)} and {capability.older} answered {_status(second)}.",
                        capability=capability.name,
                    ) from None
                raise
            await self._choose(capability, Form.OLDER)
            return response, Form.OLDER
        self._answered_json.add(capability.name)
        await self._choose(capability, Form.CURRENT)
        return response, Form.CURRENT


_SERVERS: dict[str, Capabilities] = {}


def for_server(api_base: str, memory: FormsMemory | None = None) -> Capabilities:
    """What this process has learned about the server at `api_base` (shared by every client of it); `memory`, when
    given, is where it is shared from now on."""
    server = _SERVERS.setdefault(api_base, Capabilities(api_base))
    if memory is not None:
        server.memory = memory
    return server


def forget_server(api_base: str) -> None:
    """Learn the server anew at next use (e.g. after it was upgraded)."""
    _SERVERS.pop(api_base, None)


def means_missing(
    capability: Capability, exc: SentryMonitorError, route_was_json: bool, server_answered_json: bool = False
) -> bool:
    """Whether a failed answer says the route or parameter is missing (rather than a fault)."""
    status = exc.details.get("status_code")
    if capability.parameters:  # the route exists; only a refusal naming one of the parameters tells
        return status in (400, 422) and bool(set(exc.details.get("rejected_parameters", ())) & capability.parameters)
    if status in MISSING_ROUTE_STATUSES:
        return True
    if exc.answered_json is not False or route_was_json:
        return False
    return status in HTML_MISSING_STATUSES or (status == 200 and server_answered_json)


def _status(exc: SentryMonitorError) -> str:
    status = exc.details.get("status_code")
    return f"HTTP {status}" if status else exc.code


def _unsupported(capability: Capability, why: NoOlderForm) -> UnsupportedByServer:
    return UnsupportedByServer(why.message, recovery=why.recovery, capability=capability.name)
