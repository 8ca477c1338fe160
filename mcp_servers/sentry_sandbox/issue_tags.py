"""An issue's tags as Sentry counts them from its events: per key the events tagged (`totalValues`), the distinct
values (`uniqueValues`) and the most frequent values (`topValues`), each with its count and first/last seen.

Shapes of Sentry's `TagKeySerializer` and `TagValueSerializer` (`sentry/tagstore/types.py`): a value's `name` is
its label (`get_tag_value_label`: a user tag's value without its `id:`/`email:`... prefix, a release's short
version), and a user value carries the `query` that finds its events (`convert_user_tag_to_query`). Sentry sends
no percentage: a value's share is its `count` over the key's `totalValues`.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from .models import StoredEvent
from .serialize_orgs import short_version
from .times import iso

TOP_VALUES_LIST = 10  # the Tags tab (`GroupTagsEndpoint` without `key`)
TOP_VALUES_PER_KEY = 9  # the tag distribution bars (with `key`), and a key's details
KEY_LABELS = {"url": "URL", "server_name": "Server", "runtime.name": "Runtime Name", "os": "OS"}
USER_FIELDS = {"id": "id", "email": "email", "username": "username", "ip": "ip"}


def key_label(key: str) -> str:
    """Sentry's `get_tag_key_label`: a few fixed labels, else the key in title case."""
    return KEY_LABELS.get(key, key.replace("_", " ").replace(".", " ").title())


def value_label(key: str, value: str) -> str:
    """Sentry's `get_tag_value_label`: a user tag's value without its prefix, a release's short version."""
    if key == "user":
        prefix, sep, rest = value.partition(":")
        return rest if sep and prefix in USER_FIELDS else value
    if key == "release":
        return short_version(value)
    return value


@dataclass
class TagKey:
    """One key's counts over some events."""

    key: str
    counts: Counter[str] = field(default_factory=Counter)
    first_seen: dict[str, datetime] = field(default_factory=dict)
    last_seen: dict[str, datetime] = field(default_factory=dict)

    def add(self, value: str, moment: datetime) -> None:
        self.counts[value] += 1
        self.first_seen[value] = min(self.first_seen.get(value, moment), moment)
        self.last_seen[value] = max(self.last_seen.get(value, moment), moment)

    def top_values(self, limit: int) -> list[dict[str, Any]]:
        """The most frequent values (ties: the most recently seen first), as `TagValueSerializer` writes them."""
        ranked = sorted(self.counts, key=lambda v: (-self.counts[v], -self.last_seen[v].timestamp(), v))
        values = []
        for value in ranked[:limit]:
            item: dict[str, Any] = {
                "key": self.key,
                "name": value_label(self.key, value),
                "value": value,
                "count": self.counts[value],
                "lastSeen": iso(self.last_seen[value]),
                "firstSeen": iso(self.first_seen[value]),
            }
            field_name, sep, rest = value.partition(":")
            if self.key == "user" and sep and field_name in USER_FIELDS:
                item["query"] = f'user.{USER_FIELDS[field_name]}:"{rest}"'
            values.append(item)
        return values

    def serialize(self, limit: int | None) -> dict[str, Any]:
        """`{key, name, totalValues, uniqueValues}`, plus `topValues` unless `limit` is None."""
        data: dict[str, Any] = {
            "key": self.key,
            "name": key_label(self.key),
            "totalValues": sum(self.counts.values()),
            "uniqueValues": len(self.counts),
        }
        if limit is not None:
            data["topValues"] = self.top_values(limit)
        return data


def tag_keys(events: list[StoredEvent]) -> dict[str, TagKey]:
    """Every tag key of `events` with its counts, by key."""
    keys: dict[str, TagKey] = {}
    for event in events:
        for key, value in event.tags:
            keys.setdefault(key, TagKey(key)).add(value, event.timestamp)
    return keys
