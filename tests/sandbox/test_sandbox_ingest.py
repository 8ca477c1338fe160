"""Ingest: envelopes from sentry-sdk and by hand, encodings, auth, grouping, outcomes, sessions."""

from __future__ import annotations

import gzip
import json
import uuid
from typing import Any

import brotli
import httpx
import pytest

from mcp_servers.sentry_sandbox import SandboxServer
from mcp_servers.sentry_sandbox.models import Outcome


def _key(sandbox: SandboxServer, slug: str) -> str:
    return sandbox.dsn(slug).split("//", 1)[1].split("@", 1)[0]


def _event(**overrides: Any) -> dict[str, Any]:
    event: dict[str, Any] = {
        "event_id": uuid.uuid4().hex,
        "level": "error",
        "platform": "python",
        "release": "backend@9.9.9",
        "environment": "production",
        "user": {"id": "42", "email": "zed@example.com"},
        "exception": {
            "values": [
                {
                    "type": "LookupError",
                    "value": "widget 7 not found",
                    "module": None,
                    "mechanism": {"type": "generic", "handled": True},
                    "stacktrace": {
                        "frames": [
                            {
                                "filename": "shop/widgets.py",
                                "abs_path": "/srv/shop/widgets.py",
                                "module": "shop.widgets",
                                "function": "find_widget",
                                "lineno": 12,
                                "in_app": True,
                                "pre_context": ["def find_widget(widget_id):"],
                                "context_line": "    raise LookupError(f'widget {widget_id} not found')",
                                "post_context": [""],
                                "vars": {"widget_id": "7"},
                            }
                        ]
                    },
                }
            ]
        },
    }
    event.update(overrides)
    return event


def _envelope(*items: tuple[str, bytes], event_id: str | None = None) -> bytes:
    lines = [json.dumps({"event_id": event_id} if event_id else {}).encode()]
    for item_type, payload in items:
        lines.append(json.dumps({"type": item_type, "length": len(payload)}).encode())
        lines.append(payload)
    return b"\n".join(lines) + b"\n"


def _post(
    sandbox: SandboxServer, slug: str, body: bytes, encoding: str | None = None, key: str | None = None
) -> httpx.Response:
    headers = {"Content-Type": "application/x-sentry-envelope"}
    if encoding == "gzip":
        body = gzip.compress(body)
    elif encoding == "br":
        body = brotli.compress(body)
    if encoding:
        headers["Content-Encoding"] = encoding
    headers["X-Sentry-Auth"] = f"Sentry sentry_key={key or _key(sandbox, slug)}, sentry_version=7"
    return httpx.post(f"{sandbox.url}/api/{sandbox.project_id(slug)}/envelope/", content=body, headers=headers)


def _outcomes(sandbox: SandboxServer, outcome: str) -> list[Outcome]:
    return [o for o in sandbox.store.outcomes() if o.outcome == outcome]


@pytest.mark.parametrize("encoding", [None, "gzip", "br"])
def test_envelope_is_accepted_in_every_encoding(
    api: httpx.Client, sandbox: SandboxServer, encoding: str | None
) -> None:
    event = _event()
    accepted_before = len(_outcomes(sandbox, "accepted"))
    response = _post(sandbox, "backend", _envelope(("event", json.dumps(event).encode())), encoding)
    assert response.status_code == 200
    assert response.json() == {"id": event["event_id"]}
    stored = sandbox.store.event(event["event_id"])
    assert stored is not None
    assert stored.digest.title == "LookupError: widget 7 not found"
    assert stored.digest.culprit == "shop.widgets in find_widget"
    assert len(_outcomes(sandbox, "accepted")) == accepted_before + 1


def test_envelope_without_length_headers_is_parsed(api: httpx.Client, sandbox: SandboxServer) -> None:
    event = _event()
    body = b'{"event_id":"%s"}\n{"type":"event"}\n%s\n' % (event["event_id"].encode(), json.dumps(event).encode())
    assert _post(sandbox, "backend", body).json() == {"id": event["event_id"]}


