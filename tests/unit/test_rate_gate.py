from __future__ import annotations

import anyio
import pytest

from mcp_servers.sentry_monitor.src.sentry.rate_gate import RateGate, endpoint, learned_limit

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
    gate = RateGate()
    started = anyio.current_time()
    for _ in range(100):
        await gate.wait_turn("GET x")
    assert anyio.current_time() - started < 0.05


async def test_a_learned_endpoint_is_paced_to_its_limit() -> None:
    gate = RateGate()
    gate.learn("GET x", (5, 0.2))
    started = anyio.current_time()
    for _ in range(11):  # 5 now, 5 after one window, 1 after two
        await gate.wait_turn("GET x")
    assert 0.38 <= anyio.current_time() - started < 0.6


async def test_waiting_stops_at_the_deadline() -> None:
    gate = RateGate()
    gate.learn("GET x", (1, 10.0))
    await gate.wait_turn("GET x")
    with anyio.fail_after(1):
        with anyio.move_on_after(0.2):
            started = anyio.current_time()
            await gate.wait_turn("GET x")  # would wait 10 s; the deadline is 0.2 s away, so it goes now
            assert anyio.current_time() - started < 0.1
