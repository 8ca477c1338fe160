"""The retry policy for one Sentry request: what is retried, how long to wait, and when to stop.

A transient failure (a 429, a 5xx, a network error) is retried up to `SENTRY_MONITOR_RETRY_ATTEMPTS` times,
a 500 once at most, a timeout never. The wait honours a 429's own (capped) wait, else backs off
exponentially with jitter; retrying stops where the next wait would run past the operation deadline.
"""

from __future__ import annotations

import math
import random

import anyio
from tenacity import AsyncRetrying, RetryCallState, retry_if_exception, stop_after_attempt
from tenacity.stop import stop_base
from tenacity.wait import wait_random_exponential

from ..base.errors import OperationTimeout, RateLimited, SentryUnavailable, TransientError

# The longest server-requested wait we honour; the operation deadline caps it further.
MAX_SERVER_WAIT_S = 60.0
_BACKOFF = wait_random_exponential(multiplier=0.5, max=8)


def retrying(retry_attempts: int) -> AsyncRetrying:
    """A fresh retry loop for one request, making at most `retry_attempts` retries; it reraises the last error."""
    server_errors = 0

    def should_retry(exc: BaseException) -> bool:
        nonlocal server_errors
        if isinstance(exc, SentryUnavailable) and exc.details.get("status_code") == 500:
            server_errors += 1
            return server_errors <= 1  # a 500 is retried exactly once
        return isinstance(exc, TransientError) and not isinstance(exc, OperationTimeout)

    return AsyncRetrying(
        retry=retry_if_exception(should_retry),
        wait=_wait,
        stop=stop_after_attempt(retry_attempts + 1) | _StopAtDeadline(),
        sleep=anyio.sleep,
        reraise=True,
    )


def _wait(state: RetryCallState) -> float:
    """Honour the server's wait for a 429 (capped), else exponential backoff with jitter."""
    exc = state.outcome.exception() if state.outcome else None
    if isinstance(exc, RateLimited) and exc.details.get("retry_after_s") is not None:
        wait = min(float(exc.details["retry_after_s"]), MAX_SERVER_WAIT_S)
        # A little jitter on top, so that calls limited together do not all come back at the same instant.
        return wait + random.uniform(0, min(1.0, max(0.1, wait / 2)))
    return float(_BACKOFF(state))


class _StopAtDeadline(stop_base):
    """Stop retrying when the next wait would run past the operation deadline."""

    def __call__(self, retry_state: RetryCallState) -> bool:
        deadline = anyio.current_effective_deadline()
        if math.isinf(deadline):
            return False
        return anyio.current_time() + retry_state.upcoming_sleep + 0.05 >= deadline
