"""The fault plan: which `/api/0/` requests get a fault instead of (or around) their real answer.

A `FaultSpec` is one validated fault; `FaultPlan` holds them in the order added and picks the fault for
each request. The plan is shared by the test thread (which adds faults) and the server thread (which
picks them), so every method takes its lock. `faults.py` turns a picked spec into the HTTP answer.
"""

from __future__ import annotations

import json
import math
import re
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field, replace
from typing import Any

# The fields each kind takes besides the common `kind`, `path`, `method` and `times`.
KIND_FIELDS: dict[str, tuple[str, ...]] = {
    "rate_limit": ("status", "retry_after", "reset_in", "body"),
    "error": ("status", "retry_after", "body"),
    "html": ("status", "retry_after", "body"),
    "slow": ("delay",),
    "hang": (),
    "drop": ("body",),
    "bad_json": ("body",),
    "wrong_shape": ("body",),
    "empty": (),
    "huge": ("size", "body"),
    "link_loop": (),
    "throttle": ("rate",),
    "sentry_rate_limit": ("rate",),
}
REQUIRED_FIELDS = {"slow": ("delay",), "throttle": ("rate",), "sentry_rate_limit": ("rate",)}
NEVER_SPENT = ("throttle", "sentry_rate_limit")  # kinds that refuse `times`
COMMON_FIELDS = ("kind", "path", "query", "method", "times")
HUGE_WITH_LENGTH = "content-length"
THROTTLE_WINDOW_SECONDS = 1.0


class FaultError(ValueError):
    """An invalid fault: unknown kind or field, wrong type, or a field the kind does not take."""


@dataclass(frozen=True)
class FaultSpec:
    """One fault as given: `SandboxServer.add_fault` and `POST /_sandbox/faults` take the same names.

    `path` is a regular expression searched in the request path (`""` matches every API path),
    `query` one searched in the raw query string (e.g. `"cursor="` for pages after the first),
    `method` an HTTP method or None for any, `times` how many requests the fault answers before it
    is spent (None: every one). The other fields belong to some kinds only (see `KIND_FIELDS`).
    """

    kind: str
    path: str = ""
    query: str = ""
    method: str | None = None
    times: int | None = None
    status: int | None = None
    retry_after: float | None = None
    reset_in: float | None = None
    delay: float | None = None
    size: int | None = None
    body: Any = None
    rate: float | None = None


def parse_fault(fields: Mapping[str, Any]) -> FaultSpec:
    """A `FaultSpec` from keyword fields (None means absent); raises FaultError naming the bad field."""
    given = {name: value for name, value in fields.items() if value is not None}
    kind = given.get("kind")
    if not isinstance(kind, str) or kind not in KIND_FIELDS:
        raise FaultError(f"unknown fault kind {kind!r}; kinds: {', '.join(KIND_FIELDS)}")
    allowed = COMMON_FIELDS + KIND_FIELDS[kind]
    for name in given:
        if name not in FaultSpec.__dataclass_fields__:
            raise FaultError(f"unknown fault field {name!r}; fields: {', '.join(FaultSpec.__dataclass_fields__)}")
        if name not in allowed or (kind in NEVER_SPENT and name == "times"):
            takes = ", ".join(KIND_FIELDS[kind]) or "no other field"
            raise FaultError(f"field {name!r} does not apply to kind {kind!r} (it takes {takes})")
    for name in REQUIRED_FIELDS.get(kind, ()):
        if name not in given:
            raise FaultError(f"kind {kind!r} needs {name!r}")
    _check_types(kind, given)
    if "method" in given:
        given["method"] = given["method"].upper()
    return FaultSpec(**given)


def _check_types(kind: str, given: dict[str, Any]) -> None:
    def number(name: str, low: float, strict: bool = False) -> None:
        value = given.get(name)
        if value is None:
            return
        if isinstance(value, bool) or not isinstance(value, int | float) or value < low or (strict and value == low):
            raise FaultError(f"{name!r} must be a number {'>' if strict else '>='} {low:g}, not {value!r}")

    def whole(name: str, low: int, high: int | None = None) -> None:
        value = given.get(name)
        if value is None:
            return
        if isinstance(value, bool) or not isinstance(value, int) or value < low or (high and value > high):
            bounds = f"from {low} to {high}" if high else f">= {low}"
            raise FaultError(f"{name!r} must be a whole number {bounds}, not {value!r}")

    for name in ("path", "query", "method"):
        if name in given and not isinstance(given[name], str):
            raise FaultError(f"{name!r} must be a string, not {given[name]!r}")
    for name in ("path", "query"):
        try:
            re.compile(given.get(name, ""))
        except re.error as exc:
            raise FaultError(f"{name!r} is not a valid regular expression: {exc}") from exc
    whole("times", 1)
    whole("status", 400, 599)
    whole("size", 2)
    number("retry_after", 0)
    number("reset_in", 0)
    number("delay", 0)
    if kind == "sentry_rate_limit":
        whole("rate", 1)  # Sentry's limits are whole requests a window
    number("rate", 0, strict=True)
    body = given.get("body")
    if body is None:
        return
    if kind == "huge" and body != HUGE_WITH_LENGTH:
        raise FaultError(f"'body' of kind 'huge' can only be {HUGE_WITH_LENGTH!r} (send a Content-Length)")
    if kind in ("html", "drop", "bad_json") and not isinstance(body, str):
        raise FaultError(f"'body' of kind {kind!r} must be a string")
    try:
        json.dumps(body)
    except (TypeError, ValueError) as exc:
        raise FaultError(f"'body' must be JSON-serialisable: {exc}") from exc


