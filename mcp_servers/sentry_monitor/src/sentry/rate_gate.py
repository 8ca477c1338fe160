"""Pacing requests to a Sentry endpoint once it has said how fast a caller may call it.

Sentry limits its endpoints per caller, endpoint and method, in fixed windows (issue details and updates: 5 a
second). Retrying each 429 on its own makes parallel calls collide again and again until their retries run out. So a
gate learns each endpoint's limit, per token, and from then on lets at most that many requests a window go out; the
others wait their turn, which costs no retry. It learns from:

- every answer of a limited endpoint, success included (`heard`): `X-Sentry-Rate-Limit-Limit` is the limit,
  and `-Remaining: 0` holds the endpoint until `-Reset` (the unix second its window ends);
- a 429 (`learn`): "Limit is N requests in W seconds" in the body, else the Limit header (then 1 second).

Until an endpoint has told its limit, requests are not paced, but the first request to an endpoint that has not
answered yet (per scope, in this process) goes alone: requests sent with it wait for its answer (`scout`), which
tells the limit. Otherwise a burst of parallel calls would all leave before any answer and most would be answered
429. The wait is one round trip, once per endpoint, and only for requests sent together with the first. A token is
never a key: it is known by its `scope`, a fingerprint (`token_scope`), or its user's (`user:<id>`). `LocalRateGate`
paces the calls of one process (stdio, one replica); the team server's replicas share one gate through Redis
(`web/replicas/rate_gate.py`).
"""

from __future__ import annotations

import hashlib
import math
import re
import time
from abc import ABC, abstractmethod
from collections import deque
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import anyio

_LIMIT_TEXT = re.compile(r"Limit is (\d+) requests in (\d+) seconds?")
_ID_SEGMENT = re.compile(r"^(\d+|[A-Z0-9_]+-[0-9A-Z]+|[0-9a-f]{32})$")
# The window a limit heard from a header is taken to have: the headers do not say it, and Sentry's
# per-endpoint limits are per second.
HEADER_WINDOW_S = 1.0
# The longest hold a `-Reset` header may ask for; a farther one is a clock far off, not a window.
MAX_HOLD_S = 60.0


def endpoint(method: str, path: Sequence[str]) -> str:
    """The endpoint a request goes to: its method and path with ids blanked (`GET organizations/acme/issues/*`)."""
    return method + " " + "/".join("*" if _ID_SEGMENT.match(segment) else segment for segment in path)


def token_scope(auth_token: str) -> str:
    """What a gate knows a token by: the first 16 hex digits of its SHA-256 (never the token itself)."""
    return hashlib.sha256(auth_token.encode()).hexdigest()[:16]


def learned_limit(limit_header: str | None, detail: str) -> tuple[int, float] | None:
    """(requests, window seconds) from a 429's header or body; None when neither says."""
    found = _LIMIT_TEXT.search(detail)
    if found and int(found.group(1)) > 0 and int(found.group(2)) > 0:
        return int(found.group(1)), float(found.group(2))
    if limit_header and limit_header.isdigit() and int(limit_header) > 0:
        return int(limit_header), HEADER_WINDOW_S
    return None


@dataclass(frozen=True)
class RateHeaders:
    """What an answer's `X-Sentry-Rate-Limit-*` headers say: the limit, what is left of it, and when it resets
    (unix seconds); the last two None when absent."""

    limit: int
    remaining: int | None
    reset: float | None

    @classmethod
    def read(cls, headers: Mapping[str, str]) -> RateHeaders | None:
        """The rate-limit headers of an answer; None when it has no usable `X-Sentry-Rate-Limit-Limit`."""
        limit = headers.get("x-sentry-rate-limit-limit", "")
        if not limit.isdigit() or int(limit) == 0:
            return None
        remaining = headers.get("x-sentry-rate-limit-remaining", "")
        try:
            reset: float | None = float(headers.get("x-sentry-rate-limit-reset", ""))
        except ValueError:
            reset = None
        return cls(int(limit), int(remaining) if remaining.isdigit() else None, reset)

    def used(self) -> int:
        """How much of the limit the window has used, as far as the answer says: all but `remaining`, or none when
        the endpoint is held until the reset (then all of it is free again), or at least the answer's own request."""
        if self.remaining is None:
            return 1
        if self.hold_s() > 0:
            return 0
        return self.limit - min(self.limit, self.remaining)

    def hold_s(self) -> float:
        """How long the endpoint must wait from now: until `reset` when nothing `remaining`, else 0 (at most
        MAX_HOLD_S)."""
        if self.remaining != 0 or self.reset is None:
            return 0.0
        return min(MAX_HOLD_S, max(0.0, self.reset - time.time()))


