"""The client's mapping of Sentry's answers to errors, retries and limits (scripted HTTP)."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, replace

import anyio
import httpx
import pytest
from tenacity.wait import wait_none

from mcp_servers.framework.contracts import ModuleInput, ModuleOutput
from mcp_servers.sentry_monitor.src.base.errors import SharedStateUnavailable
from mcp_servers.sentry_monitor.src.sentry import SentryClient, retry
from mcp_servers.sentry_monitor.src.sentry.rate_gate import LocalRateGate, RateHeaders
from mcp_servers.sentry_monitor.src.shared.results import records
from tests.fakes import TOKEN, ScriptedSentry

pytestmark = pytest.mark.anyio
ISSUE = {
    "id": "42",
    "shortId": "BACKEND-1",
    "title": "ValueError: bad",
    "count": "3",
    "userCount": 1,
    "status": "unresolved",
    "metadata": {"type": "ValueError", "value": "bad"},
}
LIST = "/api/0/organizations/acme/issues/"
PROJECT = {"id": "7", "slug": "backend"}


@pytest.fixture(autouse=True)
def no_backoff(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(retry, "_BACKOFF", wait_none())


async def recent(sentry: ScriptedSentry, **settings: object) -> ModuleOutput:
    return await _run(sentry, "get-recent-issues", {"project_slug": "backend"}, **settings)


async def _run(
    sentry: ScriptedSentry, operation: str, parameters: dict[str, object], **settings: object
) -> ModuleOutput:
    async with sentry.module(**settings) as module:
        return await module.execute(ModuleInput(operation=operation, parameters=parameters))


def scripted(*list_answers: httpx.Response) -> ScriptedSentry:
    return ScriptedSentry().json("GET", "/projects/acme/backend/", PROJECT).on("GET", LIST, *list_answers)


def assert_no_token(output: ModuleOutput) -> None:
    assert TOKEN not in output.model_dump_json()


@pytest.mark.parametrize(
    ("status", "body", "code", "category", "outcome"),
    [
        (400, {"detail": "Error parsing search query: bad"}, "INVALID_PARAMETER", "validation", "failure"),
        (401, {"detail": "Invalid token"}, "AUTH_FAILED", "authentication", "error"),
        (
            403,
            {"detail": "You do not have permission to perform this action."},
            "PROJECT_NOT_ALLOWED",
            "authorization",
            "failure",
        ),
        (404, {"detail": "The requested resource does not exist"}, "PROJECT_NOT_FOUND", "not_found", "failure"),
        (405, {"detail": "Method not allowed"}, "UNSUPPORTED_BY_SERVER", "upstream", "failure"),
        (410, {"message": "This API no longer exists."}, "UNSUPPORTED_BY_SERVER", "upstream", "failure"),
    ],
)
async def test_http_errors_map_to_codes(
    status: int, body: dict[str, str], code: str, category: str, outcome: str
) -> None:
    sentry = scripted(httpx.Response(status, json=body))
    output = await recent(sentry)
    assert output.error is not None
    assert (output.error.code, output.error.category.value, output.status.value) == (code, category, outcome)
    assert output.error.recovery_suggestion
    assert len(sentry.requests) == 2  # never retried
    assert_no_token(output)


async def test_403_on_a_write_is_a_missing_scope_naming_event_write() -> None:
    sentry = ScriptedSentry().json("GET", f"{LIST}42/", ISSUE)
    sentry.on("PUT", f"{LIST}42/", httpx.Response(403, json={"detail": "You do not have permission"}))
    output = await _run(sentry, "resolve-issue", {"issue_id": "42"})
    assert output.error is not None and (output.error.code, output.status.value) == ("MISSING_SCOPE", "failure")
    assert output.error.details["required_scope"] == "event:write"
    assert [r.method for r in sentry.requests] == ["GET", "PUT"]


async def test_403_on_a_project_names_the_project() -> None:
    sentry = ScriptedSentry().on("GET", "/projects/acme/backend/", httpx.Response(403, json={"detail": "no"}))
    output = await recent(sentry)
    assert output.error is not None and output.error.code == "PROJECT_NOT_ALLOWED"
    assert output.error.details["project"] == "backend" and "backend" in output.error.message


async def test_429_waits_for_retry_after_then_answers_rate_limited() -> None:
    limited = httpx.Response(429, json={"detail": "too frequently"}, headers={"Retry-After": "0.2"})
    sentry = scripted(limited)
    started = time.monotonic()
    output = await recent(sentry, retry_attempts=2)
    assert output.error is not None and output.error.code == "RATE_LIMITED"
    assert output.error.retryable and output.error.details["retry_after_s"] == pytest.approx(0.2)
    assert len(sentry.requests) == 1 + 3  # project lookup + first try + 2 retries
    assert output.metadata.api_calls == 4
    assert time.monotonic() - started >= 0.4


async def test_429_then_success_is_absorbed() -> None:
    reset = str(time.time() + 0.1)
    sentry = scripted(
        httpx.Response(429, headers={"X-Sentry-Rate-Limit-Reset": reset}), httpx.Response(200, json=[ISSUE])
    )
    output = await recent(sentry)
    assert output.status.value == "success"
    assert output.data is not None and records(output.data["issues"])[0]["count"] == 3


async def test_500_is_retried_exactly_once_and_keeps_the_error_id() -> None:
    sentry = scripted(httpx.Response(500, json={"detail": "Internal Error", "errorId": "abc123"}))
    output = await recent(sentry, retry_attempts=3)
    assert output.error is not None and output.error.code == "SENTRY_UNAVAILABLE"
    assert output.error.details["error_id"] == "abc123" and output.error.retryable
    assert len(sentry.requests) == 1 + 2


async def test_502_html_is_retried_up_to_the_limit() -> None:
    sentry = scripted(httpx.Response(502, text="<html><body><h1>502 Bad Gateway</h1></body></html>"))
    output = await recent(sentry, retry_attempts=3)
    assert output.error is not None and output.error.code == "SENTRY_UNAVAILABLE"
    assert len(sentry.requests) == 1 + 4


async def test_html_with_200_is_a_bad_upstream_response_with_a_clean_excerpt() -> None:
    sentry = scripted(httpx.Response(200, text="<html><head><title>Login</title></head><body>Sign in</body></html>"))
    output = await recent(sentry)
    assert output.error is not None and output.error.code == "BAD_UPSTREAM_RESPONSE"
    assert output.error.details["excerpt"] == "Login Sign in"
    assert output.status.value == "error"


async def test_oversized_answers_are_refused() -> None:
    big = [dict(ISSUE, id=str(i), title="x" * 500) for i in range(100)]
    output = await recent(scripted(httpx.Response(200, json=big)), max_response_bytes=4096)
    assert output.error is not None and output.error.code == "RESPONSE_TOO_LARGE"
    assert output.error.details["limit_bytes"] == 4096


async def test_oversized_stream_without_length_is_cut_while_reading() -> None:
    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(10):
            yield b"[" + b" " * 3000

    def stream(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=chunks())

    sentry = ScriptedSentry().json("GET", "/projects/acme/backend/", PROJECT).on("GET", LIST, stream)
    output = await recent(sentry, max_response_bytes=4096)
    assert output.error is not None and output.error.code == "RESPONSE_TOO_LARGE"


async def test_connection_errors_are_network_errors_after_retries() -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    sentry = ScriptedSentry().on("GET", "/projects/acme/backend/", refuse)
    output = await recent(sentry, retry_attempts=2)
    assert output.error is not None and output.error.code == "NETWORK_ERROR" and output.error.retryable
    assert len(sentry.requests) == 3
    assert_no_token(output)


async def test_a_redirect_is_not_followed() -> None:
    sentry = scripted(httpx.Response(302, headers={"Location": "https://login.example.com/"}))
    output = await recent(sentry)
    assert output.error is not None and output.error.code == "BAD_UPSTREAM_RESPONSE"
    assert "login.example.com" in output.error.message


async def test_requests_carry_bearer_auth_user_agent_and_encoded_segments() -> None:
    sentry = scripted(httpx.Response(200, json=[ISSUE], headers={"X-Hits": "1"}))
    output = await recent(sentry)
    assert output.ok
    request = sentry.requests[-1]
    assert request.headers["authorization"] == f"Bearer {TOKEN}"
    assert request.headers["user-agent"].startswith("sentry-error-monitor/")
    assert request.url.params.get_list("project") == ["7"]
    assert request.url.params["query"] == "is:unresolved"
    assert output.data is not None and output.data["total_hits"] == 1


async def test_project_ids_are_looked_up_once_per_client() -> None:
    sentry = scripted(httpx.Response(200, json=[ISSUE]))
    async with sentry.module() as module:
        for _ in range(3):
            await module.execute(ModuleInput(operation="get-recent-issues", parameters={"project_slug": "backend"}))
    assert sentry.paths().count("GET /api/0/projects/acme/backend/") == 1


async def test_single_visible_organization_is_used_when_none_is_configured() -> None:
    sentry = scripted(httpx.Response(200, json=[ISSUE]))
    sentry.json("GET", "/api/0/organizations/", [{"slug": "acme", "links": {}}])
    output = await recent(sentry, org=None)
    assert output.ok
    assert sentry.paths()[0] == "GET /api/0/organizations/"


async def test_several_organizations_are_ambiguous() -> None:
    sentry = ScriptedSentry().json("GET", "/api/0/organizations/", [{"slug": "b"}, {"slug": "a"}])
    output = await recent(sentry, org=None)
    assert output.error is not None and output.error.code == "ORGANIZATION_AMBIGUOUS"
    assert output.error.details["organizations"] == ["a", "b"]
    assert output.error.category.value == "configuration"


async def test_saas_follows_the_region_but_only_to_sentry_hosts() -> None:
    sentry = ScriptedSentry().json(
        "GET", "/api/0/organizations/acme/", {"slug": "acme", "links": {"regionUrl": "https://de.sentry.io"}}
    )
    sentry.json("GET", "/projects/acme/backend/", PROJECT).json("GET", LIST, [ISSUE])
    output = await recent(sentry, url="https://sentry.io")
    assert output.ok
    assert [r.url.host for r in sentry.requests] == ["sentry.io", "de.sentry.io", "de.sentry.io"]

    forged = ScriptedSentry().json(
        "GET", "/api/0/organizations/acme/", {"slug": "acme", "links": {"regionUrl": "https://evilsentry.io"}}
    )
    forged.json("GET", "/projects/acme/backend/", PROJECT).json("GET", LIST, [ISSUE])
    await recent(forged, url="https://sentry.io")
    assert {r.url.host for r in forged.requests} == {"sentry.io"}


async def test_self_hosted_urls_keep_their_prefix() -> None:
    sentry = scripted(httpx.Response(200, json=[]))
    output = await recent(sentry, url="https://errors.example.com/sentry")
    assert output.ok
    assert sentry.requests[0].url.path == "/sentry/api/0/projects/acme/backend/"


async def test_a_missing_project_checks_whether_the_organization_exists() -> None:
    missing = httpx.Response(404, json={"detail": "The requested resource does not exist"})
    no_org = ScriptedSentry().on("GET", "/projects/acme/backend/", missing).on("GET", "/organizations/acme/", missing)
    output = await recent(no_org)
    assert output.error is not None and output.error.code == "ORGANIZATION_NOT_FOUND"

    org_probe_fails = ScriptedSentry().on("GET", "/projects/acme/backend/", missing)
    org_probe_fails.on("GET", "/organizations/acme/", httpx.Response(401, json={"detail": "x"}))
    output = await recent(org_probe_fails)
    assert output.error is not None and output.error.code == "PROJECT_NOT_FOUND"


async def test_a_limit_heard_on_a_success_paces_the_token_over_every_client_of_the_pool() -> None:
    """A `for_user` client shares its parent's gate: the same token waits its turn, another token does not."""
    limited = httpx.Response(200, json=ISSUE, headers={"X-Sentry-Rate-Limit-Limit": "1"})
    sentry = ScriptedSentry().on("GET", "/issues/42/", limited)
    module = sentry.module()
    assert module.settings is not None
    settings = module.settings
    calls = _Calls()
    path = ["organizations", "acme", "issues", "42"]
    async with SentryClient(settings, transport=sentry.transport) as client:
        await client.send(calls, "GET", settings.api_base, path)  # the answer tells the limit: 1 a second
        started = time.monotonic()
        await client.for_user(replace(settings, auth_token="sntryu_other")).send(calls, "GET", settings.api_base, path)
        assert time.monotonic() - started < 0.5
        await client.for_user(settings).send(calls, "GET", settings.api_base, path)
        assert time.monotonic() - started >= 0.9
    assert calls.api_calls == 3


