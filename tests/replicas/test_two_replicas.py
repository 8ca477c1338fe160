"""Two team-server replicas sharing one real Redis behind a real nginx (docs/deploy.md's configuration, with TLS):
a client signed in once is served by both in turn, on both protocol versions; a renewal of the user's Sentry token
happens once for calls spread over both; Redis stopped and started again mid-run; a replica killed mid-run."""

from __future__ import annotations

import secrets
import signal
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import anyio
import pytest

from mcp_servers.sentry_sandbox import SandboxServer
from tests.e2e.http_process import fetch, http_server, mcp_client, new_key
from tests.e2e.signin_flow import Browser, MemoryStorage, calls_near_a_renewal, sandbox_app, signed_in
from tests.e2e.test_signin import data_of
from tests.ledger import LEDGER
from tests.redis_server import RedisServer, need_redis_server
from tests.replicas.cluster import Cluster, cluster

pytestmark = pytest.mark.anyio
SIGN_IN_PATHS = ("/register", "/authorize", "/signin/consent", "/signin/callback", "/token")
RECENT = {"project_slug": "backend", "limit": 1}


@pytest.fixture(scope="module")
def signed_in_cluster(
    sandbox: SandboxServer, redis_server: RedisServer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Cluster]:
    with cluster(
        (sandbox.url, sandbox.org_slug),
        redis_server,
        tmp_path_factory.mktemp("cluster"),
        oauth_app=sandbox_app(sandbox),
    ) as running:
        yield running


@pytest.fixture
def both(signed_in_cluster: Cluster, redis: RedisServer) -> Cluster:
    """The cluster, its Redis up and emptied (no sign-in of an earlier test left)."""
    return signed_in_cluster


@pytest.mark.parametrize("mode", ["legacy", "2026-07-28"])
async def test_a_client_signed_in_once_is_served_by_both_replicas_in_turn(both: Cluster, mode: str) -> None:
    browser = Browser("ana", verify=both.tls)
    before = both.served()
    async with signed_in(both.url, browser, mode=mode, verify=both.tls) as client:
        results = [await client.call_tool("get-recent-issues", RECENT) for _ in range(10)]
    assert [result.is_error for result in results] == [False] * 10
    served = [after - earlier for after, earlier in zip(both.served(), before, strict=True)]
    # nginx's round robin: every other request goes to the other replica, the grant made on one used by the other
    assert min(served) >= 5 and abs(served[0] - served[1]) <= 2, served
    signing_in = [[path for path in SIGN_IN_PATHS if f" {path} " in replica.log_text()] for replica in both.replicas]
    assert all(signing_in) and set(signing_in[0]) | set(signing_in[1]) == set(SIGN_IN_PATHS), signing_in


async def test_the_sentry_token_is_renewed_once_for_calls_spread_over_both_replicas(
    both: Cluster, sandbox: SandboxServer
) -> None:
    served = both.served()
    results, refreshes = await calls_near_a_renewal(both.url, sandbox, verify=both.tls)
    assert [result.is_error for result in results] == [False] * 8
    assert min(after - earlier for after, earlier in zip(both.served(), served, strict=True)) >= 3
    # Sentry rotates the refresh token: a second renewal, on either replica, would have lost the grant.
    assert refreshes == 1
    renewed = sum(r.log_text().count("renewed the Sentry token of chloe@example.com") for r in both.replicas)
    assert renewed == 1


async def test_redis_stopped_and_started_again_mid_run(both: Cluster) -> None:
    storage = MemoryStorage()
    browser = Browser("ana", verify=both.tls)
    async with signed_in(both.url, browser, storage=storage, verify=both.tls) as client:
        assert not (await client.call_tool("get-recent-issues", RECENT)).is_error
        assert storage.tokens is not None
        both.redis.stop()
        try:
            for replica in both.replicas:
                ready = await fetch("GET", f"{replica.base}/readyz")
                assert (ready.status_code, ready.json()["status"]) == (503, "redis unreachable")
            started = time.monotonic()
            answer = await fetch(
                "POST",
                both.url,
                json={"jsonrpc": "2.0", "id": 1, "method": "tools/list"},
                headers={
                    "Authorization": f"Bearer {storage.tokens.access_token}",
                    "Accept": "application/json, text/event-stream",
                    "MCP-Protocol-Version": "2025-11-25",
                },
                verify=both.tls,
            )
            assert time.monotonic() - started < 6  # an answer, not a hang
            assert (answer.status_code, answer.headers["retry-after"]) == (503, "5")
            assert "shared state (Redis) did not answer" in answer.json()["error"]["message"]
            assert both.redis.url not in answer.text
        finally:
            both.redis.start()
        for replica in both.replicas:
            assert (await fetch("GET", f"{replica.base}/readyz")).status_code == 200
        # the same sign-in, kept by Redis across its restart, on both replicas again
        again = [await client.call_tool("get-recent-issues", RECENT) for _ in range(4)]
    assert [result.is_error for result in again] == [False] * 4
    assert not any("Traceback" in replica.log_text() for replica in both.replicas)