def throttle_window(rate: float) -> tuple[int, float]:
    """(requests, seconds) of a sliding window averaging `rate`/s: `(5, 1.0)` for 5, `(1, 2.0)` for 0.5."""
    capacity = max(1, math.floor(rate))
    return capacity, capacity * THROTTLE_WINDOW_SECONDS / rate


@dataclass(frozen=True)
class RateWindow:
    """Where a request stands in a `sentry_rate_limit` window: the limit, what remains after it, the unix second
    the window resets, and whether it is over the limit."""

    limit: int
    remaining: int
    reset: int
    over: bool


@dataclass
class _LiveFault:
    spec: FaultSpec
    pattern: re.Pattern[str]
    query_pattern: re.Pattern[str]
    hits: int = 0
    admitted: deque[float] = field(default_factory=deque)
    second: int = 0  # the unix second of the current `sentry_rate_limit` window, and its count per caller
    used: dict[tuple[str, ...], int] = field(default_factory=dict)

    def matches(self, method: str, path: str, query: str) -> bool:
        spent = self.spec.times is not None and self.hits >= self.spec.times
        wrong_method = self.spec.method is not None and self.spec.method != method
        found = self.pattern.search(path) is not None and self.query_pattern.search(query) is not None
        return not spent and not wrong_method and found

    def throttle_wait(self, now: float) -> float | None:
        """None when a slot is free (and taken); else the seconds until the oldest slot frees."""
        capacity, window = throttle_window(self.spec.rate or 1.0)
        while self.admitted and self.admitted[0] <= now - window:
            self.admitted.popleft()
        if len(self.admitted) < capacity:
            self.admitted.append(now)
            return None
        return self.admitted[0] + window - now

    def view(self) -> dict[str, Any]:
        return {**asdict(self.spec), "hits": self.hits}


class FaultPlan:
    """The faults to inject, checked in the order added; thread-safe. `clock` times throttle windows,
    `wall_clock` (unix seconds) the fixed windows of `sentry_rate_limit`."""

    def __init__(
        self, clock: Callable[[], float] = time.monotonic, wall_clock: Callable[[], float] = time.time
    ) -> None:
        self._clock = clock
        self._wall_clock = wall_clock
        self._lock = threading.Lock()
        self._faults: list[_LiveFault] = []

    def add(self, spec: FaultSpec) -> dict[str, Any]:
        """Append a fault; returns its view (the spec's fields plus `"hits": 0`)."""
        live = _LiveFault(spec, re.compile(spec.path), re.compile(spec.query))
        with self._lock:
            self._faults.append(live)
            return live.view()

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()

    def hits(self) -> list[dict[str, Any]]:
        """One dict per fault, in order: its spec's fields plus `hits`, the requests it answered."""
        with self._lock:
            return [fault.view() for fault in self._faults]

    def pick(self, method: str, path: str, query: str = "") -> FaultSpec | None:
        """The first live fault matching the request, counted as a hit; None lets the route answer.

        A `throttle` with a free slot takes the slot and lets the search go on (a later fault may
        still apply); a full one answers, as a copy of its spec whose `retry_after` (rounded up to
        0.1 s) and `reset_in` say when a slot frees. A `sentry_rate_limit` answers every request it
        matches; its answer asks `rate_window` whether the request is over the limit (and counts it then).
        """
        now = self._clock()
        with self._lock:
            for fault in self._faults:
                if not fault.matches(method, path, query):
                    continue
                if fault.spec.kind == "throttle":
                    wait = fault.throttle_wait(now)
                    if wait is None:
                        continue
                    fault.hits += 1
                    return replace(fault.spec, retry_after=max(0.1, math.ceil(wait * 10) / 10), reset_in=wait)
                if fault.spec.kind != "sentry_rate_limit":
                    fault.hits += 1
                return fault.spec
        return None

    def rate_window(self, spec: FaultSpec, caller: tuple[str, ...]) -> RateWindow:
        """Count a request of `caller` (its token, method and route pattern) in the current fixed window of the
        `sentry_rate_limit` fault `spec` (one second, ending on a whole unix second, as Sentry's); a request over
        the limit counts as a hit."""
        now = self._wall_clock()
        second, limit = math.floor(now), int(spec.rate or 1)
        with self._lock:
            fault = next((fault for fault in self._faults if fault.spec is spec), None)
            if fault is None:  # cleared since it was picked: the request goes through
                return RateWindow(limit, limit, second + 1, over=False)
            if fault.second != second:
                fault.second = second
                fault.used.clear()
            used = fault.used[caller] = fault.used.get(caller, 0) + 1
            over = used > limit
            fault.hits += over
            return RateWindow(limit, max(0, limit - used), second + 1, over)
