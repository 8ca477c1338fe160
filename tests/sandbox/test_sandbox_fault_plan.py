"""The fault plan: matching (times, method, path, order), the HTTP controls, the request log, isolation."""

from __future__ import annotations

import json
import logging
import os
import signal
import subprocess
import sys
import threading
import time
from typing import Any

import httpx
import pytest

from mcp_servers.sentry_sandbox import SandboxServer
from mcp_servers.sentry_sandbox.fault_answers import json_list_chunks
from mcp_servers.sentry_sandbox.fault_plan import FaultPlan, RateWindow, parse_fault, throttle_window
from mcp_servers.sentry_sandbox.faults import _HIDE_DELIBERATE_ABORTS

ISSUES = "organizations/sandbox/issues/"


def test_times_spends_the_fault(api: httpx.Client, sandbox: SandboxServer) -> None:
    sandbox.add_fault("error", times=2)
    assert [api.get(ISSUES).status_code for _ in range(3)] == [500, 500, 200]
    assert sandbox.fault_hits()[0]["hits"] == 2


def test_method_filters_requests(api: httpx.Client, sandbox: SandboxServer) -> None:
    sandbox.add_fault("error", method="put")
    assert api.get(f"{ISSUES}BACKEND-1/").status_code == 200
    assert api.put(f"{ISSUES}BACKEND-1/", json={"status": "resolved"}).status_code == 500
    assert sandbox.fault_hits()[0]["method"] == "PUT"


def test_path_is_a_regex_searched_in_the_request_path(api: httpx.Client, sandbox: SandboxServer) -> None:
    issue_id = api.get(ISSUES).json()[0]["id"]
    sandbox.add_fault("error", r"/issues/\d+/$")
    assert api.get(f"{ISSUES}{issue_id}/").status_code == 500
    assert api.get(ISSUES).status_code == 200
    assert api.get(f"{ISSUES}BACKEND-1/").status_code == 200
    assert api.get(f"{ISSUES}{issue_id}/events/").status_code == 200


def test_query_is_a_regex_searched_in_the_query_string(api: httpx.Client, sandbox: SandboxServer) -> None:
    sandbox.add_fault("error", "/issues/$", query="cursor=")
    assert api.get(ISSUES).status_code == 200
    assert api.get(ISSUES, params={"cursor": "0:1:0"}).status_code == 500


def test_first_live_fault_in_order_answers(api: httpx.Client, sandbox: SandboxServer) -> None:
    sandbox.add_fault("error", times=1)
    sandbox.add_fault("rate_limit")
    assert [api.get(ISSUES).status_code for _ in range(3)] == [500, 429, 429]
    assert [fault["hits"] for fault in sandbox.fault_hits()] == [1, 2]


def test_faulted_requests_are_logged_with_their_kind(api: httpx.Client, sandbox: SandboxServer) -> None:
    sandbox.clear_requests()
    sandbox.add_fault("rate_limit", times=1)
    api.get(ISSUES)
    api.get(ISSUES)
    path = f"/api/0/{ISSUES}"
    assert sandbox.requests() == [
        {"method": "GET", "path": path, "query": "", "status": 429, "fault": "rate_limit"},
        {"method": "GET", "path": path, "query": "", "status": 200},
    ]


def test_reset_keeps_faults_and_clear_faults_removes_them(api: httpx.Client, sandbox: SandboxServer) -> None:
    sandbox.add_fault("error")
    sandbox.reset()
    assert api.get(ISSUES).status_code == 500
    sandbox.clear_faults()
    assert sandbox.fault_hits() == []
    assert api.get(ISSUES).status_code == 200


def test_http_controls_add_list_and_clear_faults(api: httpx.Client, sandbox: SandboxServer) -> None:
    faults_url = f"{sandbox.url}/_sandbox/faults"
    created = httpx.post(faults_url, json={"kind": "rate_limit", "path": "/issues/", "times": 2, "retry_after": 1})
    stored: dict[str, Any] = {
        "kind": "rate_limit",
        "path": "/issues/",
        "query": "",
        "method": None,
        "times": 2,
        "status": None,
        "retry_after": 1,
        "reset_in": None,
        "delay": None,
        "size": None,
        "body": None,
        "rate": None,
        "hits": 0,
    }
    assert (created.status_code, created.json()) == (201, stored)
    assert [api.get(ISSUES).headers.get("Retry-After") for _ in range(3)] == ["1", "1", None]
    assert httpx.get(faults_url).json() == [{**stored, "hits": 2}] == sandbox.fault_hits()
    assert httpx.delete(faults_url).status_code == 204
    assert httpx.get(faults_url).json() == []


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("not json", "the body must be a JSON object"),
        ([1], "the body must be a JSON object"),
        ({"kind": "nope"}, "unknown fault kind 'nope'"),
        ({"path": "/issues/"}, "unknown fault kind None"),
        ({"kind": "error", "colour": 1}, "unknown fault field 'colour'"),
        ({"kind": "error", "delay": 1}, "field 'delay' does not apply to kind 'error'"),
        ({"kind": "slow"}, "kind 'slow' needs 'delay'"),
        ({"kind": "throttle", "rate": 5, "times": 1}, "field 'times' does not apply to kind 'throttle'"),
        ({"kind": "throttle", "rate": 0}, "'rate' must be a number > 0"),
        ({"kind": "sentry_rate_limit"}, "kind 'sentry_rate_limit' needs 'rate'"),
        ({"kind": "sentry_rate_limit", "rate": 2.5}, "'rate' must be a whole number >= 1"),
        ({"kind": "sentry_rate_limit", "rate": 5, "times": 1}, "field 'times' does not apply"),
        ({"kind": "slow", "delay": "1"}, "'delay' must be a number >= 0"),
        ({"kind": "error", "times": 0}, "'times' must be a whole number >= 1"),
        ({"kind": "error", "times": True}, "'times' must be a whole number >= 1"),
        ({"kind": "error", "status": 200}, "'status' must be a whole number from 400 to 599"),
        ({"kind": "error", "path": "("}, "'path' is not a valid regular expression"),
        ({"kind": "error", "method": 5}, "'method' must be a string"),
        ({"kind": "huge", "body": "x"}, "'body' of kind 'huge' can only be 'content-length'"),
        ({"kind": "drop", "body": 5}, "'body' of kind 'drop' must be a string"),
    ],
)
def test_http_controls_reject_bad_faults(sandbox: SandboxServer, body: Any, message: str) -> None:
    content = body if isinstance(body, str) else json.dumps(body)
    response = httpx.post(f"{sandbox.url}/_sandbox/faults", content=content)
    assert response.status_code == 400
    assert response.json()["detail"].startswith(message)
    assert sandbox.fault_hits() == []


