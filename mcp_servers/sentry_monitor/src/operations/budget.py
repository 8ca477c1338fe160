"""One budget per result: what a model reads of one result, its text or its structured JSON, stays within
`max_result_chars` (SENTRY_MONITOR_MAX_RESULT_CHARS, default 24,000 characters, about 6,000 tokens).

A result over it loses items from the end of a list, never part of an item, so it still validates: the
operation's main list first (its issues, events...), then any other list, largest first. A warning says how
many items were left out, about how many tokens they would have cost, and how to get them. A list read in
pages gets a cursor that starts at the first item left out (at most one more request: Sentry's cursors are
opaque), so the rest is one call away and nothing is skipped.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from ..shared.results import Result
from .paging import PagedResult

CHARS_PER_TOKEN = 4
Size = Callable[[Result, str | None], int]
"""The characters a model reads of the output `result` makes, with one more warning (or None)."""


@dataclass(frozen=True)
class Cut:
    """The list a cut shortened: the model that holds it, the field, and its items before the cut."""

    owner: Result
    field: str
    items: list[Any]

    def keep(self, count: int) -> None:
        setattr(self.owner, self.field, self.items[:count])


async def fit(result: Result, budget: int, size: Size, *, main_list: str | None, hint: str) -> str | None:
    """Shorten `result`'s lists in place until `size` is within `budget`; the warning that says so, or None.

    `main_list` names the result's own list to cut first; `hint` says how to see what is left out of a list
    that has no cursor (e.g. "Ask for fewer with `top`.").
    """
    if size(result, None) <= budget:
        return None
    said = ""
    cut_already: set[tuple[int, str]] = set()
    while size(result, said or None) > budget:
        cut = next((c for c in _lists(result, main_list) if (id(c.owner), c.field) not in cut_already), None)
        if cut is None:
            break  # nothing left to cut: the text's own last-resort cut (shared.text) says so
        cut_already.add((id(cut.owner), cut.field))
        paged = cut.owner if isinstance(cut.owner, PagedResult) and cut.field == main_list else None
        how = hint if paged is None else _continue("~" * len(paged.next_cursor or "~" * 24))

        def size_with(warning: str, before: str = said) -> int:
            return size(result, _join(before, warning))

        def size_keeping(count: int, cut: Cut = cut, how: str = how) -> int:
            return size_with(_warning(cut, count, budget, how))

        count = _most_that_fit(cut, size_keeping, budget)
        cut.keep(count)
        if paged is not None:
            count, how = await _resume(paged, cut, count, size_with, budget)
        said = _join(said, _warning(cut, count, budget, how))
    return said or None


async def _resume(
    result: PagedResult, cut: Cut, count: int, size_with: Callable[[str], int], budget: int
) -> tuple[int, str]:
    """The count kept and how to continue: the cursor that starts at the first item left out."""
    while True:
        cursor = await result.cursor_after(count)
        result.next_cursor = cursor
        how = _continue(cursor) if cursor else ""
        if count == 0 or size_with(_warning(cut, count, budget, how)) <= budget:
            return count, how
        count -= 1  # the real cursor is longer than the one measured with: one item fewer
        cut.keep(count)


def _continue(cursor: str) -> str:
    return f"Call again with cursor='{cursor}' for them."


def _most_that_fit(cut: Cut, size_with: Callable[[int], int], budget: int) -> int:
    """The most items of `cut` (fewer than all) that fit; 0 when not even one does."""
    low, high = 0, len(cut.items) - 1
    while low < high:
        middle = (low + high + 1) // 2
        cut.keep(middle)
        if size_with(middle) <= budget:
            low = middle
        else:
            high = middle - 1
    return low


def _warning(cut: Cut, count: int, budget: int, how: str) -> str:
    left = cut.items[count:]
    return (
        f"{len(left)} of {len(cut.items)} {cut.field.replace('_', ' ')} left out (~{_chars(left) // CHARS_PER_TOKEN:,}"
        f" tokens) to stay within the {budget:,}-character result budget (SENTRY_MONITOR_MAX_RESULT_CHARS). {how}"
    ).rstrip()


def _dump(item: Any) -> Any:
    return item.model_dump(mode="json") if isinstance(item, Result) else item


def _join(said: str, warning: str) -> str:
    return f"{said} {warning}".strip()


def _lists(result: Result, main_list: str | None) -> Iterator[Cut]:
    """Every non-empty list in `result`: `main_list` first, then the others, largest first."""
    found = list(_walk(result))
    found.sort(key=lambda cut: (not (cut.owner is result and cut.field == main_list), -_chars(cut.items)))
    yield from found


def _walk(model: Result) -> Iterator[Cut]:
    for name in type(model).model_fields:
        value = getattr(model, name)
        if isinstance(value, list) and value:
            yield Cut(model, name, list(value))
            for item in value:
                if isinstance(item, Result):
                    yield from _walk(item)
        elif isinstance(value, Result):
            yield from _walk(value)


def _chars(items: list[Any]) -> int:
    return len(json.dumps([_dump(item) for item in items], separators=(",", ":")))