def can_wait(seconds: float) -> bool:
    """Whether waiting `seconds` from now ends before the caller's deadline (`anyio.current_effective_deadline`)."""
    deadline = anyio.current_effective_deadline()
    return math.isinf(deadline) or anyio.current_time() + seconds < deadline


class RateGate(ABC):
    """What `SentryClient` asks before each request and tells after each answer. `scope` is `token_scope` of the
    request's token, `endpoint` what `endpoint()` names. Implementations raise nothing of Sentry's; one that
    keeps its knowledge elsewhere raises SharedStateUnavailable when it cannot reach it."""

    def __init__(self) -> None:
        self._answered: set[tuple[str, str]] = set()  # (scope, endpoint) that has answered in this process
        self._scouts: dict[tuple[str, str], anyio.Event] = {}  # the first request out, and when it is back

    async def scout(self, scope: str, endpoint: str) -> bool:
        """Return when a request may go: at once to an endpoint that has answered; else the first request goes
        alone (True: this one is the scout; call `scouted` when it ends) and the others wait until it is answered
        or ends without an answer (then one of them goes next)."""
        key = scope, endpoint
        while key not in self._answered:
            out = self._scouts.get(key)
            if out is None:
                self._scouts[key] = anyio.Event()
                return True
            await out.wait()
        return False

    def answered(self, scope: str, endpoint: str) -> None:
        """An answer came from `endpoint` (after its rate-limit headers were heard): its waiters may go."""
        self._answered.add((scope, endpoint))
        self.scouted(scope, endpoint)

    def scouted(self, scope: str, endpoint: str) -> None:
        """The scout's request ended, answered or not."""
        out = self._scouts.pop((scope, endpoint), None)
        if out is not None:
            out.set()

    @abstractmethod
    async def wait_turn(self, scope: str, endpoint: str) -> None:
        """Wait until `endpoint` may be called again with this token, but never past the caller's deadline (then
        go anyway). Returns at once for an endpoint that has not told a limit."""

    @abstractmethod
    async def learn(self, scope: str, endpoint: str, limit: tuple[int, float]) -> None:
        """Keep the limit (requests, window seconds) a 429 told."""

    @abstractmethod
    async def heard(self, scope: str, endpoint: str, headers: RateHeaders) -> None:
        """Keep what an answer's rate-limit headers say: the limit (the window learned before, else 1 second) and,
        when nothing remains, a hold until the window resets."""


@dataclass
class _Window:
    limit: int
    seconds: float
    sent: deque[float] = field(default_factory=deque)
    held_until: float = 0.0  # anyio time; nothing goes before it
    turn: anyio.Lock = field(default_factory=anyio.Lock)  # waiters go out in the order they came


class LocalRateGate(RateGate):
    """Sliding-window pacing per token and endpoint, kept in this process (stdio and one-replica servers)."""

    def __init__(self) -> None:
        super().__init__()
        self._windows: dict[tuple[str, str], _Window] = {}

    async def learn(self, scope: str, endpoint: str, limit: tuple[int, float]) -> None:
        window = self._windows.get((scope, endpoint))
        if window is None:
            self._windows[scope, endpoint] = _Window(*limit)
        else:
            window.limit, window.seconds = limit

    async def heard(self, scope: str, endpoint: str, headers: RateHeaders) -> None:
        window = self._windows.get((scope, endpoint))
        if window is None:
            now = anyio.current_time()
            sent = deque([now] * headers.used())
            window = self._windows[scope, endpoint] = _Window(headers.limit, HEADER_WINDOW_S, sent)
        window.limit = headers.limit
        window.held_until = max(window.held_until, anyio.current_time() + headers.hold_s())

    async def wait_turn(self, scope: str, endpoint: str) -> None:
        window = self._windows.get((scope, endpoint))
        if window is None:
            return
        async with window.turn:
            while True:
                now = anyio.current_time()
                while window.sent and window.sent[0] <= now - window.seconds:
                    window.sent.popleft()
                wait = window.held_until - now
                if len(window.sent) >= window.limit:
                    wait = max(wait, window.sent[0] + window.seconds - now)
                if wait <= 0 or not can_wait(wait):
                    break
                await anyio.sleep(wait)
            window.sent.append(anyio.current_time())
