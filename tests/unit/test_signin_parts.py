"""The sign-in's parts on their own: the vault, the store, Sentry's token answers, the settings, the command."""

from __future__ import annotations

import io
from pathlib import Path

import anyio
import httpx
import pytest
from cryptography.fernet import Fernet
from mcp.shared.auth import OAuthClientInformationFull
from pydantic import AnyUrl

from mcp_servers.sentry_monitor.src.base.config import Settings
from mcp_servers.sentry_monitor.src.base.errors import InvalidConfiguration
from mcp_servers.sentry_monitor.src.web.settings import load_http_settings
from mcp_servers.sentry_monitor.src.web.signin.command import sign_ins_command
from mcp_servers.sentry_monitor.src.web.signin.provider import ACCESS_TTL_S, CLIENT_UNUSED_TTL_S, SCOPES, SignInProvider
from mcp_servers.sentry_monitor.src.web.signin.sentry_oauth import SentryGrant, SentryOAuth, SentryUser, SignInFailed
from mcp_servers.sentry_monitor.src.web.signin.signins import SignIns
from mcp_servers.sentry_monitor.src.web.signin.store import SignInStore
from mcp_servers.sentry_monitor.src.web.signin.vault import Vault

pytestmark = pytest.mark.anyio
ANA = SentryUser("2", "Ana Lima", "ana@example.com")
GRANT = SentryGrant("sentry-access-token-1", "sentry-refresh-token-1", 2_000_000_000.0, ("event:read",))


def test_the_vault_encrypts_with_the_first_key_and_decrypts_with_any() -> None:
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    sealed = Vault(old).seal({"access_token": "secret-value"})
    assert "secret-value" not in sealed
    rotated_vault = Vault(f"{new},{old}")
    assert rotated_vault.open(sealed) == {"access_token": "secret-value"}
    assert Vault(new).open(rotated_vault.rotate(sealed)) == {"access_token": "secret-value"}
    assert Vault(new).open(sealed) is None  # the old key removed too soon: unreadable, not an exception


@pytest.mark.parametrize("keys", [None, "", "not-a-fernet-key", "sntryu_abcdef0123456789"])
def test_a_missing_or_bad_secret_key_is_refused_without_showing_it(keys: str | None) -> None:
    with pytest.raises(InvalidConfiguration) as raised:
        Vault(keys)
    assert raised.value.details["variable"] == "SENTRY_MONITOR_SECRET_KEY"
    assert not keys or keys not in raised.value.message


async def test_the_store_expires_takes_once_and_deletes_by_owner(tmp_path: Path) -> None:
    now = [1000.0]
    store = SignInStore(tmp_path / "s.sqlite3", clock=lambda: now[0])
    await store.put("code", "c1", {"v": 1}, ttl=10, owner="si_1")
    await store.put("access", "a1", {"v": 2}, ttl=100, owner="si_1")
    await store.put("access", "a2", {"v": 3}, ttl=100, owner="si_2")
    assert await store.take("code", "c1") == {"v": 1} and await store.take("code", "c1") is None
    assert await store.delete_owned("si_1", ("access", "refresh")) == 1
    assert [key for key, _ in await store.all("access")] == ["a2"]
    assert await store.merge("access", "a2", {"v": 4}) and await store.get("access", "a2") == {"v": 4}
    now[0] += 101
    assert await store.get("access", "a2") is None and not await store.merge("access", "a2", {"v": 5})
    assert await store.purge() == 1
    assert (tmp_path / "s.sqlite3").stat().st_mode & 0o777 == 0o600
    await store.close()


async def test_sign_ins_keep_the_grant_encrypted_and_end_with_their_tokens(tmp_path: Path) -> None:
    store = SignInStore(tmp_path / "s.sqlite3")
    signins = SignIns(store, Vault(Fernet.generate_key().decode()))
    signin = await signins.create(ANA, ("client-1", "Claude"), False, "sentry-oauth", "sandbox", GRANT)
    assert "sentry-access-token-1" not in (tmp_path / "s.sqlite3").read_bytes().decode("latin-1")
    assert await signins.grant(signin.id) == GRANT
    await store.put("access", "hash-1", {}, ttl=60, owner=signin.id)
    assert (
        [s.id for s in await signins.of_user("ANA@example.com")]
        == [signin.id]
        == [s.id for s in await signins.of_user("2")]
    )
    assert (
        await signins.remove(signin.id)
        and await store.get("access", "hash-1") is None
        and await signins.grant(signin.id) is None
    )
    assert not await signins.save_grant(signin.id, GRANT)


def oauth(handler: httpx.MockTransport) -> SentryOAuth:
    return SentryOAuth(Settings(auth_token="", url="https://sentry.io"), "id", "secret", "https://m/cb", handler)


async def test_sentry_token_answers_are_read_as_sentry_writes_them() -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        assert request.url == "https://sentry.io/oauth/token/" and b"client_secret=secret" in request.content
        body = {
            "access_token": "a", "refresh_token": "r", "expires_at": "2030-01-01T00:00:00.000000Z",
            "token_type": "bearer", "scope": "org:read event:read", "user": {"id": "2", "name": "Ana", "email": "e"},
        }  # fmt: skip
        return httpx.Response(200, json=body)

    grant, user = await oauth(httpx.MockTransport(answer)).exchange("code")
    assert (grant.expires_at, grant.scopes, user) == (
        1893456000.0,
        ("event:read", "org:read"),
        SentryUser("2", "Ana", "e"),
    )


@pytest.mark.parametrize(
    ("status", "body", "refused"),
    [(400, {"error": "invalid_grant"}, True), (503, {}, False), (429, {}, False), (200, {"no": "token"}, True)],
)
async def test_sentry_token_failures_say_whether_to_sign_in_again(
    status: int, body: dict[str, str], refused: bool
) -> None:
    transport = httpx.MockTransport(lambda request: httpx.Response(status, json=body))
    with pytest.raises(SignInFailed) as raised:
        await oauth(transport).refresh("r")
    assert raised.value.refused is refused


