"""The sign-in store's contract, kept alike by the SQLite file (one replica) and Redis (replicas): expiry, single
use, owners, listing; and the Redis lock that serializes renewals across replicas."""

from __future__ import annotations

import io
import signal
import time
from collections.abc import AsyncIterator
from pathlib import Path

import anyio
import pytest
from cryptography.fernet import Fernet

from mcp_servers.sentry_monitor.src.base.errors import SharedStateUnavailable
from mcp_servers.sentry_monitor.src.web.replicas.connection import NEEDED, SharedRedis, shown_url
from mcp_servers.sentry_monitor.src.web.replicas.lock import RedisLocks
from mcp_servers.sentry_monitor.src.web.replicas.records import RedisRecords
from mcp_servers.sentry_monitor.src.web.signin.command import sign_ins_command
from mcp_servers.sentry_monitor.src.web.signin.locks import LocalLocks
from mcp_servers.sentry_monitor.src.web.signin.signins import SignIns
from mcp_servers.sentry_monitor.src.web.signin.store import Records, SignInStore
from mcp_servers.sentry_monitor.src.web.signin.vault import Vault
from tests.redis_server import RedisServer
from tests.unit.test_signin_parts import ANA, GRANT

pytestmark = pytest.mark.anyio
TTL = 0.4  # seconds: short enough for Redis's own clock to pass it in the test


@pytest.fixture(params=["sqlite", "redis"])
async def records(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Records]:
    if request.param == "sqlite":
        store = SignInStore(tmp_path / "s.sqlite3")
        yield store
        await store.close()
    else:
        server: RedisServer = request.getfixturevalue("redis")
        shared = SharedRedis(server.url)
        yield RedisRecords(shared)
        await shared.aclose()


async def test_records_expire_are_taken_once_and_deleted_by_owner(records: Records) -> None:
    await records.put("code", "c1", {"v": 1}, ttl=60, owner="si_1")
    await records.put("access", "a1", {"v": 2}, ttl=60, owner="si_1")
    await records.put("access", "a2", {"v": 3}, ttl=TTL, owner="si_2")
    await records.put("client", "k1", {"v": 4})
    assert await records.take("code", "c1") == {"v": 1} and await records.take("code", "c1") is None
    assert await records.delete_owned("si_1", ("access", "refresh")) == 1
    assert await records.delete_owned("nobody", ("access",)) == 0
    assert [key for key, _ in await records.all("access")] == ["a2"]
    assert await records.merge("access", "a2", {"v": 5}) and await records.get("access", "a2") == {"v": 5}
    assert not await records.merge("access", "nope", {"v": 6})
    await anyio.sleep(TTL + 0.2)
    assert await records.get("access", "a2") is None and not await records.merge("access", "a2", {"v": 7})
    assert await records.all("access") == []
    assert await records.get("client", "k1") == {"v": 4}  # no ttl: kept
    assert await records.delete("client", "k1") and not await records.delete("client", "k1")


async def test_a_merge_sets_only_its_fields_and_keeps_the_expiry(records: Records) -> None:
    """What replicas writing one sign-in at once rely on: a renewal's grant and a call's last-used time both stay."""
    record = {"grant": "g1", "last_used_at": 1.0, "user": {"id": "2", "name": "Ana Lima"}, "scopes": [], "ro": False}
    await records.put("signin", "s1", record, ttl=TTL)
    assert await records.merge("signin", "s1", {"grant": "g2"})
    assert await records.merge("signin", "s1", {"last_used_at": 2.5})
    assert await records.get("signin", "s1") == {**record, "grant": "g2", "last_used_at": 2.5}  # the rest as it was
    # a key rotation that read g1 does not write over the renewal's g2
    assert not await records.merge("signin", "s1", {"grant": "g1 again"}, unless={"grant": "g1"})
    assert await records.merge("signin", "s1", {"grant": "g3"}, unless={"grant": "g2"})
    assert (await records.get("signin", "s1") or {})["grant"] == "g3"
    await anyio.sleep(TTL + 0.2)  # merging kept the expiry
    assert await records.get("signin", "s1") is None