def test_wrong_or_missing_key_is_rejected(api: httpx.Client, sandbox: SandboxServer) -> None:
    body = _envelope(("event", json.dumps(_event()).encode()))
    assert _post(sandbox, "backend", body, key="0" * 32).status_code == 403
    assert _post(sandbox, "backend", body, key=_key(sandbox, "worker")).status_code == 403
    missing = httpx.post(f"{sandbox.url}/api/{sandbox.project_id('backend')}/envelope/", content=body)
    assert missing.status_code == 401
    unknown = httpx.post(f"{sandbox.url}/api/1/envelope/?sentry_key={_key(sandbox, 'backend')}", content=body)
    assert unknown.status_code == 403


def test_query_string_sentry_key_is_accepted(api: httpx.Client, sandbox: SandboxServer) -> None:
    url = f"{sandbox.url}/api/{sandbox.project_id('backend')}/envelope/?sentry_key={_key(sandbox, 'backend')}"
    response = httpx.post(url, content=_envelope(("event", json.dumps(_event()).encode())))
    assert response.status_code == 200


def test_events_are_grouped_by_exception_type_and_crashing_frame(api: httpx.Client, sandbox: SandboxServer) -> None:
    first, second = _event(), _event()
    second["exception"]["values"][0]["value"] = "widget 8 not found"
    other_frame = _event()
    other_frame["exception"]["values"][0]["stacktrace"]["frames"][0]["function"] = "load_widget"
    for event in (first, second, other_frame):
        assert _post(sandbox, "backend", _envelope(("event", json.dumps(event).encode()))).status_code == 200
    issue_ids = [sandbox.store.event(e["event_id"]).issue_id for e in (first, second, other_frame)]  # type: ignore[union-attr]
    assert issue_ids[0] == issue_ids[1] != issue_ids[2]
    issue = api.get(f"organizations/sandbox/issues/{issue_ids[0]}/").json()
    assert issue["count"] == "2"
    assert issue["userCount"] == 1
    assert issue["title"] == "LookupError: widget 8 not found"
    assert issue["firstRelease"]["version"] == "backend@9.9.9"
    assert issue["substatus"] == "new"


def test_custom_fingerprint_and_messages_group_together(api: httpx.Client, sandbox: SandboxServer) -> None:
    a = _event(fingerprint=["payments-flaky"])
    b = _event(fingerprint=["payments-flaky"])
    b["exception"]["values"][0]["type"] = "KeyError"
    m1 = _event(exception=None, message="disk almost full", level="warning")
    m2 = _event(exception=None, message="disk almost full", level="warning")
    for event in (a, b, m1, m2):
        _post(sandbox, "backend", _envelope(("event", json.dumps(event).encode())))
    store = sandbox.store
    assert store.event(a["event_id"]).issue_id == store.event(b["event_id"]).issue_id  # type: ignore[union-attr]
    message_issue = store.issue(store.event(m1["event_id"]).issue_id)  # type: ignore[union-attr]
    assert message_issue is not None and len(message_issue.events) == 2
    detail = api.get(f"organizations/sandbox/issues/{message_issue.id}/").json()
    assert detail["type"] == "default"
    assert detail["level"] == "warning"
    event = api.get(f"organizations/sandbox/issues/{message_issue.id}/events/latest/").json()
    assert {"type": "message", "data": {"formatted": "disk almost full"}} in event["entries"]


def test_a_logged_error_keeps_its_template_params_and_logger(api: httpx.Client, sandbox: SandboxServer) -> None:
    """As sentry-sdk's logging integration sends `logging.error("disk %s%% full", 95)`, and Sentry shows it."""
    logentry = {"message": "disk %s%% full on %s", "formatted": "disk 95% full on /var", "params": [95, "/var"]}
    logged = _event(exception=None, logentry=logentry, logger="shop.jobs")
    _post(sandbox, "backend", _envelope(("event", json.dumps(logged).encode())))
    issue_id = sandbox.store.event(logged["event_id"]).issue_id  # type: ignore[union-attr]
    assert api.get(f"organizations/sandbox/issues/{issue_id}/").json()["logger"] == "shop.jobs"
    event = api.get(f"organizations/sandbox/issues/{issue_id}/events/latest/").json()
    assert {"type": "message", "data": logentry} in event["entries"]
    assert (event["title"], event["message"]) == ("disk 95% full on /var", "disk 95% full on /var")
    assert {("logger", "shop.jobs"), ("level", "error")} <= {(tag["key"], tag["value"]) for tag in event["tags"]}