async def test_a_replica_killed_mid_run_costs_only_its_calls_in_flight(
    clean_sandbox: SandboxServer, redis: RedisServer, tmp_path: Path
) -> None:
    clean_sandbox.add_fault("slow", r"/organizations/[^/]+/issues/$", delay=0.2)  # calls are in flight when killed
    sentry = (clean_sandbox.url, clean_sandbox.org_slug)
    with cluster(sentry, redis, tmp_path / "cluster", SENTRY_AUTH_TOKEN=clean_sandbox.token) as pair:
        outcomes: list[str] = []
        killed_at: list[int] = []

        async def worker(client: Any) -> None:
            while len(outcomes) < 48:
                try:
                    result = await client.call_tool("get-recent-issues", RECENT)
                    outcomes.append("error" if result.is_error else "ok")
                except Exception as exc:  # the transport's failure: the call was on the killed replica
                    outcomes.append(f"lost: {type(exc).__name__}")
                if len(outcomes) >= 12 and not killed_at:
                    killed_at.append(len(outcomes))
                    pair.replicas[0].signal(signal.SIGKILL)

        async with (
            mcp_client(pair.url, pair.key, mode="2026-07-28", verify=pair.tls) as client,
            anyio.create_task_group() as group,
        ):
            for _ in range(4):
                group.start_soon(worker, client)
        served_after = pair.served()[1]
    lost = [outcome for outcome in outcomes if outcome != "ok"]
    # at most the 4 calls in flight on the killed replica (nginx sends no request to it once its connection fails)
    assert len(lost) <= 4 and "error" not in lost, outcomes
    assert outcomes[killed_at[0] + 4 :] == ["ok"] * (len(outcomes) - killed_at[0] - 4), outcomes
    assert served_after >= 48 - killed_at[0] - 4


async def test_64_parallel_calls_over_both_replicas_stay_under_sentrys_limit_together(
    clean_sandbox: SandboxServer, redis: RedisServer, tmp_path: Path
) -> None:
    clean_sandbox.add_fault("sentry_rate_limit", r"/issues/[^/]+/$", rate=5)  # Sentry's issue details limit
    sentry = (clean_sandbox.url, clean_sandbox.org_slug)
    with cluster(
        sentry,
        redis,
        tmp_path / "cluster",
        SENTRY_AUTH_TOKEN=clean_sandbox.token,
        SENTRY_MONITOR_CALLER_CONCURRENCY="64",
    ) as pair:
        async with mcp_client(pair.url, pair.key, mode="2026-07-28", verify=pair.tls) as client:
            before = pair.served()
            results: list[Any] = []

            async def one(index: int) -> None:
                results.append(await client.call_tool("get-issue-details", {"issue_id": f"BACKEND-{1 + index % 8}"}))

            started = time.monotonic()
            with anyio.fail_after(120):
                async with anyio.create_task_group() as group:
                    for index in range(64):
                        group.start_soon(one, index)
            elapsed = time.monotonic() - started
        served = [after - earlier for after, earlier in zip(pair.served(), before, strict=True)]
    limited = clean_sandbox.fault_hits()[0]["hits"]
    print(f"64 calls over replicas {served} in {elapsed:.1f} s; the local Sentry answered {limited} 429s")
    assert [result.is_error for result in results] == [False] * 64
    assert min(served) >= 28, served
    # Each replica's first request to the route goes alone and its answer tells the limit (the others wait for it);
    # from then on both replicas take turns in Redis on Redis's clock, 5 in any second. What the local Sentry can
    # still refuse is a request sent at the end of one second that arrives in the next (its windows are fixed): 0
    # or 1 in runs here. Before the first request went alone, 0 to 14; replicas that do not share Redis (each
    # pacing on its own) got 42 and 44, and some calls failed RATE_LIMITED.
    assert limited <= 8


async def test_a_call_that_needs_redis_while_it_is_down_answers_shared_state_unavailable(
    clean_sandbox: SandboxServer, redis: RedisServer, tmp_path: Path
) -> None:
    clean_sandbox.add_fault("sentry_rate_limit", r"/issues/[^/]+/$", rate=5)  # a limited route: paced in Redis
    sentry = (clean_sandbox.url, clean_sandbox.org_slug)
    with cluster(sentry, redis, tmp_path / "cluster", SENTRY_AUTH_TOKEN=clean_sandbox.token) as pair:
        async with mcp_client(pair.url, pair.key, mode="2026-07-28", verify=pair.tls) as client:
            for _ in range(2):  # both replicas hear the limit
                assert not (await client.call_tool("get-issue-details", {"issue_id": "BACKEND-1"})).is_error
            redis.stop()
            try:
                started = time.monotonic()
                down = await client.call_tool("get-issue-details", {"issue_id": "BACKEND-1"})
                waited = time.monotonic() - started
            finally:
                redis.start()
            again = await client.call_tool("get-issue-details", {"issue_id": "BACKEND-1"})
    error = data_of(down)["error"]
    assert (error["code"], error["retryable"]) == ("SHARED_STATE_UNAVAILABLE", True) and waited < 6
    assert "shared state (Redis) did not answer" in error["message"] and redis.url not in str(error)
    assert not again.is_error


async def test_a_redis_password_is_used_and_never_shown(sandbox: SandboxServer, tmp_path: Path) -> None:
    need_redis_server()
    password, wrong = "pw-" + secrets.token_urlsafe(12), "pw-" + secrets.token_urlsafe(12)
    LEDGER.secrets.update({password, wrong})
    redis = RedisServer(tmp_path / "redis", password=password).start()
    logs = [tmp_path / "right.log", tmp_path / "wrong.log"]
    try:
        for log, url in zip(logs, [redis.url, redis.url.replace(password, wrong)], strict=True):
            with http_server(sandbox, log, [new_key()], SENTRY_MONITOR_REDIS_URL=url) as server:
                ready = await fetch("GET", f"{server.base}/readyz")
                assert ready.status_code == (200 if log == logs[0] else 503), ready.text
                assert password not in ready.text and wrong not in ready.text
    finally:
        redis.stop()
    for log in logs:
        text = log.read_text()
        assert f"in Redis at redis://127.0.0.1:{redis.port}/0" in text
        assert password not in text and wrong not in text
