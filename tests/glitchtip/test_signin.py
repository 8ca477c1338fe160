"""A real GlitchTip has no OAuth: its users sign in to the team server with their own API token, checked there; two
replicas sharing a real Redis behind nginx serve such a user too."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.e2e.signin_flow import Browser, signed_in, signin_server
from tests.ledger import LEDGER
from tests.redis_server import running_redis
from tests.replicas.cluster import cluster

from .glitchtip import GlitchTip

pytestmark = pytest.mark.anyio


async def test_a_glitchtip_user_signs_in_with_their_token_and_reads_their_issues(
    glitchtip: GlitchTip, tmp_path: Path
) -> None:
    log = tmp_path / "server.log"
    with signin_server((glitchtip.url, glitchtip.org), log, tmp_path / "state.sqlite3") as server:
        browser = Browser(None, token=glitchtip.token)
        async with signed_in(server, browser) as client:
            result = await client.call_tool("get-recent-issues", {"project_slug": glitchtip.project, "limit": 3})
        wrong = Browser(None, token="0" * 64)
        with pytest.raises(Exception):  # noqa: B017 - no code came back: GlitchTip did not know the token
            async with signed_in(server, wrong) as client:
                await client.list_tools()
    assert not result.is_error, result
    assert "signed in: " in log.read_text() and "with Test Agent (full" in log.read_text()
    page = wrong.last_page()
    assert page.status_code == 400 and "did not recognise this as a user&#x27;s own API token" in page.text, page.text
    LEDGER.scan_file(log)


async def test_two_replicas_sharing_redis_serve_a_glitchtip_user_signed_in_once(
    glitchtip: GlitchTip, tmp_path: Path
) -> None:
    with (
        running_redis(tmp_path / "redis") as redis,
        cluster((glitchtip.url, glitchtip.org), redis, tmp_path / "cluster", sign_in=True) as pair,
    ):
        before = pair.served()
        browser = Browser(None, token=glitchtip.token, verify=pair.tls)
        async with signed_in(pair.url, browser, verify=pair.tls) as client:
            results = [
                await client.call_tool("get-recent-issues", {"project_slug": glitchtip.project, "limit": 3})
                for _ in range(6)
            ]
        served = [after - earlier for after, earlier in zip(pair.served(), before, strict=True)]
        for replica in pair.replicas:
            LEDGER.scan_file(replica.log)
    assert [result.is_error for result in results] == [False] * 6, results
    assert min(served) >= 3, served  # nginx's round robin: the sign-in made on one replica used by the other