async def test_merges_at_once_lose_no_field(records: Records) -> None:
    """Two replicas changing other fields of one record at the same moment: both changes stay."""
    await records.put("signin", "s1", {"n0": 0}, ttl=60)

    async def set_field(index: int) -> None:
        assert await records.merge("signin", "s1", {f"n{index}": index})

    async with anyio.create_task_group() as group:
        for index in range(1, 9):
            group.start_soon(set_field, index)
    assert await records.get("signin", "s1") == {f"n{index}": index for index in range(9)}


async def test_expire_gives_a_live_record_a_new_expiry(records: Records) -> None:
    await records.put("client", "k1", {"v": 1}, ttl=TTL)
    await records.put("client", "k2", {"v": 2}, ttl=TTL)
    assert await records.expire("client", "k1", 60) and not await records.expire("client", "nope", 60)
    await anyio.sleep(TTL + 0.2)
    assert await records.get("client", "k1") == {"v": 1} and await records.get("client", "k2") is None
    assert not await records.expire("client", "k2", 60)  # expired: not brought back


async def test_of_two_takers_one_gets_a_single_use_code(records: Records) -> None:
    await records.put("code", "c1", {"v": 1}, ttl=60)
    got: list[object] = []

    async def take() -> None:
        got.append(await records.take("code", "c1"))

    async with anyio.create_task_group() as group:
        for _ in range(8):
            group.start_soon(take)
    assert sorted(map(str, got)) == ["None"] * 7 + ["{'v': 1}"]


async def test_listing_is_in_the_order_records_came_and_a_sweep_drops_expired_entries(redis: RedisServer) -> None:
    shared = SharedRedis(redis.url)
    records = RedisRecords(shared)
    for key in ("s1", "s2", "s3"):
        await records.put("signin", key, {"k": key}, ttl=TTL if key == "s2" else 60)
    await records.put("signin", "s1", {"k": "s1 again"}, ttl=60)  # a put again keeps its place
    assert [key for key, _ in await records.all("signin")] == ["s1", "s2", "s3"]
    await anyio.sleep(TTL + 0.2)
    assert await records.purge() == 1
    assert [value["k"] for _, value in await records.all("signin")] == ["s1 again", "s3"]
    await shared.aclose()


async def test_a_sign_ins_set_of_records_lives_as_long_as_its_longest(redis: RedisServer) -> None:
    shared = SharedRedis(redis.url)
    records = RedisRecords(shared)
    await records.put("access", "a", {}, ttl=3600, owner="si_1")
    await records.put("code", "c", {}, ttl=300, owner="si_1")  # a shorter one does not shorten the set
    ttl = int(redis.command("TTL", shared.key("own", "si_1")).strip(b":\r\n"))
    assert 3590 <= ttl <= 3600
    await shared.aclose()


async def test_redis_down_is_a_clear_error_within_seconds_and_up_again_works(redis: RedisServer) -> None:
    shared = SharedRedis(redis.url)
    records = RedisRecords(shared)
    await records.put("signin", "s1", {"v": 1}, ttl=60)
    redis.stop()
    started = time.monotonic()
    with pytest.raises(SharedStateUnavailable) as raised:
        await records.get("signin", "s1")
    assert time.monotonic() - started < 3
    assert raised.value.code == "SHARED_STATE_UNAVAILABLE" and raised.value.retryable
    assert redis.url not in raised.value.message and not await shared.ping() and await shared.version() is None
    redis.start()
    await records.put("signin", "s2", {"v": 2}, ttl=60)  # the pool's dead connection is replaced
    assert await records.get("signin", "s2") == {"v": 2} and await shared.ping()
    version = await shared.version()
    assert version is not None and version >= NEEDED  # what the replicas need, and CI's Redis has
    await shared.aclose()


async def test_a_redis_restarted_between_calls_costs_no_call(redis: RedisServer) -> None:
    shared = SharedRedis(redis.url)
    records = RedisRecords(shared)
    await records.put("signin", "s1", {"v": 1}, ttl=60)
    assert [await records.get("signin", "s1") for _ in range(3)] == [{"v": 1}] * 3
    redis.stop()  # saved to disk: the pool's connections are now dead, which it learns only by using them
    redis.start()
    got: list[object] = []

    async def get() -> None:
        got.append(await records.get("signin", "s1"))

    async with anyio.create_task_group() as group:
        for _ in range(5):
            group.start_soon(get)
    assert got == [{"v": 1}] * 5  # each dead connection replaced and the command sent again
    await shared.aclose()


