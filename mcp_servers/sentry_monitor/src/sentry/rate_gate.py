"""Pacing requests to a Sentry endpoint once it has said how fast it may be called.

Sentry limits some endpoints per second (issue details and updates: 5 a second). Retrying each 429 on
its own makes parallel calls collide again and again until their retries run out. Once an endpoint
answers 429, the gate learns its limit (`X-Sentry-Rate-Limit-Limit`, or "Limit is N requests in W
seconds" in the body) and from then on lets at most that many requests a window go out; the others wait
their turn, which costs no retry. Until an endpoint has answered 429, nothing waits.
"""

from __future__ import annotations

import math
import re
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field

import anyio

_LIMIT_TEXT = re.compile(r"Limit is (\d+) requests in (\d+) seconds?")
_ID_SEGMENT = re.compile(r"^(\d+|[A-Z0-9_]+-[0-9A-Z]+|[0-9a-f]{32})$")


def endpoint(method: str, path: Sequence[str]) -> str:
    """The endpoint a request goes to: its method and path with ids blanked (`GET organizations/acme/issues/*`)."""
    return method + " " + "/".join("*" if _ID_SEGMENT.match(segment) else segment for segment in path)


def learned_limit(limit_header: str | None, detail: str) -> tuple[int, float] | None:
    """(requests, window seconds) from a 429's header or body; None when neither says."""
    found = _LIMIT_TEXT.search(detail)
    if found and int(found.group(1)) > 0 and int(found.group(2)) > 0:
        return int(found.group(1)), float(found.group(2))
    if limit_header and limit_header.isdigit() and int(limit_header) > 0:
        return int(limit_header), 1.0
    return None


@dataclass
class _Window:
    limit: int
    seconds: float
    sent: deque[float] = field(default_factory=deque)
    turn: anyio.Lock = field(default_factory=anyio.Lock)  # waiters go out in the order they came


class RateGate:
    """Sliding-window pacing per endpoint, shared by every call of one client."""

    def __init__(self) -> None:
        self._windows: dict[str, _Window] = {}

    def learn(self, key: str, limit: tuple[int, float] | None) -> None:
        if limit is None:
            return
        window = self._windows.get(key)
        if window is None:
            self._windows[key] = _Window(*limit)
        else:
            window.limit, window.seconds = limit

    async def wait_turn(self, key: str) -> None:
        """Wait until `key` may be called again, but never past the caller's deadline (then go anyway)."""
        window = self._windows.get(key)
        if window is None:
            return
        async with window.turn:
            while True:
                now = anyio.current_time()
                while window.sent and window.sent[0] <= now - window.seconds:
                    window.sent.popleft()
                if len(window.sent) < window.limit:
                    break
                wait = window.sent[0] + window.seconds - now
                deadline = anyio.current_effective_deadline()
                if not math.isinf(deadline) and now + wait >= deadline:
                    break
                await anyio.sleep(wait)
            window.sent.append(anyio.current_time())
