"""The rate gate and route forms replicas share through a real redis-server: two gates (two replicas) pace
together at a limit one of them learned, a hold reaches both, and a Redis that stops fails fast, then heals."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import cast

import anyio
import pytest

from mcp_servers.sentry_monitor.src.base.errors import SharedStateUnavailable
from mcp_servers.sentry_monitor.src.sentry.rate_gate import RateHeaders
from mcp_servers.sentry_monitor.src.web.replicas.connection import SharedRedis
from mcp_servers.sentry_monitor.src.web.replicas.forms import RedisForms
from mcp_servers.sentry_monitor.src.web.replicas.rate_gate import RedisRateGate
from tests.redis_server import RedisServer, running_redis
from tests.unit.test_capabilities import check_forms_are_shared

pytestmark = pytest.mark.anyio
ISSUE = "GET organizations/*/issues/*"


@pytest.fixture
def redis_server(tmp_path: Path) -> Iterator[RedisServer]:
    with running_redis(tmp_path) as server:
        yield server


@pytest.fixture
async def replicas(redis_server: RedisServer) -> AsyncIterator[tuple[SharedRedis, SharedRedis]]:
    """Two replicas' connections to one Redis."""
    first, second = SharedRedis(redis_server.url), SharedRedis(redis_server.url)
    yield first, second
    await first.aclose()
    await second.aclose()


async def test_two_replicas_pace_together_at_a_limit_one_of_them_heard(
    replicas: tuple[SharedRedis, SharedRedis],
) -> None:
    first, second = replicas
    gates = RedisRateGate(first), RedisRateGate(second)
    await gates[0].heard("me", ISSUE, RateHeaders(5, 5, None))  # the second replica has heard nothing
    sent_key = first.key("rate", "sent", "me", ISSUE)
    seen: dict[bytes, float] = {}  # each send as Redis's clock recorded it (ms), read before it expires

    async def turn(index: int) -> None:
        await gates[index % 2].wait_turn("me", ISSUE)
        seen.update(cast(list[tuple[bytes, float]], await first.client.zrange(sent_key, 0, -1, withscores=True)))

    started = anyio.current_time()
    async with anyio.create_task_group() as group:
        for index in range(20):
            group.start_soon(turn, index)
    elapsed = anyio.current_time() - started
    sends = sorted(seen.values())
    busiest = max(sum(1 for other in sends if send <= other < send + 1000) for send in sends)
    print(f"20 turns at 5/s over two replicas took {elapsed:.2f} s; at most {busiest} sends in any second")
    assert len(sends) == 20 and busiest <= 5
    assert elapsed >= 2.9  # 5 at once, then 5 in each of the next three windows


async def test_nothing_remaining_holds_every_replica_until_the_reset(
    replicas: tuple[SharedRedis, SharedRedis],
) -> None:
    first, second = replicas
    await RedisRateGate(first).heard("me", ISSUE, RateHeaders(40, 0, time.time() + 1.0))
    other = RedisRateGate(second)
    started = anyio.current_time()
    await other.wait_turn("me", ISSUE)
    assert 0.8 <= anyio.current_time() - started < 1.5
    started = anyio.current_time()
    await other.wait_turn("you", ISSUE)  # another token is not held
    assert anyio.current_time() - started < 0.1


async def test_waiting_stops_at_the_callers_deadline(replicas: tuple[SharedRedis, SharedRedis]) -> None:
    gate = RedisRateGate(replicas[0])
    await gate.learn("me", ISSUE, (1, 10.0))
    await gate.wait_turn("me", ISSUE)
    with anyio.move_on_after(0.3):
        started = anyio.current_time()
        await gate.wait_turn("me", ISSUE)  # would wait 10 s; the deadline is 0.3 s away, so it goes now
        assert anyio.current_time() - started < 0.2


async def test_a_stopped_redis_fails_a_limited_endpoint_fast_and_costs_an_unlimited_one_nothing(
    redis_server: RedisServer, replicas: tuple[SharedRedis, SharedRedis]
) -> None:
    gate = RedisRateGate(replicas[0])
    await gate.learn("me", ISSUE, (2, 1.0))
    await gate.wait_turn("me", "GET organizations")  # asks Redis once: no limit known
    redis_server.stop()
    started = time.monotonic()
    with pytest.raises(SharedStateUnavailable) as raised:
        await gate.wait_turn("me", ISSUE)
    assert time.monotonic() - started < 3 and raised.value.code == "SHARED_STATE_UNAVAILABLE"
    await gate.wait_turn("me", "GET organizations")  # known unlimited: no Redis call
    redis_server.start()
    await gate.wait_turn("me", ISSUE)  # Redis is back, empty: the limit is gone until an answer tells it again
    await gate.heard("me", ISSUE, RateHeaders(1, None, None))
    await gate.wait_turn("me", ISSUE)
    started = time.monotonic()
    await gate.wait_turn("me", ISSUE)
    assert time.monotonic() - started >= 0.9


async def test_forms_and_kind_learned_by_one_replica_are_used_by_another(
    replicas: tuple[SharedRedis, SharedRedis],
) -> None:
    await check_forms_are_shared(RedisForms(replicas[0]), RedisForms(replicas[1]))