async def test_a_redis_that_stops_answering_is_an_error_within_seconds_not_a_hang(redis: RedisServer) -> None:
    """A Redis that accepts nothing more and answers nothing (paused, or a network that drops packets)."""
    shared = SharedRedis(redis.url)
    records = RedisRecords(shared)
    await records.put("signin", "s1", {"v": 1}, ttl=60)
    assert redis.process is not None
    redis.process.send_signal(signal.SIGSTOP)
    try:
        started = time.monotonic()
        with pytest.raises(SharedStateUnavailable) as raised:
            await records.get("signin", "s1")
        waited = time.monotonic() - started
    finally:
        redis.process.send_signal(signal.SIGCONT)
    # each try times out after 2 s, and a timed-out command is tried once more on a new connection
    assert 3.5 <= waited < 7 and raised.value.details["reason"] == "TimeoutError", (waited, raised.value.details)
    assert await records.get("signin", "s1") == {"v": 1}
    await shared.aclose()


def test_a_redis_url_is_shown_without_its_password() -> None:
    assert shown_url("redis://:s3cret@cache.internal:6380/2") == "redis://cache.internal:6380/2"
    assert shown_url("unix:///run/redis.sock") == "unix:///run/redis.sock"


@pytest.mark.parametrize("kind", ["local", "redis"])
async def test_a_lock_lets_one_holder_in_at_a_time(kind: str, request: pytest.FixtureRequest) -> None:
    shared: SharedRedis | None = None
    if kind == "redis":
        shared = SharedRedis(request.getfixturevalue("redis").url)
        replicas: list[LocalLocks | RedisLocks] = [RedisLocks(shared), RedisLocks(shared)]  # two replicas' locks
    else:
        one = LocalLocks()
        replicas = [one, one]
    inside, most = [0], [0]

    async def hold(locks: LocalLocks | RedisLocks) -> None:
        async with locks.locked("renew:si_1"):
            inside[0] += 1
            most[0] = max(most[0], inside[0])
            await anyio.sleep(0.02)
            inside[0] -= 1

    async with anyio.create_task_group() as group:
        for index in range(10):
            group.start_soon(hold, replicas[index % 2])
    assert most[0] == 1
    if shared is not None:
        await shared.aclose()


async def test_a_redis_lock_whose_holder_died_frees_after_its_lease(redis: RedisServer) -> None:
    shared = SharedRedis(redis.url)
    dead, alive = RedisLocks(shared, lease_s=0.3), RedisLocks(shared, lease_s=0.3)
    name = shared.key("lock", "renew:si_1")
    redis.command("SET", name, "held-by-a-killed-replica", "PX", "300")
    started = time.monotonic()
    async with alive.locked("renew:si_1"):
        waited = time.monotonic() - started
        async with dead.locked("other"):
            pass
    assert 0.2 <= waited < 1.5
    assert redis.command("EXISTS", name).strip() == b":0"  # released by its holder
    await shared.aclose()


def test_the_sign_ins_command_reads_and_revokes_in_redis(redis: RedisServer) -> None:
    async def sign_in() -> str:
        shared = SharedRedis(redis.url)
        signins = SignIns(RedisRecords(shared), Vault(Fernet.generate_key().decode()))
        signin = await signins.create(ANA, ("c", "Claude"), True, "api-token", "sandbox", GRANT)
        await shared.aclose()
        return signin.id

    signin_id = anyio.run(sign_in)
    env = {"SENTRY_MONITOR_REDIS_URL": redis.url}
    listed = io.StringIO()
    assert sign_ins_command(["list"], env, listed) == 0
    assert signin_id in listed.getvalue() and "ana@example.com" in listed.getvalue()
    revoked = io.StringIO()
    assert sign_ins_command(["revoke", "ana@example.com"], env, revoked) == 0 and signin_id in revoked.getvalue()
    assert sign_ins_command(["list"], env, listed := io.StringIO()) == 0 and "nobody is signed in" in listed.getvalue()
    assert sign_ins_command(["list"], {"SENTRY_MONITOR_REDIS_URL": "http://nope"}, io.StringIO()) == 2
    redis.stop()
    assert sign_ins_command(["list"], env, io.StringIO()) == 1  # says Redis did not answer
