"""`tokenize_query` of Sentry's `sentry/search/utils.py`: the `query` of its member, team and project lists.

`key:value` tokens gather under their key (a repeated key collects every value); anything else is free text,
gathered under `query`. Quotes group words and are dropped. Unlike the issue search, these lists know only a few
keys each and answer an unknown key with nothing.
"""

from __future__ import annotations

import re

_TOKEN_RE = re.compile(r'[^\s"]*"[^"]*"|\S+')


def tokenize_query(query: str) -> dict[str, list[str]]:
    """`"is_member team:backend ana"` -> `{"team": ["backend"], "query": ["is_member", "ana"]}`."""
    result: dict[str, list[str]] = {}
    for token in _TOKEN_RE.findall(query):
        if token.upper() in ("OR", "AND") or token.strip("()") == "":
            continue
        key, sep, value = token.partition(":")
        if sep and key and not key.startswith(('"', "'")) and value[:1] not in ("", ":", " "):
            result.setdefault(key, []).append(value.strip('"'))
        else:
            result.setdefault("query", []).append(token.strip('"'))
    return result