def test_unhandled_mechanism_marks_the_issue_unhandled(api: httpx.Client, sandbox: SandboxServer) -> None:
    event = _event()
    event["exception"]["values"][0]["mechanism"] = {"type": "excepthook", "handled": False}
    event["exception"]["values"][0]["type"] = "FatalLookupError"
    _post(sandbox, "backend", _envelope(("event", json.dumps(event).encode())))
    issue_id = sandbox.store.event(event["event_id"]).issue_id  # type: ignore[union-attr]
    detail = api.get(f"organizations/sandbox/issues/{issue_id}/").json()
    assert detail["isUnhandled"] is True
    assert detail["priority"] == "high"
    assert {"key": "handled", "value": "no"} in api.get(
        f"organizations/sandbox/issues/{issue_id}/events/latest/"
    ).json()["tags"]


def test_inbound_filter_drops_event_and_records_filtered(api: httpx.Client, sandbox: SandboxServer) -> None:
    event = _event(message="[filtered] probe", exception=None)
    before = len(_outcomes(sandbox, "filtered"))
    response = _post(sandbox, "backend", _envelope(("event", json.dumps(event).encode())))
    assert response.status_code == 200
    assert sandbox.store.event(event["event_id"]) is None
    filtered = _outcomes(sandbox, "filtered")
    assert len(filtered) == before + 1 and filtered[-1].reason == "error-message"


def test_malformed_items_record_invalid(api: httpx.Client, sandbox: SandboxServer) -> None:
    before = len(_outcomes(sandbox, "invalid"))
    assert _post(sandbox, "backend", _envelope(("event", b"{not json"))).status_code == 400
    assert _post(sandbox, "backend", b"\x00garbage", None).status_code == 400
    bad_gzip = httpx.post(
        f"{sandbox.url}/api/{sandbox.project_id('backend')}/envelope/",
        content=b"not gzip at all",
        headers={"Content-Encoding": "gzip", "X-Sentry-Auth": f"Sentry sentry_key={_key(sandbox, 'backend')}"},
    )
    assert bad_gzip.status_code == 400
    assert _post(sandbox, "backend", _envelope(("event", b"[1, 2]"))).status_code == 400
    assert len(_outcomes(sandbox, "invalid")) == before + 4


def test_quota_answers_429_and_records_rate_limited(api: httpx.Client, sandbox: SandboxServer) -> None:
    project = sandbox.store.project("worker")
    assert project is not None and project.quota is not None
    statuses = []
    with httpx.Client() as client:
        for _ in range(project.quota + 1):
            body = _envelope(("event", json.dumps(_event()).encode()))
            response = client.post(
                f"{sandbox.url}/api/{project.id}/envelope/",
                content=body,
                headers={"X-Sentry-Auth": f"Sentry sentry_key={project.public_key}"},
            )
            statuses.append(response.status_code)
    assert statuses[:-1] == [200] * project.quota
    assert response.status_code == 429
    assert response.headers["Retry-After"] == "60"
    assert response.headers["X-Sentry-Rate-Limits"].startswith("60:error")
    assert _outcomes(sandbox, "rate_limited")[-1].reason == "key_quota"


def test_legacy_store_endpoint_accepts_a_plain_event(api: httpx.Client, sandbox: SandboxServer) -> None:
    event = _event()
    response = httpx.post(
        f"{sandbox.url}/api/{sandbox.project_id('backend')}/store/",
        content=gzip.compress(json.dumps(event).encode()),
        headers={"Content-Encoding": "gzip", "X-Sentry-Auth": f"Sentry sentry_key={_key(sandbox, 'backend')}"},
    )
    assert response.json() == {"id": event["event_id"]}
    broken = httpx.post(
        f"{sandbox.url}/api/{sandbox.project_id('backend')}/store/",
        content=b"{",
        headers={"X-Sentry-Auth": f"Sentry sentry_key={_key(sandbox, 'backend')}"},
    )
    assert broken.status_code == 400