async def test_a_users_limits_pace_all_their_tokens() -> None:
    """Sentry limits a user token by its user: two sign-ins of one user (or a token and its renewal) share a limit."""
    limited = httpx.Response(200, json=ISSUE, headers={"X-Sentry-Rate-Limit-Limit": "1"})
    sentry = ScriptedSentry().on("GET", "/issues/42/", limited)
    settings = sentry.module().settings
    assert settings is not None
    calls, path = _Calls(), ["organizations", "acme", "issues", "42"]
    async with SentryClient(settings, transport=sentry.transport) as client:
        first = client.for_user(replace(settings, auth_token="sntryu_first"), rate_scope="user:2")
        await first.send(calls, "GET", settings.api_base, path)  # 1 a second, for user 2
        started = time.monotonic()
        renewed = client.for_user(replace(settings, auth_token="sntryu_renewed"), rate_scope="user:2")
        await renewed.send(calls, "GET", settings.api_base, path)
        assert time.monotonic() - started >= 0.9


async def test_the_first_request_to_an_endpoint_goes_alone_and_its_answer_paces_the_rest() -> None:
    """Parallel requests to an endpoint nothing has answered from wait for the first one's answer, which tells
    the limit (3 a second, 1 of it used): none is answered 429, where all six would have left at once."""
    sent: list[float] = []
    answered: list[float] = []

    async def sentry(request: httpx.Request) -> httpx.Response:
        sent.append(time.monotonic())
        await anyio.sleep(0.1)
        answered.append(time.monotonic())
        headers = {"X-Sentry-Rate-Limit-Limit": "3", "X-Sentry-Rate-Limit-Remaining": "2"}
        return httpx.Response(200, json=ISSUE, headers=headers)

    settings = ScriptedSentry().module().settings
    assert settings is not None
    path = ["organizations", "acme", "issues", "42"]
    async with SentryClient(settings, transport=httpx.MockTransport(sentry)) as client:
        async with anyio.create_task_group() as group:
            for _ in range(6):
                group.start_soon(client.send, _Calls(), "GET", settings.api_base, path)
        await client.send(_Calls(), "GET", settings.api_base, ["organizations", "acme", "issues", "43", "events"])
    assert len(sent) == 7 and sent[1] >= answered[0]  # the others left after the first answer
    assert len([at for at in sent[:6] if at < sent[0] + 1.0]) <= 3  # then 3 a second, the first one counted


@dataclass
class _Calls:
    api_calls: int = 0


async def test_an_answer_stands_when_the_shared_gate_cannot_keep_what_it_taught(
    caplog: pytest.LogCaptureFixture,
) -> None:
    class UnreachableGate(LocalRateGate):
        async def heard(self, scope: str, endpoint: str, headers: RateHeaders) -> None:
            raise SharedStateUnavailable("This server's shared state (Redis) did not answer: ConnectionError.")

    limited = httpx.Response(200, json=ISSUE, headers={"X-Sentry-Rate-Limit-Limit": "5"})
    sentry = ScriptedSentry().on("GET", "/issues/42/", limited)
    settings = sentry.module().settings
    assert settings is not None
    async with SentryClient(settings, transport=sentry.transport, gate=UnreachableGate()) as client:
        answer = await client.send(_Calls(), "GET", settings.api_base, ["organizations", "acme", "issues", "42"])
    assert answer.data["id"] == "42"
    assert "rate limit not shared" in caplog.text
