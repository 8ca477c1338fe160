"""Fault kinds, one test each, asserting what an httpx client sees over real HTTP."""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Callable

import httpx
import pytest

from mcp_servers.sentry_sandbox import SandboxServer
from tests.sandbox.sandbox_helpers import links

ISSUES = "organizations/sandbox/issues/"
ISSUE = f"{ISSUES}BACKEND-1/"
TOO_FREQUENT = "You are attempting to use this endpoint too frequently. Limit is {} requests in 1 seconds"


def wait_for(condition: Callable[[], bool], timeout: float = 2.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.01)


def test_rate_limit_answers_429_with_sentry_headers(api: httpx.Client, sandbox: SandboxServer) -> None:
    sandbox.add_fault("rate_limit", "/issues/", retry_after=1.5, reset_in=30)
    response = api.get(ISSUES)
    assert response.status_code == 429
    assert response.json() == {"detail": TOO_FREQUENT.format(40)}
    headers = response.headers
    assert headers["Retry-After"] == "1.5"
    assert time.time() + 29 <= int(headers["X-Sentry-Rate-Limit-Reset"]) <= time.time() + 32
    assert (headers["X-Sentry-Rate-Limit-Limit"], headers["X-Sentry-Rate-Limit-Remaining"]) == ("40", "0")
    assert headers["X-Sentry-Rate-Limit-ConcurrentLimit"] == "25"
    assert headers["X-Sentry-Rate-Limit-ConcurrentRemaining"] == "24"


def test_rate_limit_sends_no_retry_after_or_reset_unless_asked(api: httpx.Client, sandbox: SandboxServer) -> None:
    sandbox.add_fault("rate_limit", status=503)
    response = api.get(ISSUES)
    assert response.status_code == 503
    assert "Retry-After" not in response.headers and "X-Sentry-Rate-Limit-Reset" not in response.headers


def test_error_answers_sentry_error_bodies(api: httpx.Client, sandbox: SandboxServer) -> None:
    sandbox.add_fault("error", times=1)
    sandbox.add_fault("error", status=503, retry_after=2, times=1)
    sandbox.add_fault("error", status=404, times=1)
    sandbox.add_fault("error", status=410, times=1)
    internal = api.get(ISSUE)
    assert internal.status_code == 500
    assert internal.json()["detail"] == "Internal Error"
    assert re.fullmatch(r"[0-9a-f]{32}", internal.json()["errorId"])
    unavailable = api.get(ISSUE)
    assert (unavailable.status_code, unavailable.json()) == (503, {"detail": "Service Unavailable"})
    assert unavailable.headers["Retry-After"] == "2"
    assert api.get(ISSUE).json() == {"detail": "The requested resource does not exist"}
    assert api.get(ISSUE).json() == {"message": "This API no longer exists."}


def test_html_answers_a_load_balancer_page(api: httpx.Client, sandbox: SandboxServer) -> None:
    sandbox.add_fault("html")
    response = api.get(ISSUES)
    assert response.status_code == 502
    assert response.headers["content-type"].startswith("text/html")
    assert response.text.startswith("<html>\r\n<head><title>502 Bad Gateway</title></head>")


def test_slow_delays_the_real_answer(api: httpx.Client, sandbox: SandboxServer) -> None:
    expected = api.get(ISSUE).json()
    sandbox.add_fault("slow", delay=0.3)
    started = time.monotonic()
    response = api.get(ISSUE)
    assert 0.3 <= time.monotonic() - started < 2
    assert (response.status_code, response.json()) == (200, expected)


def test_hang_never_answers(api: httpx.Client, sandbox: SandboxServer) -> None:
    sandbox.add_fault("hang")
    with pytest.raises(httpx.ReadTimeout):
        api.get(ISSUES, timeout=0.3)
    hung = {"method": "GET", "path": f"/api/0/{ISSUES}", "query": "", "status": 0, "fault": "hang"}
    wait_for(lambda: hung in sandbox.requests())


