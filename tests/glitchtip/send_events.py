"""The known events the GlitchTip tier sends with the official sentry-sdk: `python -m tests.glitchtip.send_events DSN`.

Run in a process of its own (the SDK installs process-wide hooks: excepthook, logging). Two releases, each
with its own environment (`shop@1.0.0` in production, `shop@1.1.0` in staging), four users, four exceptions
(two handled, two unhandled, two with a chained cause) and two message events (`capture_message` and a
`logging.error` without an exception). `PLAN` is what the tests expect GlitchTip to have stored.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import sentry_sdk
from sentry_sdk.integrations.excepthook import ExcepthookIntegration
from sentry_sdk.integrations.logging import LoggingIntegration
from sentry_sdk.integrations.modules import ModulesIntegration

FLUSH_TIMEOUT_SECONDS = 30.0
RELEASES = {"shop@1.0.0": "production", "shop@1.1.0": "staging"}
USERS = {
    name: {"id": str(100 + number), "email": f"{name}@example.com", "username": name}
    for number, name in enumerate(("alice", "bob", "carol", "dave"))
}
DISK_MESSAGE = "disk almost full"
EXPORT_LOG = "nightly export failed for %s"
EXPORT_MESSAGE = EXPORT_LOG % "invoices"


@dataclass(frozen=True)
class Planned:
    """One issue GlitchTip should make of the events: how they are raised and who saw them, per release."""

    key: str
    title_part: str  # in the title as GlitchTip builds it (exception type or message)
    capture: str  # "handled" | "unhandled" | "message" | "log"
    users: dict[str, tuple[str, ...]]  # release -> one user per event

    @property
    def events(self) -> int:
        return sum(len(users) for users in self.users.values())


PLAN = (
    Planned(
        "quantity",
        "ValueError",
        "handled",
        {"shop@1.0.0": ("alice", "bob", "carol"), "shop@1.1.0": ("alice", "bob")},
    ),
    Planned("checkout", "RuntimeError", "handled", {"shop@1.0.0": ("bob", "dave", "dave", "bob")}),
    Planned("basket", "ZeroDivisionError", "unhandled", {"shop@1.1.0": ("carol", "dave", "carol")}),
    Planned("gateway", "ConnectionError", "unhandled", {"shop@1.1.0": ("alice",)}),
    Planned("disk", DISK_MESSAGE, "message", {"shop@1.0.0": ("alice", "bob")}),
    Planned("export", "nightly export failed", "log", {"shop@1.0.0": ("carol",)}),
)
TOTAL_EVENTS = sum(planned.events for planned in PLAN)


# -- the application code that fails ------------------------------------------------------------------


def parse_quantity(raw: str) -> int:
    quantity = int(raw)
    if quantity < 0:
        raise ValueError(f"invalid quantity: {quantity}")
    return quantity


def checkout(cart: dict[str, Any]) -> None:
    try:
        cart["items"]
    except KeyError as missing:
        raise RuntimeError("checkout failed: the cart has no items") from missing


def average_basket(totals: list[float]) -> float:
    return sum(totals) / len(totals)


def charge(amount: float) -> None:
    try:
        raise TimeoutError("read timed out after 30 s")
    except TimeoutError as slow:
        raise ConnectionError(f"payment gateway unreachable (charging {amount})") from slow


ACTIONS: dict[str, Callable[[], object]] = {
    "quantity": lambda: parse_quantity("-3"),
    "checkout": lambda: checkout({}),
    "basket": lambda: average_basket([]),
    "gateway": lambda: charge(12.5),
}


def _quiet_excepthook(*_args: Any) -> None:
    """The hook the SDK's excepthook integration wraps: it reports the event; nothing is printed."""


def capture(planned: Planned) -> None:
    if planned.capture == "message":
        sentry_sdk.capture_message(DISK_MESSAGE)
        return
    if planned.capture == "log":
        logging.getLogger("shop.export").error(EXPORT_LOG, "invoices")  # no exception: a message event
        return
    try:
        ACTIONS[planned.key]()
    except Exception:
        if planned.capture == "unhandled":
            sys.excepthook(*sys.exc_info())  # the SDK's hook: an unhandled (handled=false) event
        else:
            sentry_sdk.capture_exception()


def send(dsn: str) -> int:
    sys.excepthook = _quiet_excepthook
    logging.getLogger("shop").addHandler(logging.NullHandler())  # the SDK reports it; nothing is printed
    sent = 0
    for release, environment in RELEASES.items():
        sentry_sdk.init(
            dsn=dsn,
            release=release,
            environment=environment,
            server_name="shop-1",
            default_integrations=True,
            auto_enabling_integrations=False,
            integrations=[
                ExcepthookIntegration(always_run=True),
                LoggingIntegration(level=logging.INFO, event_level=logging.ERROR),
            ],
            disabled_integrations=[ModulesIntegration()],  # no list of this venv's packages in every event
        )
        for planned in PLAN:
            for name in planned.users.get(release, ()):
                with sentry_sdk.isolation_scope():
                    sentry_sdk.set_user(USERS[name])
                    capture(planned)
                sent += 1
        sentry_sdk.flush(timeout=FLUSH_TIMEOUT_SECONDS)
    sentry_sdk.get_client().close(timeout=FLUSH_TIMEOUT_SECONDS)
    return sent


def main(argv: list[str] | None = None) -> None:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        raise SystemExit("usage: python -m tests.glitchtip.send_events DSN")
    sent = send(args[0])
    print(f"sent {sent} events")


if __name__ == "__main__":
    main()
