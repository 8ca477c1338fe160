"""Prometheus metrics at /metrics: tool calls, their errors and latency, HTTP requests, and Sentry's answers.

Each app has its own registry, so two servers in one process (tests) count apart. No label carries a
secret: callers appear as key ids, never as keys, and no label names a user.
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST

# Tool calls take from a few milliseconds (one request) to the operation timeout (30 s by default).
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)
CONTENT_TYPE = CONTENT_TYPE_LATEST


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.calls = Counter(
            "sentry_monitor_tool_calls",
            "Tool calls answered, by tool and outcome (success, partial_success, failure, error).",
            ["tool", "status"],
            registry=self.registry,
        )
        self.errors = Counter(
            "sentry_monitor_tool_errors",
            "Tool calls that answered an error, by tool and error code.",
            ["tool", "code"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "sentry_monitor_tool_call_seconds",
            "How long tool calls took, by tool.",
            ["tool"],
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.in_flight = Gauge("sentry_monitor_tool_calls_in_flight", "Tool calls running now.", registry=self.registry)
        self.http = Counter(
            "sentry_monitor_http_requests",
            "HTTP requests answered, by path and status.",
            ["path", "status"],
            registry=self.registry,
        )
        self.sentry = Counter(
            "sentry_monitor_sentry_requests",
            "Answers from Sentry, retries included, by status class (2xx, 3xx, 4xx, 5xx).",
            ["status"],
            registry=self.registry,
        )
        self.sign_ins = Counter(
            "sentry_monitor_sign_ins",
            "Sign-ins on the sign-in pages, by outcome (signed_in, denied, not_member, refused, unavailable, "
            "signed_out).",
            ["outcome"],
            registry=self.registry,
        )
        self.renewals = Counter(
            "sentry_monitor_sentry_token_renewals",
            "Renewals of users' Sentry tokens with Sentry's refresh token, by outcome (renewed, refused: the sign-in "
            "ended, unavailable: Sentry could not be asked).",
            ["outcome"],
            registry=self.registry,
        )
        self.sentry_429 = Counter(
            "sentry_monitor_sentry_rate_limited",
            "Answers from Sentry that were 429 (its rate limit).",
            registry=self.registry,
        )

    def signed_in(self, outcome: str) -> None:
        self.sign_ins.labels(outcome).inc()

    def renewed(self, outcome: str) -> None:
        self.renewals.labels(outcome).inc()

    def sentry_answered(self, status: int) -> None:
        self.sentry.labels(f"{status // 100}xx").inc()
        if status == 429:
            self.sentry_429.inc()

    def exposition(self) -> bytes:
        return generate_latest(self.registry)
