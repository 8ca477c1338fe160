"""Offset cursors and the `Link` header exactly as Sentry writes them (REFERENCE §7)."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode

from starlette.datastructures import QueryParams

INVALID_CURSOR = "Invalid cursor parameter."


class CursorError(ValueError):
    """A malformed `cursor` (answered as 400 `{"detail": "Invalid cursor parameter."}`)."""


@dataclass(frozen=True)
class Cursor:
    value: int
    offset: int
    is_prev: bool

    def __str__(self) -> str:
        return f"{self.value}:{self.offset}:{int(self.is_prev)}"


def parse_cursor(raw: str | None) -> Cursor:
    """Parse `value:offset:is_prev`; an absent cursor is the first page."""
    if raw is None or raw == "":
        return Cursor(0, 0, False)
    parts = raw.split(":")
    if len(parts) != 3:
        raise CursorError(INVALID_CURSOR)
    try:
        value = int(float(parts[0]))
        offset = int(parts[1])
        is_prev = int(parts[2])
    except ValueError as exc:
        raise CursorError(INVALID_CURSOR) from exc
    if offset < 0 or is_prev not in (0, 1):
        raise CursorError(INVALID_CURSOR)
    return Cursor(value, offset, bool(is_prev))


@dataclass(frozen=True)
class Page:
    start: int
    stop: int
    previous: Cursor
    next: Cursor
    has_previous: bool
    has_next: bool


def paginate(total: int, cursor: Cursor, limit: int) -> Page:
    """Sentry's OffsetPaginator: the previous cursor exists on page 1 with `results="false"`."""
    start = cursor.offset
    stop = min(start + limit, total)
    return Page(
        start=start,
        stop=stop,
        previous=Cursor(0, max(0, start - limit), True),
        next=Cursor(0, start + limit, False),
        has_previous=start > 0,
        has_next=start + limit < total,
    )


def link_header(base_url: str, path: str, query: QueryParams, page: Page) -> str:
    """`<url?params&cursor=c>; rel="previous"; results="false"; cursor="c", <...>; rel="next"; ...`."""
    params = [(k, v) for k, v in query.multi_items() if k != "cursor"]
    url = f"{base_url}{path}?{urlencode(params)}"

    def link(cursor: Cursor, rel: str, has_results: bool) -> str:
        results = "true" if has_results else "false"
        return f'<{url}&cursor={cursor}>; rel="{rel}"; results="{results}"; cursor="{cursor}"'

    return ", ".join([link(page.previous, "previous", page.has_previous), link(page.next, "next", page.has_next)])
