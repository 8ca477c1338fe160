"""A tiny shop backend and job worker with real bugs: the in-app code the seed's events come from.

Every public function here raises a genuine Python exception when called the way the seed calls it.
"""

from __future__ import annotations

import errno
import json
from dataclasses import dataclass
from typing import Any


class OrderProcessingError(Exception):
    """An order could not be priced or placed."""


class PaymentGatewayError(Exception):
    """The payment provider failed."""


class JobFailed(Exception):
    """A background job gave up."""


# -- backend: cart and orders -------------------------------------------------------------------

PRICES_CENTS = {"sku-1": 1999, "sku-2": 450, "sku-17": 12900}


def parse_quantity(raw_quantity: str) -> int:
    quantity = int(raw_quantity)
    return max(quantity, 1)


def add_to_cart(cart: dict[str, int], sku: str, raw_quantity: str) -> dict[str, int]:
    cart[sku] = cart.get(sku, 0) + parse_quantity(raw_quantity)
    return cart


def lookup_price(sku: str) -> int:
    return PRICES_CENTS[sku]


def price_order(order_id: int, skus: list[str]) -> int:
    try:
        return sum(lookup_price(sku) for sku in skus)
    except KeyError as exc:
        raise OrderProcessingError(f"could not price order {order_id}: unknown SKU") from exc


def compute_conversion_rate(orders: int, visits: int) -> float:
    return orders / visits


def daily_report(day_stats: dict[str, int]) -> dict[str, float]:
    rate = compute_conversion_rate(day_stats["orders"], day_stats["visits"])
    return {"conversion_rate": rate}


class ConnectionPool:
    def __init__(self, size: int, waiting: int) -> None:
        self.size = size
        self.waiting = waiting

    def acquire_connection(self) -> object:
        raise ConnectionError(f"database connection pool exhausted (size={self.size}, waiting={self.waiting})")


def fetch_dashboard(pool: ConnectionPool) -> dict[str, Any]:
    connection = pool.acquire_connection()
    return {"connection": connection}


@dataclass
class Customer:
    id: int
    email: str


CUSTOMERS = {1: Customer(1, "ana@example.com")}


def send_receipt(customer: Customer, order_id: int) -> str:
    return f"receipt for order {order_id} sent to {customer.email}"


def checkout(order: dict[str, int]) -> str:
    customer = CUSTOMERS.get(order["customer_id"])
    return send_receipt(customer, order["id"])  # type: ignore[arg-type]  # the bug: guest checkout


def _call_gateway(amount_cents: int, timeout_seconds: int) -> dict[str, Any]:
    raise TimeoutError(f"payment gateway did not answer within {timeout_seconds}s")


def charge_card(amount_cents: int, card_token: str) -> dict[str, Any]:
    try:
        return _call_gateway(amount_cents, timeout_seconds=30)
    except TimeoutError as exc:
        raise PaymentGatewayError(f"charge of {amount_cents} cents failed for card {card_token[:4]}****") from exc


COUPONS = {"WELCOME5": {"percent": 5}}


def apply_coupon(total_cents: int, code: str) -> int:
    coupon = COUPONS.get(code)
    return total_cents - total_cents * coupon["percent"] // 100  # type: ignore[index]  # the bug: expired codes


def load_session(headers: dict[str, str]) -> str:
    return headers["user_id"]


def warm_cache(region: str) -> None:
    raise RuntimeError(f"cache miss storm in {region}: 4096 keys expired at once")


# -- worker: jobs -------------------------------------------------------------------------------


def decode_job_payload(raw_payload: str) -> dict[str, Any]:
    payload: dict[str, Any] = json.loads(raw_payload)
    return payload


def write_export(path: str, rows: int) -> None:
    raise OSError(errno.ENOSPC, "No space left on device", path)


def run_export_job(job_id: int) -> None:
    try:
        write_export(f"/var/lib/worker/exports/job-{job_id}.csv", rows=250_000)
    except OSError as exc:
        raise JobFailed(f"export job {job_id} failed after 3 retries") from exc


def merge_totals(left: dict[str, Any], right: dict[str, Any]) -> Any:
    return left["total"] + right["total"]


def open_export(path: str) -> None:
    raise PermissionError(errno.EACCES, "Permission denied", path)


def broker_heartbeat(broker: str) -> None:
    raise ConnectionResetError(errno.ECONNRESET, f"Connection reset by peer ({broker})")
