"""Parsing Sentry's `Link` pagination header, tolerantly.

Sentry sends `<url>; rel="previous"; results="false"; cursor="0:0:1", <url>; rel="next"; results="true";
cursor="0:100:0"`. Some servers wrap it (a Python set literal `{'...'}`), quote differently, or leave out
the `cursor` attribute; then the cursor is read from the URL's `cursor` query parameter.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

_LINK = re.compile(r"<(?P<url>[^>]*)>(?P<params>[^<]*)")
_PARAM = re.compile(r"""(?P<key>[A-Za-z_][\w-]*)\s*=\s*(?:"(?P<dq>[^"]*)"|'(?P<sq>[^']*)'|(?P<bare>[^;,\s'"}]+))""")


@dataclass(frozen=True)
class Link:
    url: str
    rel: str
    results: bool | None
    cursor: str | None


def parse_link_header(header: str | None) -> list[Link]:
    """All links in a `Link` header; an empty list for a missing or unreadable one."""
    if not header:
        return []
    links = []
    for match in _LINK.finditer(header):
        params = {
            m["key"].lower(): m["dq"] if m["dq"] is not None else (m["sq"] if m["sq"] is not None else m["bare"])
            for m in _PARAM.finditer(match["params"])
        }
        url = match["url"].strip()
        cursor = params.get("cursor") or _cursor_from_url(url)
        results = params.get("results")
        links.append(
            Link(
                url=url,
                rel=(params.get("rel") or "").lower(),
                results=None if results is None else results.lower() == "true",
                cursor=cursor or None,
            )
        )
    return links


def next_cursor(header: str | None) -> str | None:
    """The cursor of the next page, or None when there is no next page.

    A `rel="next"` link counts while `results` is "true"; one without a `results` attribute counts when it
    carries a cursor (servers that do not send the attribute).
    """
    for link in parse_link_header(header):
        if link.rel == "next" and link.results is not False and link.cursor:
            return link.cursor
    return None


def _cursor_from_url(url: str) -> str | None:
    values = parse_qs(urlsplit(url).query).get("cursor")
    return values[0] if values else None
