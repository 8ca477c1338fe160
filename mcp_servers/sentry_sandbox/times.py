"""Time helpers shared by the sandbox: ISO formatting, Sentry period strings, bucketing."""

from __future__ import annotations

import math
import re
from datetime import UTC, datetime, timedelta

_PERIOD_RE = re.compile(r"^(\d+)([smhdw]?)$")
_UNIT_SECONDS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


def utcnow() -> datetime:
    """Return the current time, timezone-aware UTC."""
    return datetime.now(UTC)


def iso(moment: datetime) -> str:
    """Format like Sentry: `2025-04-12T11:34:11Z`, or with microseconds when present."""
    moment = moment.astimezone(UTC)
    if moment.microsecond:
        return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_period(value: str) -> timedelta | None:
    """Parse a Sentry period (`24h`, `14d`, `90m`, `1w`, `3600`); return None when malformed."""
    match = _PERIOD_RE.match(value.strip())
    if match is None:
        return None
    return timedelta(seconds=int(match.group(1)) * _UNIT_SECONDS[match.group(2)])


def parse_datetime(value: str | float | int | None) -> datetime | None:
    """Parse an ISO-8601 string or unix seconds into an aware UTC datetime; None when unusable."""
    if value is None:
        return None
    if isinstance(value, int | float):
        return datetime.fromtimestamp(float(value), UTC)
    text = value.strip()
    if not text:
        return None
    try:
        return datetime.fromtimestamp(float(text), UTC)
    except ValueError:
        pass
    if text.endswith("Z"):
        text = text[:-1] + "+00:00"
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def floor_to(moment: datetime, seconds: int) -> datetime:
    """Round down to a multiple of `seconds` since the epoch."""
    ts = int(moment.timestamp())
    return datetime.fromtimestamp(ts - ts % seconds, UTC)


def ceil_to(moment: datetime, seconds: int) -> datetime:
    """Round up to a multiple of `seconds` since the epoch."""
    return datetime.fromtimestamp(seconds * math.ceil(moment.timestamp() / seconds), UTC)


def bucket_starts(end: datetime, bucket_seconds: int, count: int) -> list[datetime]:
    """`count` bucket starts, oldest first, the last one being the bucket that contains `end`."""
    last = floor_to(end, bucket_seconds)
    return [last - timedelta(seconds=bucket_seconds * (count - 1 - i)) for i in range(count)]