def test_stop_returns_promptly_while_a_request_hangs() -> None:
    answers: list[httpx.Response] = []
    with SandboxServer() as sandbox:
        sandbox.add_fault("hang")
        url = f"{sandbox.url}/api/0/organizations/"
        client = threading.Thread(target=lambda: answers.append(httpx.get(url, timeout=10)))
        client.start()
        wait_for(lambda: sandbox.fault_hits()[0]["hits"] == 1)
        started = time.monotonic()
    assert time.monotonic() - started < 1.5
    client.join(5)
    assert [(a.status_code, a.json()) for a in answers] == [(503, {"detail": "The sandbox is shutting down"})]


def test_drop_breaks_the_body_quietly(
    api: httpx.Client, sandbox: SandboxServer, caplog: pytest.LogCaptureFixture
) -> None:
    sandbox.add_fault("drop", times=1)
    with pytest.raises(httpx.RemoteProtocolError, match="peer closed connection without sending complete message"):
        api.get(ISSUES)
    assert sandbox.requests()[-1] == {
        "method": "GET",
        "path": f"/api/0/{ISSUES}",
        "query": "",
        "status": 200,
        "fault": "drop",
    }
    assert api.get(ISSUES).status_code == 200  # the broken connection is not reused
    assert not [r for r in caplog.records if "without completing response" in r.getMessage()]


def test_bad_json_is_json_typed_but_unparseable(api: httpx.Client, sandbox: SandboxServer) -> None:
    sandbox.add_fault("bad_json", times=1)
    sandbox.add_fault("bad_json", body="<html>oops</html>", times=1)
    truncated = api.get(ISSUE)
    assert (truncated.status_code, truncated.headers["content-type"]) == (200, "application/json")
    assert truncated.text == '{"id": "1", "title": '
    with pytest.raises(json.JSONDecodeError):
        truncated.json()
    assert api.get(ISSUE).text == "<html>oops</html>"


def test_wrong_shape_flips_the_container_type(api: httpx.Client, sandbox: SandboxServer) -> None:
    sandbox.add_fault("wrong_shape", times=2)
    sandbox.add_fault("wrong_shape", body={"id": 5}, times=1)
    assert api.get(ISSUES).json() == {"unexpected": True}
    assert api.get(ISSUE).json() == ["unexpected"]
    assert api.get(ISSUE).json() == {"id": 5}


def test_empty_answers_no_body(api: httpx.Client, sandbox: SandboxServer) -> None:
    sandbox.add_fault("empty")
    response = api.get(ISSUE)
    assert (response.status_code, response.content) == (200, b"")
    assert (response.headers["content-type"], response.headers["content-length"]) == ("application/json", "0")


def test_huge_streams_a_chunked_json_list(api: httpx.Client, sandbox: SandboxServer) -> None:
    size = 20_000_000
    sandbox.add_fault("huge", size=size)
    started = time.monotonic()
    received, head, tail = 0, b"", b""
    with api.stream("GET", ISSUES) as response:
        assert response.headers["transfer-encoding"] == "chunked"
        assert "content-length" not in response.headers
        for chunk in response.iter_raw():
            received += len(chunk)
            head = (head + chunk)[:3]
            tail = (tail + chunk)[-3:]
    assert time.monotonic() - started < 2
    assert (received, head, tail) == (size, b'["x', b'x"]')


def test_huge_with_content_length(api: httpx.Client, sandbox: SandboxServer) -> None:
    sandbox.add_fault("huge", size=300_000, body="content-length")
    response = api.get(ISSUES)
    assert response.headers["content-length"] == "300000"
    assert len(response.content) == 300_000
    assert isinstance(response.json(), list)


def test_link_loop_points_next_at_the_requested_cursor(api: httpx.Client, sandbox: SandboxServer) -> None:
    expected = api.get(ISSUES, params={"limit": 1, "cursor": "0:1:0"}).json()
    sandbox.add_fault("link_loop")
    response = api.get(ISSUES, params={"limit": 1, "cursor": "0:1:0"})
    assert response.json() == expected
    url, results, cursor = links(response)["next"]
    assert (results, cursor) == (True, "0:1:0")
    assert url == f"{sandbox.url}/api/0/{ISSUES}?limit=1&cursor=0:1:0"
    assert links(api.get(ISSUES))["next"][1:] == (True, "0:0:0")