async def test_an_unreachable_sentry_is_not_a_refusal() -> None:
    def down(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused")

    with pytest.raises(SignInFailed) as raised:
        await oauth(httpx.MockTransport(down)).member_of("t", ("acme",))
    assert not raised.value.refused and "ConnectError" in raised.value.message


BASE_ENV = {
    "SENTRY_MONITOR_AUTH": "oauth",
    "SENTRY_MONITOR_PUBLIC_URL": "https://mcp.example.com/mcp",
    "SENTRY_MONITOR_SECRET_KEY": "secret-key-value",
    "SENTRY_OAUTH_CLIENT_ID": "id",
    "SENTRY_OAUTH_CLIENT_SECRET": "client-secret-value",
}


@pytest.mark.parametrize(
    ("unset", "variable"),
    [
        ("SENTRY_MONITOR_PUBLIC_URL", "SENTRY_MONITOR_PUBLIC_URL"),
        ("SENTRY_MONITOR_SECRET_KEY", "SENTRY_MONITOR_SECRET_KEY"),
        ("SENTRY_OAUTH_CLIENT_SECRET", "SENTRY_OAUTH_CLIENT_SECRET"),
    ],
)
def test_sign_in_settings_name_what_is_missing(unset: str, variable: str) -> None:
    environ = {key: value for key, value in BASE_ENV.items() if key != unset}
    with pytest.raises(InvalidConfiguration) as raised:
        load_http_settings(environ)
    assert raised.value.details["variable"] == variable


def test_oauth_is_the_default_with_a_client_id_and_needs_https_off_loopback() -> None:
    environ = {key: value for key, value in BASE_ENV.items() if key != "SENTRY_MONITOR_AUTH"}
    settings = load_http_settings(environ)
    assert settings.auth == "oauth" and "secret-key-value" not in repr(settings)
    assert "client-secret-value" not in repr(settings)
    with pytest.raises(InvalidConfiguration, match="https"):
        load_http_settings({**environ, "SENTRY_MONITOR_PUBLIC_URL": "http://mcp.example.com/mcp"})
    assert load_http_settings({"SENTRY_MONITOR_API_KEYS": "sha256:" + "a" * 64}).auth == "service"


def test_the_command_makes_keys_rotates_and_says_when_nobody_signed_in(tmp_path: Path) -> None:
    out = io.StringIO()
    assert sign_ins_command(["new-key"], {}, out) == 0
    key = out.getvalue().strip()
    Vault(key)  # a usable Fernet key
    state = tmp_path / "s.sqlite3"
    assert sign_ins_command(["list", "--state-file", str(state)], {}, io.StringIO()) == 1

    async def sign_in() -> None:
        store = SignInStore(state)
        await SignIns(store, Vault(key)).create(ANA, ("c", "Claude"), True, "api-token", "sandbox", GRANT)
        await store.close()

    anyio.run(sign_in)
    new = Fernet.generate_key().decode()
    env = {"SENTRY_MONITOR_SECRET_KEY": f"{new},{key}", "SENTRY_MONITOR_STATE_FILE": str(state)}
    out = io.StringIO()
    assert sign_ins_command(["rotate-key"], env, out) == 0
    assert "re-encrypted 1 sign-in(s)" in out.getvalue()

    async def grant() -> SentryGrant | None:
        rotated = SignIns(SignInStore(state), Vault(new))
        return await rotated.grant((await rotated.all())[0].id)

    assert anyio.run(grant) == GRANT
    listed = io.StringIO()
    assert sign_ins_command([], env, listed) == 0 and "read-only" in listed.getvalue()
    assert sign_ins_command(["rotate-key"], {"SENTRY_MONITOR_STATE_FILE": str(state)}, io.StringIO()) == 2


async def test_our_tokens_expire_an_hour_after_they_are_issued(tmp_path: Path) -> None:
    now = [1_000_000.0]
    store = SignInStore(tmp_path / "s.sqlite3", clock=lambda: now[0])
    signins = SignIns(store, Vault(Fernet.generate_key().decode()))
    signin = await signins.create(ANA, ("client-1", "Claude"), False, "sentry-oauth", "sandbox", GRANT)
    provider = SignInProvider(signins, "https://m", "https://m/mcp")
    issued = await provider._issue(signin.id, "client-1", list(SCOPES))
    token = await provider.load_access_token(issued.access_token)
    assert token is not None and (token.subject, token.resource) == (signin.id, "https://m/mcp")
    now[0] += ACCESS_TTL_S + 1
    assert await provider.load_access_token(issued.access_token) is None


async def test_a_registration_nobody_signs_in_with_is_gone_after_a_day(tmp_path: Path) -> None:
    now = [1_000_000.0]
    store = SignInStore(tmp_path / "s.sqlite3", clock=lambda: now[0])
    signins = SignIns(store, Vault(Fernet.generate_key().decode()))
    provider = SignInProvider(signins, "https://m", "https://m/mcp")
    for client_id in ("unused", "used"):
        await provider.register_client(
            OAuthClientInformationFull(client_id=client_id, redirect_uris=[AnyUrl("http://127.0.0.1:9/cb")])
        )
    signin = await signins.create(ANA, ("used", "Claude"), False, "sentry-oauth", "sandbox", GRANT)
    await provider._issue(signin.id, "used", list(SCOPES))
    now[0] += CLIENT_UNUSED_TTL_S + 1
    assert await provider.get_client("unused") is None
    assert await provider.get_client("used") is not None  # a year after its last tokens