def test_python_api_rejects_bad_faults_with_value_error(sandbox: SandboxServer) -> None:
    with pytest.raises(ValueError, match="unknown fault kind 'nope'"):
        sandbox.add_fault("nope")
    with pytest.raises(ValueError, match="must be JSON-serialisable"):
        sandbox.add_fault("wrong_shape", body={1, 2})
    assert sandbox.fault_hits() == []


def test_the_api_fixture_clears_a_fault_a_test_leaves_behind(sandbox: SandboxServer) -> None:
    """What the `api` fixture does: a fault added inside it is gone once it ends."""
    from tests.sandbox.conftest import clean_api

    with clean_api(sandbox) as client:
        sandbox.add_fault("error")
        assert client.get(ISSUES).status_code == 500
    assert sandbox.fault_hits() == []
    with clean_api(sandbox) as fresh:
        assert fresh.get(ISSUES).status_code == 200


def test_plan_counts_hits_exactly_across_threads() -> None:
    plan = FaultPlan()
    plan.add(parse_fault({"kind": "error", "times": 100}))
    picked: list[bool] = []

    def pick_many() -> None:
        picked.extend(plan.pick("GET", "/api/0/") is not None for _ in range(50))

    threads = [threading.Thread(target=pick_many) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert (picked.count(True), plan.hits()[0]["hits"]) == (100, 100)


def test_throttle_frees_a_slot_when_retry_after_has_passed() -> None:
    now = [100.0]
    plan = FaultPlan(clock=lambda: now[0])
    plan.add(parse_fault({"kind": "throttle", "rate": 2}))
    assert [plan.pick("GET", "/api/0/") for _ in range(2)] == [None, None]
    now[0] += 0.25
    limited = plan.pick("GET", "/api/0/")
    assert limited is not None and (limited.retry_after, limited.reset_in) == (0.8, 0.75)
    now[0] += 0.75
    assert plan.pick("GET", "/api/0/") is None
    assert plan.hits()[0]["hits"] == 1


def test_sentry_rate_limit_windows_are_fixed_seconds_per_caller() -> None:
    now = [100.6]
    plan = FaultPlan(wall_clock=lambda: now[0])
    plan.add(parse_fault({"kind": "sentry_rate_limit", "rate": 2}))
    spec = plan.pick("GET", "/api/0/organizations/sandbox/issues/1/")
    assert spec is not None and spec.kind == "sentry_rate_limit"
    me, other = ("me", "GET", "/issues/{id}/"), ("me", "PUT", "/issues/{id}/")
    windows = [plan.rate_window(spec, me) for _ in range(3)] + [plan.rate_window(spec, other)]
    expected = [(1, 101, False), (0, 101, False), (0, 101, True), (1, 101, False)]
    assert [(window.remaining, window.reset, window.over) for window in windows] == expected
    now[0] = 101.0  # a new window, not 1 s after the first request
    assert plan.rate_window(spec, me) == RateWindow(2, 1, 102, over=False)
    assert plan.hits()[0]["hits"] == 1  # the 429s only
    plan.clear()
    assert not plan.rate_window(spec, me).over


def test_throttle_window_of_fractional_rates() -> None:
    assert [throttle_window(rate) for rate in (5, 0.5, 2.5)] == [(5, 1.0), (1, 2.0), (2, 0.8)]


@pytest.mark.parametrize("size", [2, 3, 7, 8, 9, 100])
def test_json_list_chunks_are_exactly_size_bytes_of_json(size: int) -> None:
    chunks = list(json_list_chunks(size, chunk=8))
    assert max(len(c) for c in chunks) <= 8
    body = b"".join(chunks)
    assert len(body) == size and isinstance(json.loads(body), list)


def test_log_filter_hides_only_errors_of_dropped_requests() -> None:
    message = "ASGI callable returned without completing response."
    record = logging.LogRecord("uvicorn.error", logging.ERROR, __file__, 0, message, None, None)
    assert _HIDE_DELIBERATE_ABORTS.filter(record)  # outside a `drop`, the error stays visible


def test_cli_latency_flag_slows_every_api_answer() -> None:
    command = [sys.executable, "-m", "mcp_servers.sentry_sandbox", "--port", "0", "--no-seed", "--latency-ms", "200"]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=dict(os.environ))
    try:
        assert process.stdout is not None
        lines = [process.stdout.readline(), process.stdout.readline()]
        assert lines[0] == "Every API answer is delayed by 200 ms.\n"
        url = lines[1].strip().rsplit(" ", 1)[-1]
        started = time.monotonic()
        assert httpx.get(f"{url}/api/0/organizations/").status_code == 401
        assert time.monotonic() - started >= 0.2
        process.send_signal(signal.SIGTERM)
        _out, err = process.communicate(timeout=20)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 0, err