def test_throttle_lets_rate_per_second_through(api: httpx.Client, sandbox: SandboxServer) -> None:
    sandbox.add_fault("throttle", "/issues/", rate=5)
    assert [api.get(ISSUES).status_code for _ in range(5)] == [200] * 5
    limited = api.get(ISSUES)
    assert (limited.status_code, limited.json()) == (429, {"detail": TOO_FREQUENT.format(5)})
    assert 0 < float(limited.headers["Retry-After"]) <= 1
    assert time.time() <= int(limited.headers["X-Sentry-Rate-Limit-Reset"]) <= time.time() + 2
    assert limited.headers["X-Sentry-Rate-Limit-Limit"] == "5"
    assert api.get("organizations/sandbox/").status_code == 200  # other paths are not throttled
    assert sandbox.fault_hits()[0]["hits"] == 1


def test_sentry_rate_limit_behaves_like_sentrys_middleware(api: httpx.Client, sandbox: SandboxServer) -> None:
    """A fixed one-second window per token, method and route pattern; headers on every answer, success too."""
    sandbox.add_fault("sentry_rate_limit", "/issues/", rate=3)
    wait_for(lambda: time.time() % 1 < 0.3)  # the early part of a window: the requests below share it
    answers = [api.get(ISSUE) for _ in range(3)] + [api.get(f"{ISSUES}BACKEND-2/")]  # another id, the same route
    other_route, other_method = api.get(ISSUES), api.put(ISSUE, json={"status": "unresolved"})
    other_token = api.get(ISSUE, headers={"Authorization": f"Bearer {sandbox.token_for(None)}"})
    assert [answer.status_code for answer in answers] == [200, 200, 200, 429]
    assert answers[0].json()["shortId"] == "BACKEND-1"  # the real answer, passed through
    assert [answer.headers["X-Sentry-Rate-Limit-Remaining"] for answer in answers] == ["2", "1", "0", "0"]
    limited = answers[3]
    assert limited.json() == {"detail": TOO_FREQUENT.format(3)} and "Retry-After" not in limited.headers
    assert limited.headers["X-Sentry-Rate-Limit-Limit"] == "3"
    assert int(limited.headers["X-Sentry-Rate-Limit-Reset"]) == int(time.time()) + 1
    for fresh in (other_route, other_method, other_token):
        assert (fresh.status_code, fresh.headers["X-Sentry-Rate-Limit-Remaining"]) == (200, "2")
    assert sandbox.fault_hits()[0]["hits"] == 1
    wait_for(lambda: time.time() >= int(limited.headers["X-Sentry-Rate-Limit-Reset"]))
    assert api.get(ISSUE).headers["X-Sentry-Rate-Limit-Remaining"] == "2"  # a new window


def test_slow_with_a_throttle_before_it_still_applies(api: httpx.Client, sandbox: SandboxServer) -> None:
    sandbox.add_fault("throttle", rate=100)
    sandbox.add_fault("slow", delay=0.2)
    started = time.monotonic()
    assert api.get(ISSUE).status_code == 200
    assert time.monotonic() - started >= 0.2
    assert [fault["hits"] for fault in sandbox.fault_hits()] == [0, 1]


def test_faults_skip_sandbox_controls_and_ingest(api: httpx.Client, sandbox: SandboxServer) -> None:
    sandbox.add_fault("error")
    assert httpx.get(f"{sandbox.url}/_sandbox/info").status_code == 200
    assert httpx.post(f"{sandbox.url}/api/1/envelope/", content=b"{}").status_code == 401
    assert api.get(ISSUES).status_code == 500
    assert sandbox.fault_hits()[0]["hits"] == 1
