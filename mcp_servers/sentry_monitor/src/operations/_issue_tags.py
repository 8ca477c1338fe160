"""What an issue's tags (`issues/{id}/tags/`) tell where the issue itself does not: its users and releases.

GlitchTip keeps no user count and no first or last release on an issue; its tags have them: one tag per user
field the SDK sent (`user.id`, `user.email`, `user.username`), and `release`, each with its distinct values.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..sentry import models
from ..sentry.responses import ApiResponse

USER_KEYS = ("user", "user.id", "user.email", "user.username", "user.ip_address")
MAX_TAGS = 10


@dataclass(frozen=True)
class TagFacts:
    users: int | None  # distinct users, from the user tag with most distinct values; None without one
    top: dict[str, int]  # tag key -> events carrying it, most first
    releases: dict[str, int]  # release -> events, most first
    tags: list[models.TagSummary]  # every tag as read


def tag_facts(response: ApiResponse) -> TagFacts:
    tags = [models.TagSummary.model_validate(row) for row in response.json_list("the issue's tags")]
    by_key = {tag.key: tag for tag in tags}
    users = [count for key in USER_KEYS if key in by_key and (count := by_key[key].unique_values) is not None]
    release = by_key.get("release")
    return TagFacts(
        users=max(users) if users else None,
        top={tag.key: tag.total_values for tag in sorted(tags, key=lambda tag: -tag.total_values)[:MAX_TAGS]},
        releases={value.value: value.count for value in release.top_values} if release else {},
        tags=tags,
    )
