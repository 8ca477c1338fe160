from __future__ import annotations

import time

import anyio
import httpx
import pytest

from mcp_servers.sentry_monitor.src.sentry.rate_gate import (
    LocalRateGate,
    RateHeaders,
    endpoint,
    learned_limit,
    token_scope,
)

pytestmark = pytest.mark.anyio


def test_endpoints_blank_ids_but_keep_routes_apart() -> None:
    assert endpoint("GET", ["organizations", "acme", "issues", "123"]) == "GET organizations/acme/issues/*"
    assert endpoint("GET", ["organizations", "acme", "issues", "BACKEND-1A"]) == "GET organizations/acme/issues/*"
    assert endpoint("PUT", ["organizations", "acme", "issues", "1"]) != endpoint(
        "GET", ["organizations", "acme", "issues", "1"]
    )
    events = endpoint("GET", ["organizations", "acme", "issues", "1", "events", "latest"])
    assert events == "GET organizations/acme/issues/*/events/latest"


def test_limits_are_read_from_the_body_first_then_the_header() -> None:
    body = "You are attempting to use this endpoint too frequently. Limit is 40 requests in 10 seconds"
    assert learned_limit("5", body) == (40, 10.0)
    assert learned_limit("5", "slow down") == (5, 1.0)
    assert learned_limit(None, "slow down") is None and learned_limit("0", "") is None


async def test_an_unlearned_endpoint_never_waits() -> None:
    gate = LocalRateGate()
    started = anyio.current_time()
    for _ in range(100):
        await gate.wait_turn("me", "GET x")
    assert anyio.current_time() - started < 0.05


async def test_a_learned_endpoint_is_paced_to_its_limit() -> None:
    gate = LocalRateGate()
    await gate.learn("me", "GET x", (5, 0.2))
    started = anyio.current_time()
    for _ in range(11):  # 5 now, 5 after one window, 1 after two
        await gate.wait_turn("me", "GET x")
    assert 0.38 <= anyio.current_time() - started < 0.6


async def test_waiting_stops_at_the_deadline() -> None:
    gate = LocalRateGate()
    await gate.learn("me", "GET x", (1, 10.0))
    await gate.wait_turn("me", "GET x")
    with anyio.fail_after(1):
        with anyio.move_on_after(0.2):
            started = anyio.current_time()
            await gate.wait_turn("me", "GET x")  # would wait 10 s; the deadline is 0.2 s away, so it goes now
            assert anyio.current_time() - started < 0.1


def test_a_token_is_known_by_a_fingerprint_only() -> None:
    scope = token_scope("sntryu_secret")
    assert len(scope) == 16 and "secret" not in scope
    assert scope == token_scope("sntryu_secret") != token_scope("sntryu_other")


def test_rate_headers_are_read_from_any_answer() -> None:
    headers = httpx.Headers(
        {"X-Sentry-Rate-Limit-Limit": "5", "X-Sentry-Rate-Limit-Remaining": "3", "X-Sentry-Rate-Limit-Reset": "17"}
    )
    assert RateHeaders.read(headers) == RateHeaders(5, 3, 17.0)
    assert RateHeaders.read(httpx.Headers({"X-Sentry-Rate-Limit-Limit": "5"})) == RateHeaders(5, None, None)
    assert RateHeaders.read(httpx.Headers({"X-Sentry-Rate-Limit-Limit": "0"})) is None
    assert RateHeaders.read(httpx.Headers({"X-Sentry-Rate-Limit-Remaining": "0"})) is None
    assert RateHeaders(5, 0, time.time() + 3600).hold_s() == 60.0  # a far reset is a clock off, not a window
    assert RateHeaders(5, 1, time.time() + 1).hold_s() == 0.0
    assert [RateHeaders(5, 3, None).used(), RateHeaders(5, None, None).used()] == [2, 1]
    assert [RateHeaders(5, 0, time.time() + 1).used(), RateHeaders(5, 0, None).used()] == [0, 5]


async def test_a_limit_heard_on_a_success_paces_the_endpoint() -> None:
    gate = LocalRateGate()
    await gate.heard("me", "GET x", RateHeaders(3, 2, None))
    started = anyio.current_time()
    for _ in range(4):  # 3 now, the 4th after a second
        await gate.wait_turn("me", "GET x")
    assert 0.95 <= anyio.current_time() - started < 1.3


async def test_limits_are_kept_per_token() -> None:
    gate = LocalRateGate()
    await gate.heard("me", "GET x", RateHeaders(1, None, None))
    await gate.wait_turn("me", "GET x")
    started = anyio.current_time()
    await gate.wait_turn("you", "GET x")
    await gate.wait_turn("me", "GET y")
    assert anyio.current_time() - started < 0.05


async def test_nothing_remaining_holds_the_endpoint_until_the_reset() -> None:
    gate = LocalRateGate()
    await gate.heard("me", "GET x", RateHeaders(40, 0, time.time() + 0.5))
    started = anyio.current_time()
    await gate.wait_turn("me", "GET x")
    assert 0.45 <= anyio.current_time() - started < 0.7


async def test_a_header_keeps_the_window_a_429_taught() -> None:
    gate = LocalRateGate()
    await gate.learn("me", "GET x", (2, 0.3))
    await gate.heard("me", "GET x", RateHeaders(1, None, None))
    started = anyio.current_time()
    for _ in range(3):  # 1 a 0.3 s window: the 3rd after two windows
        await gate.wait_turn("me", "GET x")
    assert 0.58 <= anyio.current_time() - started < 0.8
