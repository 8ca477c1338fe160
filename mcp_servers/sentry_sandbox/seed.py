"""Seed a sandbox with real sentry-sdk events: `python -m mcp_servers.sentry_sandbox.seed --url URL`.

One sentry-sdk client per project DSN raises real exceptions in `demo_app` (handled, unhandled,
chained, messages), with timestamps spread over the last 30 days (stamped by `seed_sdk` in `before_send`, from a
fixed pseudo-random seed), several releases/environments/users, breadcrumbs and a request context.
With `--token` it also resolves/archives a few issues through the API, then makes one regress (seen
again in a newer release) and one escalate (archived until escalating, then a burst). Last, release
`backend@1.3.0` ships a new bug (an issue first seen in the last day); `db-pool` spikes in the last hours.
At the end it triggers the other outcomes: filtered, invalid (hand-made envelope) and rate_limited
(a burst to `worker` over its quota), and the backend logs an error without an exception. Prints a JSON summary.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import random
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import sentry_sdk

from . import demo_app, seed_sdk
from .seed_http import Api, archived_until_escalating, find_dsns, send_invalid_envelope
from .seed_sdk import Context, Planned

RANDOM_SEED = 20240611
BURST_SIZE = 60
NEW_RELEASE = "backend@1.3.0"
ESCALATION_EVENTS = 12  # more than the 10 after which an issue archived until escalating comes back

USERS = [
    {"id": str(1000 + i), "email": f"{name}@example.com", "username": name}
    for i, name in enumerate(
        ["ana", "ben", "chloe", "dev", "emma", "farid", "gus", "hana", "ivan", "jade", "kofi", "lena"]
    )
]

Action = Callable[[random.Random], object]


@dataclass(frozen=True)
class IssuePlan:
    """One issue to produce: its code path, how it is captured, how many events and when."""

    name: str
    action: Action
    capture: str  # "handled" | "excepthook" | "thread" | "message" | "log" (the action logs; see the end)
    ages: list[tuple[float, float, int]]  # (min_hours_ago, max_hours_ago, count)
    context: Callable[[random.Random], Context]
    message: str = ""
    level: str = "error"


def seed(url: str, dsns: dict[str, str], token: str | None) -> dict[str, Any]:
    """Send everything; returns a summary (counts per phase)."""
    rng = random.Random(RANDOM_SEED)
    now = datetime.now(UTC)
    project_ids = {slug: dsn.rstrip("/").rsplit("/", 1)[1] for slug, dsn in dsns.items()}
    sys.excepthook = seed_sdk.silent_excepthook
    threading.excepthook = lambda args: None
    summary: dict[str, Any] = {}

    seed_sdk.init(dsns["backend"], "backend@1.2.0", "web-1")
    storm = cache_storm_plan([(10 * 24, 25 * 24, 10)])
    summary["backend_events"] = _send([*backend_plans(), storm], rng, now, _backend_release, 0.2)
    summary["sessions"] = _sessions(rng, now, 30)
    seed_sdk.flush()

    seed_sdk.init(dsns["worker"], "worker@2.1.0", "worker-1")
    summary["worker_events"] = _send(worker_plans(), rng, now, _worker_release, 0.0)
    seed_sdk.flush()

    if token:
        api = Api(url, token)
        updates: list[tuple[str, str, dict[str, Any]]] = [
            ("backend", "cache miss storm", {"status": "resolved"}),
            ("worker", "PermissionError", {"status": "resolved", "statusDetails": {"inRelease": "latest"}}),
            ("backend", "Inventory low", {"status": "ignored", "substatus": archived_until_escalating(url)}),
            ("backend", "charge of", {"status": "ignored", "substatus": archived_until_escalating(url)}),
        ]
        for slug, text, body in updates:
            issue_id = api.find_issue(project_ids[slug], text)
            if issue_id is not None:
                api.update(issue_id, body)
        summary["status_updates"] = len(updates)

    seed_sdk.init(dsns["backend"], "backend@1.2.0", "web-1")
    summary["regression_events"] = _send([cache_storm_plan([(0.2, 2, 3)])], rng, now, _backend_release, 0.0)
    payment = next(plan for plan in backend_plans() if plan.name == "payment-timeout")
    escalation = dataclasses.replace(payment, ages=[(0.1, 3, ESCALATION_EVENTS)])
    summary["escalation_events"] = _send([escalation], rng, now, _backend_release, 0.0)
    summary["new_release_events"] = _send([coupon_plan()], rng, now, lambda _hours_ago: NEW_RELEASE, 0.25)
    _filtered_events(6)
    summary["filtered_events"] = 6
    seed_sdk.flush()
    summary["invalid_status"] = send_invalid_envelope(url, project_ids["backend"], dsns["backend"])

    seed_sdk.init(dsns["worker"], "worker@2.1.0", "worker-1")
    _burst(BURST_SIZE)
    seed_sdk.flush()
    summary["burst_events"] = BURST_SIZE
    return {**summary, "logged_events": _logged_errors(dsns["backend"], rng, now)}


def _occurrences(plans: list[IssuePlan], rng: random.Random, now: datetime) -> list[tuple[float, IssuePlan]]:
    planned = [(rng.uniform(lo, hi), plan) for plan in plans for lo, hi, count in plan.ages for _ in range(count)]
    return sorted(planned, key=lambda item: -item[0])  # oldest first


def _send(
    plans: list[IssuePlan], rng: random.Random, now: datetime, release_of: Callable[[float], str], staging_share: float
) -> int:
    sent = 0
    for hours_ago, plan in _occurrences(plans, rng, now):
        environment = "staging" if rng.random() < staging_share else "production"
        seed_sdk.plan_events(Planned(now - timedelta(hours=hours_ago), release_of(hours_ago), environment))
        with seed_sdk.scope(plan.context(rng)):
            _capture(plan, rng)
        sent += 1
        if sent % 100 == 0:
            seed_sdk.flush()
    seed_sdk.plan_events(None)
    return sent


def _sessions(rng: random.Random, now: datetime, count: int) -> dict[str, int]:
    """Release-health sessions for `backend@1.2.0`: some crash (unhandled), some error (handled)."""
    totals = {"healthy": 0, "errored": 0, "crashed": 0}
    for index in range(count):
        kind = "crashed" if index % 10 == 3 else "errored" if index % 7 == 2 else "healthy"
        with seed_sdk.session(USERS[index % len(USERS)]):
            seed_sdk.plan_events(Planned(now - timedelta(minutes=rng.randint(5, 600)), "backend@1.2.0", "production"))
            if kind != "healthy":
                plan = backend_plans()[2 if kind == "crashed" else 0]
                with seed_sdk.scope(plan.context(rng)):
                    _capture(plan, rng)
        totals[kind] += 1
    seed_sdk.plan_events(None)
    return totals


# Events carry frames of this file (module `__main__`, named `seed.py`): `_capture`, the plans' lambdas
# and `_burst`, each with its line number and the lines around it. Moving or editing those lines changes
# the stack traces the demo shows (the surface snapshot, `tests/surface/snapshot.py`, pins them).
def _capture(plan: IssuePlan, rng: random.Random) -> None:
    if plan.capture == "message":
        sentry_sdk.capture_message(plan.message, level=plan.level)  # type: ignore[arg-type]
        return
    if plan.capture == "thread":
        thread = threading.Thread(target=plan.action, args=(rng,), name="job-runner")
        thread.start()
        thread.join()
        return
    try:
        plan.action(rng)
    except Exception:
        if plan.capture == "excepthook":
            sys.excepthook(*sys.exc_info())  # the SDK's hook: an unhandled (handled=false) event
        else:
            sentry_sdk.capture_exception()


# -- the plans ----------------------------------------------------------------------------------


def _backend_release(hours_ago: float) -> str:
    if hours_ago > 20 * 24:
        return "backend@1.0.0"
    if hours_ago > 8 * 24:
        return "backend@1.1.0"
    return "backend@1.2.0"


def _worker_release(hours_ago: float) -> str:
    return "worker@2.0.0" if hours_ago > 14 * 24 else "worker@2.1.0"


def _web_context(method: str, path: str, query: str = "") -> Callable[[random.Random], Context]:
    def build(rng: random.Random) -> Context:
        user = rng.choice(USERS)
        return Context(
            user=user,
            tags={"customer.tier": rng.choice(["free", "pro", "enterprise"]), "region": rng.choice(["eu", "us"])},
            breadcrumbs=[
                {"category": "auth", "message": f"user {user['username']} authenticated", "level": "info"},
                {
                    "type": "http",
                    "category": "httplib",
                    "level": "info",
                    "data": {"url": "http://inventory.internal/api/stock", "method": "GET", "status_code": 200},
                },
                {"category": "query", "message": "SELECT * FROM carts WHERE user_id = %s", "level": "info"},
            ],
            request={
                "url": f"https://shop.example.com{path}",
                "method": method,
                "query_string": query,
                "headers": {
                    "Host": "shop.example.com",
                    "User-Agent": "Mozilla/5.0 (X11; Linux x86_64) Firefox/128.0",
                    "Content-Type": "application/json",
                },
                "data": {"quantity": "abc"} if method == "POST" else None,
            },
        )

    return build


def _job_context(queue: str) -> Callable[[random.Random], Context]:
    def build(rng: random.Random) -> Context:
        return Context(
            user=None,
            tags={"queue": queue, "job.attempt": str(rng.randint(1, 3))},
            breadcrumbs=[
                {"category": "job", "message": f"picked job from {queue}", "level": "info"},
                {"category": "job", "message": "retrying after backoff", "level": "warning"},
            ],
        )

    return build


def _fixed_user(user_ids: list[int], base: Callable[[random.Random], Context]) -> Callable[[random.Random], Context]:
    def build(rng: random.Random) -> Context:
        ctx = base(rng)
        ctx.user = USERS[rng.choice(user_ids)]
        return ctx

    return build


def backend_plans() -> list[IssuePlan]:
    day = 24.0
    app = demo_app
    return [
        IssuePlan(
            "cart-quantity",
            lambda rng: app.add_to_cart({}, "sku-1", rng.choice(["abc", "two", "1O", ""])),
            "handled",
            [(1, 30 * day - 2, 45)],
            _web_context("POST", "/api/cart/items"),
        ),
        IssuePlan(
            "order-pricing",
            lambda rng: app.price_order(rng.randint(1000, 1999), ["sku-1", f"sku-{rng.randint(900, 999)}"]),
            "handled",
            [(2, 22 * day, 28)],
            _web_context("POST", "/api/orders", "source=cart"),
        ),
        IssuePlan(
            "daily-report",
            lambda rng: app.daily_report({"orders": rng.randint(0, 5), "visits": 0}),
            "excepthook",
            [(3, 29 * day, 20)],
            _job_context("reports"),
        ),
        IssuePlan(
            "db-pool",
            lambda rng: app.fetch_dashboard(app.ConnectionPool(20, rng.randint(30, 90))),
            "handled",
            [(2 * day, 20 * day, 8), (0.05, 2.5, 45), (6, 23.5, 15)],  # the spike: 45 events in 2.5 hours
            _web_context("GET", "/dashboard"),
        ),
        IssuePlan(
            "guest-receipt",
            lambda rng: app.checkout({"id": rng.randint(5000, 5999), "customer_id": rng.randint(2, 99)}),
            "excepthook",
            [(1, 3 * day - 1, 9)],
            _fixed_user([0, 1, 2], _web_context("POST", "/api/checkout")),
        ),
        IssuePlan(
            "payment-timeout",
            lambda rng: app.charge_card(rng.randint(500, 50000), f"tok_{rng.randint(1000, 9999)}"),
            "handled",
            [(4, 12 * day, 18)],
            _web_context("POST", "/api/payments"),
        ),
        IssuePlan(
            "inventory-low",
            lambda rng: None,
            "message",
            [(5, 30 * day - 3, 14)],
            _job_context("inventory"),
            message="Inventory low for SKU sku-17: 3 items left",
            level="warning",
        ),
        IssuePlan(
            "session-user-id",
            lambda rng: app.load_session({"Cookie": "session=abc"}),
            "excepthook",
            [(2, 9 * day, 12)],
            _web_context("GET", "/account", "tab=orders"),
        ),
    ]


def cache_storm_plan(ages: list[tuple[float, float, int]]) -> IssuePlan:
    def context(rng: random.Random) -> Context:
        ctx = _job_context("cache")(rng)
        ctx.fingerprint = ["cache-miss-storm"]
        return ctx

    return IssuePlan(
        "cache-storm",
        lambda rng: demo_app.warm_cache(rng.choice(["eu-west-1", "us-east-1", "ap-south-1"])),
        "handled",
        ages,
        context,
    )


def coupon_plan() -> IssuePlan:
    """The bug `NEW_RELEASE` shipped: expired coupon codes crash the price calculation."""
    return IssuePlan(
        "expired-coupon",
        lambda rng: demo_app.apply_coupon(rng.randint(1000, 9000), rng.choice(["SPRING10", "BLACKFRIDAY"])),
        "handled",
        [(0.3, 20, 8)],
        _web_context("POST", "/api/checkout/coupon"),
    )


def worker_plans() -> list[IssuePlan]:
    day = 24.0
    app = demo_app
    return [
        IssuePlan(
            "job-payload",
            lambda rng: app.decode_job_payload(rng.choice(["", "{'id': 1}", "<html>502</html>"])),
            "handled",
            [(1, 30 * day - 2, 26)],
            _job_context("default"),
        ),
        IssuePlan(
            "export-disk-full",
            lambda rng: app.run_export_job(rng.randint(70, 99)),
            "thread",
            [(3, 15 * day, 16)],
            _job_context("exports"),
        ),
        IssuePlan(
            "merge-totals",
            lambda rng: app.merge_totals({"total": rng.randint(1, 99)}, {"total": str(rng.randint(1, 99))}),
            "handled",
            [(1, 5 * day - 1, 10)],
            _job_context("billing"),
        ),
        IssuePlan(
            "queue-backlog",
            lambda rng: None,
            "message",
            [(2, 7 * day, 10)],
            _job_context("default"),
            message="Job queue backlog above threshold: 5000 pending",
            level="error",
        ),
        IssuePlan(
            "export-permission",
            lambda rng: app.open_export("/var/lib/worker/exports/report.csv"),
            "handled",
            [(19 * day, 28 * day, 7)],
            _job_context("exports"),
        ),
    ]


def _filtered_events(count: int) -> None:
    for index in range(count):
        try:
            raise ValueError(f"[filtered] health check probe #{index} from 10.0.0.7")
        except ValueError:
            sentry_sdk.capture_exception()


def _burst(size: int) -> None:
    for index in range(size):
        try:
            demo_app.broker_heartbeat(f"amqp://broker-{index % 3}.internal:5672")
        except ConnectionResetError:
            sentry_sdk.capture_exception()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--url", help="sandbox base URL, e.g. http://127.0.0.1:8765")
    parser.add_argument("--dsn", action="append", default=[], metavar="SLUG=DSN", help="project DSN (repeat)")
    parser.add_argument("--token", help="API token with event:write, to set a few issue statuses")
    args = parser.parse_args(argv)
    url, dsns = find_dsns(args.url, args.dsn)
    summary = seed(url.rstrip("/"), dsns, args.token)
    print(json.dumps(summary), flush=True)
    return 0


# -- last in the story: after `main`, so that no line the seed's stack frames point at moves ------------------


def logged_error_plan() -> IssuePlan:
    """An error the backend logs without an exception: sentry-sdk's logging integration sends it as a message
    event (`logentry` with the template and its params, `logger`, `level`), with no stack."""
    import logging  # here: a line added at the top would move the frames of every other issue

    log = logging.getLogger("shop.refunds")
    return IssuePlan(
        "refund-webhook",
        lambda rng: log.error("Refund webhook from %s rejected: bad signature (key %s)", "acme-pay", "whk_7"),
        "log",
        [(26, 12 * 24.0, 9)],
        _job_context("refunds"),
    )


def _logged_errors(dsn: str, rng: random.Random, now: datetime) -> int:
    seed_sdk.init(dsn, "backend@1.2.0", "web-1")
    sent = _send([logged_error_plan()], rng, now, _backend_release, 0.0)
    seed_sdk.flush()
    return sent


if __name__ == "__main__":
    raise SystemExit(main())