def test_sessions_and_client_reports_are_stored(api: httpx.Client, sandbox: SandboxServer) -> None:
    sid = uuid.uuid4().hex
    start = {"sid": sid, "did": "42", "init": True, "started": "2030-01-01T00:00:00Z", "status": "ok"}
    attrs = {"release": "backend@9.9.9", "environment": "production"}
    end = {"sid": sid, "status": "crashed", "errors": 1, "timestamp": "2030-01-01T00:01:00Z", "attrs": attrs}
    aggregates = {"aggregates": [{"started": "2030-01-01T00:00:00Z", "exited": 2, "errored": 1}], "attrs": attrs}
    report = {
        "timestamp": 1.0e9,
        "discarded_events": [{"reason": "queue_overflow", "category": "error", "quantity": 3}],
    }
    body = _envelope(
        ("session", json.dumps({**start, "attrs": attrs}).encode()),
        ("session", json.dumps(end).encode()),
        ("sessions", json.dumps(aggregates).encode()),
        ("client_report", json.dumps(report).encode()),
        ("transaction", b"{}"),
        ("session", b"not json"),
    )
    assert _post(sandbox, "backend", body).json() == {}
    sessions = [s for s in sandbox.store.sessions() if s.release == "backend@9.9.9"]
    assert sorted(s.status for s in sessions) == ["crashed", "exited", "exited", "exited"]
    assert _outcomes(sandbox, "client_discard")[-1].quantity == 3


def test_new_event_reopens_a_resolved_issue_as_regressed(api: httpx.Client, sandbox: SandboxServer) -> None:
    event = _event()
    _post(sandbox, "backend", _envelope(("event", json.dumps(event).encode())))
    issue_id = sandbox.store.event(event["event_id"]).issue_id  # type: ignore[union-attr]
    assert (
        api.put(f"organizations/sandbox/issues/{issue_id}/", json={"status": "resolved"}).json()["status"] == "resolved"
    )
    _post(sandbox, "backend", _envelope(("event", json.dumps(_event()).encode())))
    detail = api.get(f"organizations/sandbox/issues/{issue_id}/").json()
    assert (detail["status"], detail["substatus"]) == ("unresolved", "regressed")
    assert detail["activity"][0]["type"] == "set_regression"


def test_resolved_in_next_release_ignores_events_of_old_releases(api: httpx.Client, sandbox: SandboxServer) -> None:
    event = _event()
    _post(sandbox, "backend", _envelope(("event", json.dumps(event).encode())))
    issue_id = sandbox.store.event(event["event_id"]).issue_id  # type: ignore[union-attr]
    api.put(f"organizations/sandbox/issues/{issue_id}/", json={"status": "resolvedInNextRelease"})
    _post(sandbox, "backend", _envelope(("event", json.dumps(_event()).encode())))
    assert api.get(f"organizations/sandbox/issues/{issue_id}/").json()["status"] == "resolved"
    _post(sandbox, "backend", _envelope(("event", json.dumps(_event(release="backend@10.0.0")).encode())))
    assert api.get(f"organizations/sandbox/issues/{issue_id}/").json()["substatus"] == "regressed"


def test_archived_until_count_reopens_as_escalating(api: httpx.Client, sandbox: SandboxServer) -> None:
    event = _event()
    _post(sandbox, "backend", _envelope(("event", json.dumps(event).encode())))
    issue_id = sandbox.store.event(event["event_id"]).issue_id  # type: ignore[union-attr]
    body = {"status": "ignored", "statusDetails": {"ignoreCount": 2}}
    assert api.put(f"organizations/sandbox/issues/{issue_id}/", json=body).json()["substatus"] == (
        "archived_until_condition_met"
    )
    _post(sandbox, "backend", _envelope(("event", json.dumps(_event()).encode())))
    assert api.get(f"organizations/sandbox/issues/{issue_id}/").json()["status"] == "ignored"
    _post(sandbox, "backend", _envelope(("event", json.dumps(_event()).encode())))
    detail = api.get(f"organizations/sandbox/issues/{issue_id}/").json()
    assert (detail["status"], detail["substatus"]) == ("unresolved", "escalating")


