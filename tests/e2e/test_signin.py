"""Sign-in to the team server through Sentry: real processes, the SDK's streamable-HTTP client and its OAuth client.

The MCP client registers, signs in with PKCE through our consent page and the local Sentry's (as one of its users),
and calls tools as that user; Sentry's token is refreshed, revoked, and the sign-in ended.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlsplit

import anyio
import httpx2
import pytest
from mcp import Client
from mcp.client.auth import OAuthClientProvider
from mcp.client.streamable_http import streamable_http_client

from tests.conftest import REPO
from tests.e2e.http_process import HttpServer, fetch
from tests.e2e.signin_flow import (
    CLIENT_REDIRECT,
    Browser,
    MemoryStorage,
    authorize_url,
    calls_near_a_renewal,
    client_metadata,
    pkce,
    register,
    sandbox_app,
    signed_in,
    signin_server,
    token_request,
)
from tests.e2e.test_stdio import WRITE_TOOLS
from tests.ledger import LEDGER

if TYPE_CHECKING:
    from mcp_servers.sentry_sandbox import SandboxServer

pytestmark = pytest.mark.anyio
MODES = ["legacy", "2026-07-28"]


@pytest.fixture(scope="module")
def state_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("signin") / "state.sqlite3"


@pytest.fixture(scope="module")
def server(sandbox: SandboxServer, state_file: Path) -> Iterator[HttpServer]:
    log = state_file.with_name("server.log")
    with signin_server((sandbox.url, sandbox.org_slug), log, state_file, oauth_app=sandbox_app(sandbox)) as running:
        yield running
    LEDGER.secrets.update(token.token for token in sandbox.tokens.all())  # Sentry's tokens too, refreshed ones included
    LEDGER.scan_file(running.log)


def data_of(result: Any) -> dict[str, Any]:
    assert result.structured_content is not None, result
    return dict(result.structured_content)


def projects_seen(result: Any) -> dict[str, bool]:
    return {p["slug"]: p.get("has_access", True) for p in data_of(result)["data"]["projects"]}


@pytest.mark.parametrize("mode", MODES)
async def test_a_user_signs_in_through_sentry_and_calls_tools_as_themself(server: HttpServer, mode: str) -> None:
    browser = Browser("ana")
    async with signed_in(server, browser, mode) as client:
        tools = await client.list_tools()
        assert {tool.name for tool in tools.tools} >= set(WRITE_TOOLS)
        result = await client.call_tool("get-recent-issues", {"project_slug": "worker", "limit": 2})
        assert not result.is_error, result
    # Our consent page named the client; Sentry's consent page was shown; the client got our code, never Sentry's.
    consent = next(page for page in browser.pages if "Test Agent" in page.text)
    assert "wants to use Sentry Error Monitor" in consent.text and "127.0.0.1:33418" in consent.text
    assert consent.headers["x-frame-options"] == "DENY"
    log = server.log_text()
    assert "signed in: ana@example.com (Sentry user 2) with Test Agent (full" in log


async def test_each_user_sees_only_what_sentry_lets_them_see(server: HttpServer) -> None:
    async with signed_in(server, Browser("ben@example.com")) as client:
        refused = await client.call_tool("get-recent-issues", {"project_slug": "worker", "limit": 2})
        allowed = await client.call_tool("get-recent-issues", {"project_slug": "backend", "limit": 2})
    assert refused.is_error and data_of(refused)["error"]["code"] == "PROJECT_NOT_ALLOWED", refused  # Sentry: 403
    assert not allowed.is_error


async def test_a_read_only_sign_in_cannot_write(server: HttpServer, sandbox: SandboxServer) -> None:
    async with signed_in(server, Browser("ana", access="read")) as client:
        names = {tool.name for tool in (await client.list_tools()).tools}
        assert not names & set(WRITE_TOOLS)
        result = await client.call_tool("resolve-issue", {"issue_id": "BACKEND-1"})
    error = data_of(result)["error"]
    assert (error["code"], result.is_error) == ("READ_ONLY", True)
    assert "signed in read-only" in error["message"] and "nothing was sent" in error["message"]
    assert "audit: ana@example.com (Sentry user 2) ran resolve-issue on BACKEND-1: failure READ_ONLY" in (
        server.log_text()
    )


async def test_a_user_outside_the_organization_cannot_sign_in(server: HttpServer) -> None:
    browser = Browser("omar@partner.example")
    with pytest.raises(Exception):  # noqa: B017 - the SDK's flow fails: no code came back
        async with signed_in(server, browser) as client:
            await client.list_tools()
    page = browser.last_page()
    assert page.status_code == 403 and "not a member of the organization this server serves (sandbox)" in page.text


async def test_writes_are_audited_with_the_user(server: HttpServer, sandbox: SandboxServer) -> None:
    async with signed_in(server, Browser("ana")) as client:
        result = await client.call_tool("add-issue-note", {"issue_id": "BACKEND-2", "text": "seen by the sign-in test"})
    assert not result.is_error, result
    line = next(line for line in server.log_text().splitlines() if "ran add-issue-note" in line)
    assert "ana@example.com (Sentry user 2) ran add-issue-note on BACKEND-2: success; changed: issue:" in line


async def test_sentry_token_refreshed_once_for_concurrent_calls(server: HttpServer, sandbox: SandboxServer) -> None:
    results, refreshes = await calls_near_a_renewal(server.url, sandbox)
    assert [result.is_error for result in results] == [False] * 8
    # Sentry rotates the refresh token: a second refresh with the old one would have been refused and the grant lost.
    assert refreshes == 1
    assert server.log_text().count("renewed the Sentry token of chloe@example.com") >= 1


async def test_a_revoked_sentry_token_ends_the_sign_in_and_the_client_signs_in_again(
    server: HttpServer, sandbox: SandboxServer
) -> None:
    browser = Browser("chloe@example.com")
    async with signed_in(server, browser) as client:
        assert not (await client.call_tool("list-projects", {})).is_error
        sandbox.revoke_oauth_tokens("chloe@example.com")
        ended = await client.call_tool("list-projects", {})
        first_landing = browser.landed
        again = await client.call_tool("list-projects", {})  # 401 now: the SDK signs in again through the browser
    error = data_of(ended)["error"]
    assert error["code"] == "NOT_AUTHENTICATED" and error["details"]["sign_in"] == server.url
    assert "Sentry refused to renew it" in error["message"] and not error["retryable"]
    assert not again.is_error and browser.landed != first_landing


async def test_our_refresh_token_rotates_and_revoking_signs_out(server: HttpServer) -> None:
    storage = MemoryStorage()
    async with signed_in(server, Browser("ana"), storage=storage) as client:
        await client.list_tools()
    assert storage.tokens is not None and storage.client is not None and storage.tokens.refresh_token
    client_info = storage.client.model_dump(mode="json")
    old_access, old_refresh = storage.tokens.access_token, storage.tokens.refresh_token
    renewed = await token_request(server, client_info, grant_type="refresh_token", refresh_token=old_refresh)
    assert renewed.status_code == 200, renewed.text
    fresh = renewed.json()
    LEDGER.secrets.update([fresh["access_token"], fresh["refresh_token"]])
    assert fresh["expires_in"] == 3600 and fresh["refresh_token"] != old_refresh
    reused = await token_request(server, client_info, grant_type="refresh_token", refresh_token=old_refresh)
    assert (reused.status_code, reused.json()["error"]) == (400, "invalid_grant")
    assert (await mcp_ping(server, old_access)).status_code == 401
    assert (await mcp_ping(server, fresh["access_token"])).status_code == 200
    # Sign-out: revoking the refresh token ends the sign-in, its access token with it.
    credentials = {"client_id": client_info["client_id"], "client_secret": client_info["client_secret"]}
    revoked = await fetch("POST", f"{server.base}/revoke", data={**credentials, "token": fresh["refresh_token"]})
    assert revoked.status_code == 200
    assert (await mcp_ping(server, fresh["access_token"])).status_code == 401


async def test_wrong_redirect_pkce_reused_code_and_unknown_token_are_refused(server: HttpServer) -> None:
    client = await register(server)
    verifier, challenge = pkce()
    wrong = await fetch("GET", authorize_url(server, client["client_id"], challenge, "http://127.0.0.1:9/evil"))
    assert wrong.status_code == 400 and "location" not in wrong.headers  # never sent anywhere
    browser = Browser("ana")
    await browser.open(authorize_url(server, client["client_id"], challenge))
    code = (await browser.code()).code
    common = {"grant_type": "authorization_code", "code": code, "redirect_uri": CLIENT_REDIRECT}
    missing = await token_request(server, client, **common)
    bad = await token_request(server, client, **common, code_verifier=pkce()[0])
    assert (missing.status_code, bad.status_code, bad.json()["error"]) == (400, 400, "invalid_grant")
    good = await token_request(server, client, **common, code_verifier=verifier)
    assert good.status_code == 200, good.text
    LEDGER.secrets.update([good.json()["access_token"], good.json()["refresh_token"]])
    reused = await token_request(server, client, **common, code_verifier=verifier)
    assert (reused.status_code, reused.json()["error"]) == (400, "invalid_grant")
    unknown = await mcp_ping(server, "sem_at_" + "x" * 43)
    assert unknown.status_code == 401
    assert (
        f'resource_metadata="{server.base}/.well-known/oauth-protected-resource/mcp"'
        in unknown.headers["www-authenticate"]
    )


async def test_the_consent_must_come_from_the_browser_that_opened_it(server: HttpServer) -> None:
    client = await register(server)
    _, challenge = pkce()
    opened = await fetch("GET", authorize_url(server, client["client_id"], challenge))
    consent = opened.headers["location"]
    request_id = consent.split("request=")[1]
    forged = await fetch("POST", f"{server.base}/signin/consent", data={"request": request_id, "action": "approve"})
    assert forged.status_code == 403 and "started in another browser" in forged.text


async def test_metadata_points_clients_at_the_sign_in(server: HttpServer) -> None:
    resource = (await fetch("GET", f"{server.base}/.well-known/oauth-protected-resource/mcp")).json()
    assert resource["resource"] == server.url and resource["authorization_servers"] == [server.base]
    issuer = (await fetch("GET", f"{server.base}/.well-known/oauth-authorization-server")).json()
    assert issuer["code_challenge_methods_supported"] == ["S256"]
    assert issuer["registration_endpoint"] == f"{server.base}/register"
    assert issuer["revocation_endpoint"] == f"{server.base}/revoke"


async def mcp_ping(server: HttpServer, token: str) -> Any:
    body = {"jsonrpc": "2.0", "id": 1, "method": "ping", "params": {}}
    headers = {
        "Authorization": f"Bearer {token}",
        "Accept": "application/json, text/event-stream",
        "Content-Type": "application/json",
        "MCP-Protocol-Version": "2025-11-25",
    }
    return await fetch("POST", server.url, content=json.dumps(body).encode(), headers=headers)


async def test_without_a_refresh_token_an_expired_sentry_token_asks_to_sign_in_again(
    server: HttpServer, sandbox: SandboxServer
) -> None:
    lifetime = sandbox.oauth_token_lifetime
    sandbox.oauth_token_lifetime, sandbox.oauth_refresh_tokens = 61.0, False
    try:
        async with signed_in(server, Browser("ana")) as client:
            await anyio.sleep(1.2)
            ended = await client.call_tool("list-projects", {})
    finally:
        sandbox.oauth_token_lifetime, sandbox.oauth_refresh_tokens = lifetime, True
    error = data_of(ended)["error"]
    assert error["code"] == "NOT_AUTHENTICATED" and "Sentry gave no refresh token" in error["message"]


async def test_the_sign_ins_command_lists_and_revokes(server: HttpServer, state_file: Path) -> None:
    storage = MemoryStorage()
    async with signed_in(server, Browser("chloe@example.com"), storage=storage) as client:
        await client.list_tools()
    assert storage.tokens is not None
    listed = sign_ins("list", state_file)
    assert listed.returncode == 0 and "chloe@example.com (Sentry user 4)  client 'Test Agent'  read and change" in (
        listed.stdout
    )
    assert (await mcp_ping(server, storage.tokens.access_token)).status_code == 200
    revoked = sign_ins("revoke", state_file, "CHLOE@example.com")
    assert revoked.returncode == 0 and revoked.stdout.count("revoked si_") >= 1
    assert (await mcp_ping(server, storage.tokens.access_token)).status_code == 401
    assert "chloe@example.com" not in sign_ins("list", state_file).stdout
    assert sign_ins("revoke", state_file, "nobody@example.com").returncode == 1


def sign_ins(action: str, state: Path, *args: str) -> subprocess.CompletedProcess[str]:
    command = [
        sys.executable,
        "-m",
        "mcp_servers.sentry_monitor",
        "sign-ins",
        action,
        *args,
        "--state-file",
        str(state),
    ]
    return subprocess.run(command, capture_output=True, text=True, timeout=60, cwd=REPO, check=False)


async def test_the_sign_out_page_ends_every_sign_in_of_the_user_sentry_confirms(server: HttpServer) -> None:
    storage = MemoryStorage()
    async with signed_in(server, Browser("ben@example.com"), storage=storage) as client:
        await client.list_tools()
    assert storage.tokens is not None
    browser = Browser("ben@example.com")
    form = await browser.http.get(f"{server.base}/signin/signout")
    assert form.status_code == 200 and "Sign out everywhere" in form.text
    to_sentry = await browser.http.post(f"{server.base}/signin/signout")
    assert to_sentry.status_code == 303 and "/oauth/authorize/" in to_sentry.headers["location"]
    sentry_page = await browser.http.get(to_sentry.headers["location"])
    query = {key: values[0] for key, values in parse_qs(urlsplit(str(sentry_page.url)).query).items()}
    back = await browser.http.post(
        str(sentry_page.url).split("?")[0], data={**query, "user": "ben@example.com", "op": "approve"}
    )
    done = await browser.http.get(back.headers["location"])
    assert done.status_code == 200 and "sign-in(s) of ben@example.com removed" in done.text
    assert (await mcp_ping(server, storage.tokens.access_token)).status_code == 401


async def test_the_sdk_renews_our_expired_access_token_without_a_new_sign_in(server: HttpServer) -> None:
    storage, browser = MemoryStorage(), Browser("ana")
    auth = OAuthClientProvider(server.url, client_metadata(), storage, browser.open, browser.code)
    async with (
        httpx2.AsyncClient(auth=auth, timeout=60) as http,
        Client(streamable_http_client(server.url, http_client=http)) as client,
    ):
        await client.list_tools()
        first, pages = storage.tokens, len(browser.pages)
        assert first is not None
        auth.context.token_expiry_time = time.time() - 1  # the client's clock, an hour later
        result = await client.call_tool("list-projects", {})
    assert not result.is_error and len(browser.pages) == pages  # renewed with our refresh token, no new sign-in
    assert storage.tokens is not None and storage.tokens.refresh_token != first.refresh_token
    assert (await mcp_ping(server, first.access_token)).status_code == 401


async def test_metrics_count_sign_ins_and_renewals(server: HttpServer, sandbox: SandboxServer) -> None:
    before = await sign_in_metrics(server)
    lifetime = sandbox.oauth_token_lifetime
    sandbox.oauth_token_lifetime = 61.0
    try:
        async with signed_in(server, Browser("ana")) as client:
            await anyio.sleep(1.2)
            assert not (await client.call_tool("list-projects", {})).is_error
    finally:
        sandbox.oauth_token_lifetime = lifetime
    with pytest.raises(Exception):  # noqa: B017 - Omar is refused: no code comes back
        async with signed_in(server, Browser("omar@partner.example")) as client:
            await client.list_tools()
    after = await sign_in_metrics(server)
    assert after["signed_in"] - before.get("signed_in", 0) == 1
    assert after["not_member"] - before.get("not_member", 0) == 1
    assert after["renewed"] - before.get("renewed", 0) == 1


async def sign_in_metrics(server: HttpServer) -> dict[str, float]:
    text = (await fetch("GET", f"{server.base}/metrics")).text
    found = re.findall(
        r'^sentry_monitor_(?:sign_ins|sentry_token_renewals)_total\{outcome="(\w+)"\} (\S+)$', text, re.MULTILINE
    )
    return {outcome: float(value) for outcome, value in found}
