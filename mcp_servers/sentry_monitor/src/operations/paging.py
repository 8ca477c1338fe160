"""Reading several pages of a Sentry list for one answer, without losing what was read.

Sentry serves at most 100 rows a page. When an operation wants more, `read_pages` follows the `Link`
cursors. The first page must succeed (its failure is the operation's failure); a later page that
fails, or that would run past the operation deadline, ends the read with what it has: the result is
then a `partial_success` whose warning says what is missing and which cursor continues. A cursor that
comes back again (a pagination loop) stops the read with a warning.
"""

from __future__ import annotations

import math
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any, Self

import anyio
from pydantic import Field, PrivateAttr

from ..base.errors import BadUpstreamResponse, ResponseTooLarge, TransientError
from ..sentry import Params
from ..sentry.responses import ApiResponse
from ..shared.results import Result
from .operation import OperationContext

PAGE_MAX = 100
# Time kept back from the operation deadline when starting a later page, to build the answer.
DEADLINE_RESERVE_S = 0.5


Fetch = Callable[[Params], Awaitable[ApiResponse]]
"""One page, given its parameters: e.g. `lambda params: api.issue_events(issue_id, params)`."""


@dataclass(frozen=True)
class Resume:
    """How to continue a read after any of its rows: Sentry's cursors are opaque, so a cursor that starts at row
    `kept` is the one the page holding that row was read with, or the next cursor of that page read again
    with only the rows before it."""

    fetch: Fetch
    params: Params
    size_param: str
    starts: tuple[tuple[str | None, int], ...]  # each page read: the cursor it was read with, its first row

    async def cursor_after(self, kept: int) -> str | None:
        """The cursor whose page starts at row `kept` (0-based): at most one request."""
        cursor, first = next((start for start in reversed(self.starts) if start[1] <= kept), (None, 0))
        if kept == first:
            return cursor
        page_params: dict[str, str | int | Sequence[str]] = {**self.params, self.size_param: kept - first}
        if cursor:
            page_params["cursor"] = cursor
        return (await self.fetch(page_params)).next_cursor


class PagedResult(Result):
    """A result that holds one page of a longer list: `next_cursor` continues it. A cut to the result budget
    moves the cursor back to the first row left out (`resume`), so no row is ever skipped."""

    next_cursor: str | None = Field(default=None, description="Pass as `cursor` for the next page; absent at the end.")
    _resume: Resume | None = PrivateAttr(default=None)

    def resuming(self, pages: Pages) -> Self:
        self._resume = pages.resume
        return self

    async def cursor_after(self, kept: int) -> str | None:
        """The cursor that continues this result at row `kept`, once the rows after it are cut."""
        return await self._resume.cursor_after(kept) if self._resume is not None else None


@dataclass(frozen=True)
class Pages:
    rows: list[dict[str, Any]]
    next_cursor: str | None
    total_hits: int | None
    resume: Resume | None = None


async def read_pages(
    ctx: OperationContext,
    fetch: Fetch,
    params: Params,
    *,
    want: int,
    size_param: str,
    noun: str,
    cursor: str | None = None,
    report_pages: bool = True,
) -> Pages:
    """Up to `want` rows (deduplicated by id) read page by page with `fetch`, `PAGE_MAX` a page, from `cursor`.

    Each page read is told as progress unless `report_pages` is false (a caller that counts its own steps).
    """
    rows: list[dict[str, Any]] = []
    seen_ids: set[str] = set()
    requested: set[str | None] = set()
    total_hits: int | None = None
    pages = 0
    starts: list[tuple[str | None, int]] = []
    while True:
        page_params: dict[str, str | int | Sequence[str]] = {**params, size_param: min(PAGE_MAX, want - len(rows))}
        if cursor:
            page_params["cursor"] = cursor
        requested.add(cursor)
        starts.append((cursor, len(rows)))
        if pages == 0:
            response = await fetch(page_params)
        else:
            try:
                with anyio.move_on_after(_time_left()) as scope:
                    response = await fetch(page_params)
            except (TransientError, BadUpstreamResponse, ResponseTooLarge) as exc:
                _cut(ctx, noun, rows, want, cursor, f"page {pages + 1} failed ({exc.code}: {exc.message})")
                return Pages(rows, cursor, total_hits, Resume(fetch, params, size_param, tuple(starts)))
            if scope.cancelled_caught:
                _cut(ctx, noun, rows, want, cursor, f"page {pages + 1} would have run past the operation deadline")
                return Pages(rows, cursor, total_hits, Resume(fetch, params, size_param, tuple(starts)))
        pages += 1
        total_hits = total_hits if total_hits is not None else response.total_hits
        for row in response.json_list(f"the {noun} list"):
            key = str(row.get("id") or row.get("eventID") or row.get("event_id") or "")
            if key and key not in seen_ids:
                seen_ids.add(key)
                rows.append(row)
        cursor = response.next_cursor
        if want > PAGE_MAX and report_pages:
            total = min(want, total_hits) if total_hits is not None else None
            await ctx.report(len(rows), total, f"read {len(rows)}" + (f" of {total}" if total else "") + f" {noun}")
        if len(rows) >= want or cursor is None:
            return Pages(rows[:want], cursor, total_hits, Resume(fetch, params, size_param, tuple(starts)))
        if cursor in requested:
            ctx.warn(
                f"Sentry returned cursor {cursor!r} again after {pages} page(s) (a pagination loop); "
                f"stopped with the {len(rows)} {noun} read so far.",
                partial=True,
            )
            return Pages(rows, None, total_hits, Resume(fetch, params, size_param, tuple(starts)))


def _time_left() -> float:
    deadline = anyio.current_effective_deadline()
    if math.isinf(deadline):
        return math.inf
    return max(0.0, deadline - anyio.current_time() - DEADLINE_RESERVE_S)


def _cut(ctx: OperationContext, noun: str, rows: list[dict[str, Any]], want: int, cursor: str | None, why: str) -> None:
    ctx.warn(
        f"Only {len(rows)} of the {want} {noun} asked for were read: {why}. "
        f"Call again with cursor='{cursor}' for the rest.",
        partial=True,
    )