def test_archived_until_users_and_escalation(api: httpx.Client, sandbox: SandboxServer) -> None:
    event = _event()
    _post(sandbox, "backend", _envelope(("event", json.dumps(event).encode())))
    issue_id = sandbox.store.event(event["event_id"]).issue_id  # type: ignore[union-attr]
    body = {"status": "ignored", "ignoreUserCount": 2, "ignoreUserWindow": 60}
    api.put(f"organizations/sandbox/issues/{issue_id}/", json=body)
    for user_id in ("a", "b"):
        _post(sandbox, "backend", _envelope(("event", json.dumps(_event(user={"id": user_id})).encode())))
    assert api.get(f"organizations/sandbox/issues/{issue_id}/").json()["substatus"] == "escalating"
    api.put(
        f"organizations/sandbox/issues/{issue_id}/",
        json={"status": "ignored", "substatus": "archived_until_escalating"},
    )
    for _ in range(10):
        _post(sandbox, "backend", _envelope(("event", json.dumps(_event()).encode())))
    assert api.get(f"organizations/sandbox/issues/{issue_id}/").json()["substatus"] == "escalating"


def test_seed_produced_every_outcome_visible_in_stats_v2(api: httpx.Client, sandbox: SandboxServer) -> None:
    params = {"field": "sum(quantity)", "statsPeriod": "31d", "interval": "1d", "groupBy": ["outcome", "reason"]}
    groups = api.get("organizations/sandbox/stats_v2/", params=params).json()["groups"]
    totals = {(g["by"]["outcome"], g["by"]["reason"]): g["totals"]["sum(quantity)"] for g in groups}
    assert totals[("filtered", "error-message")] == 6
    assert totals[("rate_limited", "key_quota")] >= 1
    assert totals[("invalid", "invalid_json")] == 1
    assert totals[("accepted", "none")] == len(sandbox.store.events())
    assert ("client_discard", "ratelimit_backoff") in totals


def test_seed_data_is_varied(api: httpx.Client, sandbox: SandboxServer) -> None:
    issues = api.get("organizations/sandbox/issues/", params={"query": "", "groupStatsPeriod": "24h"}).json()
    assert len(issues) >= 12
    assert {i["project"]["slug"] for i in issues} == {"backend", "worker"}
    assert any(i["isUnhandled"] for i in issues) and any(not i["isUnhandled"] for i in issues)
    assert {i["substatus"] for i in issues} >= {"new", "ongoing", "regressed", "archived_until_escalating"}
    assert {i["level"] for i in issues} >= {"error", "warning"}
    spike = max(issues, key=lambda i: sum(n for _, n in i["stats"]["24h"]))
    assert spike["shortId"] == "BACKEND-6" and sum(n for _, n in spike["stats"]["24h"]) >= 50
    chained = api.get("organizations/sandbox/issues/BACKEND-5/events/latest/").json()
    exception = next(e for e in chained["entries"] if e["type"] == "exception")
    assert [v["type"] for v in exception["data"]["values"]] == ["KeyError", "OrderProcessingError"]
    frames = exception["data"]["values"][-1]["stacktrace"]["frames"]
    assert frames[-1]["function"] == "price_order" and frames[-1]["inApp"] is True
    assert frames[-1]["context"] and frames[-1]["vars"]
    assert {e["type"] for e in chained["entries"]} >= {"exception", "breadcrumbs", "request"}
    assert chained["release"]["version"].startswith("backend@")
    assert chained["user"]["email"].endswith("@example.com")
    logged = next(i for i in issues if i["logger"])  # the seed's logging.error, without an exception
    assert (logged["shortId"], logged["logger"], logged["type"]) == ("BACKEND-B", "shop.refunds", "default")
    entries = api.get(f"organizations/sandbox/issues/{logged['id']}/events/latest/").json()["entries"]
    assert next(e for e in entries if e["type"] == "message")["data"]["params"] == ["acme-pay", "whk_7"]
    assert len({e.release for e in sandbox.store.events()}) >= 5
    assert {e.environment for e in sandbox.store.events()} == {"production", "staging"}
