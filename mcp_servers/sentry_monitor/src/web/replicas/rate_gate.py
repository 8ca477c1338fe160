"""Sentry's rate limits paced across replicas: `RedisRateGate`, the `RateGate` they share through Redis.

What one replica learns (`sentry/rate_gate.py`: from rate-limit headers and 429s) paces every replica's
requests with that token to that endpoint. Per token fingerprint and endpoint, Redis keeps:

- the limit (`rate:limit:…`, "requests window_ms"), for LIMIT_TTL_S after it was last learned;
- the send times of the last window (`rate:sent:…`, a sorted set expiring with its window);
- a hold until Sentry's window resets (`rate:hold:…`, a key expiring then), set when an answer says nothing
  remains.

Taking a turn is one Lua script, atomic in Redis and timed by Redis's own clock (`TIME`), so replicas' clocks
do not matter: it answers -1 (no limit known: go), 0 (go; the send is recorded) or the milliseconds to wait.
A replica's waiters for one endpoint ask Redis one at a time, in the order they came. Keeping what an answer
says is another script: the limit, a hold, and, in the first window after a replica learns a limit, the sends
the answer says this window has used (sent before any limit was known, so not recorded) as sends of now.

Unlimited endpoints must cost no Redis call, yet a limit learned by replica A must pace replica B before B
has heard it itself. So each replica keeps, per token and endpoint, whether Redis knew a limit and when it
last asked: an endpoint known to be unlimited is asked about again only after RECHECK_S. Ten seconds is the
choice because B rarely depends on it: every answer of a limited endpoint carries the limit, so B learns it
from its own first answer; the check covers the requests B sends before that answer comes back, and a limit
told by a 429 alone (a proxy's, without headers), at the cost of one Redis call per endpoint and token every
ten seconds. Endpoints that never tell a limit (self-hosted Sentry, GlitchTip) cost just that.

A Redis that does not answer raises SharedStateUnavailable (`reaching`), which the Sentry retry loop does not
retry: nothing was sent to Sentry.
"""

from __future__ import annotations

import math
import secrets
import time

import anyio

from ...sentry.rate_gate import HEADER_WINDOW_S, RateGate, RateHeaders, can_wait
from .connection import SharedRedis, reaching

LIMIT_TTL_S = 3600
# A limit heard again is written again (refreshing its TTL) at most this often per replica.
REWRITE_AFTER_S = 60.0
RECHECK_S = 10.0

# KEYS: limit, sent, hold. ARGV: a member naming this send. Answers -1, 0 or the milliseconds to wait.
TURN = """
local stored = redis.call('GET', KEYS[1])
if not stored then return -1 end
local limit, window = string.match(stored, '^(%d+) (%d+)$')
limit, window = tonumber(limit), tonumber(window)
local held = redis.call('PTTL', KEYS[3])
if held > 0 then return held end
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000 + math.floor(tonumber(clock[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now - window)
if redis.call('ZCARD', KEYS[2]) < limit then
  redis.call('ZADD', KEYS[2], now, ARGV[1])
  redis.call('PEXPIRE', KEYS[2], window)
  return 0
end
local oldest = redis.call('ZRANGE', KEYS[2], 0, 0, 'WITHSCORES')
return math.max(1, tonumber(oldest[2]) + window - now)
"""
# KEYS: limit, sent, hold. ARGV: requests, window ms, TTL s, sends used, hold ms, a prefix naming the sends.
KEEP = """
redis.call('SET', KEYS[1], ARGV[1] .. ' ' .. ARGV[2], 'EX', ARGV[3])
local window, used, hold = tonumber(ARGV[2]), tonumber(ARGV[4]), tonumber(ARGV[5])
if used > 0 then
  local clock = redis.call('TIME')
  local now = tonumber(clock[1]) * 1000 + math.floor(tonumber(clock[2]) / 1000)
  redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now - window)
  for send = redis.call('ZCARD', KEYS[2]) + 1, used do
    redis.call('ZADD', KEYS[2], now, ARGV[6] .. send)
  end
  redis.call('PEXPIRE', KEYS[2], window)
end
if hold > 0 then redis.call('SET', KEYS[3], '1', 'PX', hold) end
return 0
"""


class RedisRateGate(RateGate):
    """A `RateGate` kept in Redis and shared by every replica (see the module docstring)."""

    def __init__(self, shared: SharedRedis, *, recheck_s: float = RECHECK_S) -> None:
        super().__init__()
        self._redis = shared
        self._turn = shared.client.register_script(TURN)
        self._keep_script = shared.client.register_script(KEEP)
        self._recheck_s = recheck_s
        self._known: dict[tuple[str, str], tuple[bool, float]] = {}  # limited?, as of (anyio time)
        self._written: dict[tuple[str, str], tuple[int, float, float]] = {}  # requests, window s, when written
        self._turns: dict[tuple[str, str], anyio.Lock] = {}

    async def wait_turn(self, scope: str, endpoint: str) -> None:
        key = scope, endpoint
        known = self._known.get(key)
        if known is not None and not known[0] and anyio.current_time() - known[1] < self._recheck_s:
            return
        async with self._turns.setdefault(key, anyio.Lock()):
            member = secrets.token_hex(8)
            while True:
                with reaching():
                    wait_ms = int(await self._turn(keys=self._keys(scope, endpoint), args=[member]))
                self._known[key] = wait_ms >= 0, anyio.current_time()
                if wait_ms < 0:
                    self._written.pop(key, None)  # gone (expired, or Redis restarted): the next answer writes it
                if wait_ms <= 0 or not can_wait(wait_ms / 1000):
                    return
                await anyio.sleep(wait_ms / 1000)

    async def learn(self, scope: str, endpoint: str, limit: tuple[int, float]) -> None:
        await self._keep(scope, endpoint, *limit)

    async def heard(self, scope: str, endpoint: str, headers: RateHeaders) -> None:
        written = self._written.get((scope, endpoint))
        window_s = written[1] if written else HEADER_WINDOW_S
        await self._keep(scope, endpoint, headers.limit, window_s, headers.used(), math.ceil(headers.hold_s() * 1000))

    async def _keep(
        self, scope: str, endpoint: str, requests: int, window_s: float, used: int = 0, hold_ms: int = 0
    ) -> None:
        """Keep a limit in Redis, a hold, and the sends already `used` in the first window after this replica
        learned the limit. Otherwise a limit this replica wrote less than REWRITE_AFTER_S ago is not written again."""
        key = scope, endpoint
        self._known[key] = True, anyio.current_time()
        written = self._written.get(key)
        now = time.monotonic()
        fresh = written is not None and written[:2] == (requests, window_s) and now - written[2] < REWRITE_AFTER_S
        learning = written is None or now - written[2] < window_s
        if fresh and hold_ms == 0 and not (learning and used > 0):
            return
        if not fresh:
            self._written[key] = requests, window_s, now  # before the write: answers arriving together write once
        arguments = [requests, math.ceil(window_s * 1000), LIMIT_TTL_S, used if learning else 0, hold_ms]
        try:
            with reaching():
                await self._keep_script(keys=self._keys(scope, endpoint), args=[*arguments, secrets.token_hex(8)])
        except BaseException:
            self._written.pop(key, None)
            raise

    def _keys(self, scope: str, endpoint: str) -> list[str]:
        return [self._redis.key("rate", part, scope, endpoint) for part in ("limit", "sent", "hold")]
