"""Sentry API objects as we parse them: every field optional, extra fields ignored.

Sentry's responses differ between sentry.io, self-hosted versions and GlitchTip (older ones lack
`substatus`, `priority`, `isUnhandled`, `assignedTo`; GlitchTip sends some answers in snake_case and
`null` in count series). These models take camelCase and snake_case alike, never fail on a missing
field, and read older substatus names as the current ones; the operations decide what a missing value
means.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import AliasChoices, BaseModel, BeforeValidator, ConfigDict, Field, field_validator
from pydantic.alias_generators import to_camel

# Older self-hosted Sentry names the archived substatuses without the `archived_` prefix.
OLDER_SUBSTATUSES = {
    "until_escalating": "archived_until_escalating",
    "until_condition_met": "archived_until_condition_met",
    "forever": "archived_forever",
}


def _as_text(value: Any) -> Any:
    return "" if value is None else str(value)


Text = Annotated[str, BeforeValidator(_as_text)]
"""A text field Sentry may send as a number (ids) or null (read as "")."""


class SentryModel(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="ignore")


def _int(value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0


class Release(SentryModel):
    version: str | None = None
    short_version: str | None = None
    date_created: str | None = None


class ProjectRef(SentryModel):
    id: str | None = None
    slug: str | None = None
    name: str | None = None
    platform: str | None = None

    @field_validator("id", mode="before")
    @classmethod
    def _id_as_text(cls, value: Any) -> Any:
        return None if value is None else str(value)


class TagValue(SentryModel):
    value: Text = ""
    count: int = 0


class TagSummary(SentryModel):
    key: str
    name: str | None = None
    total_values: int = 0
    unique_values: int | None = None
    top_values: list[TagValue] = Field(default_factory=list)


class IssueOwner(SentryModel):
    """One of an issue's suggested owners (`expand=owners`): how it was found and an actor, `user:<id>` or
    `team:<id>`."""

    type: Text = ""
    owner: Text = ""


class Note(SentryModel):
    """A note on an issue: an item of Sentry's issue `activity` of type `note`, or a GlitchTip comment (the same
    shape: `{id, user, type, data: {text}, dateCreated}`; GlitchTip's user has only `id` and `email`)."""

    id: Text = ""
    type: str | None = None
    data: dict[str, Any] = Field(default_factory=dict)
    user: dict[str, Any] | None = None
    date_created: str | None = None

    @field_validator("data", mode="before")
    @classmethod
    def _data(cls, value: Any) -> Any:
        return value if isinstance(value, dict) else {}

    @property
    def text(self) -> str | None:
        said = self.data.get("text")
        return said if isinstance(said, str) else None

    @property
    def author(self) -> str | None:
        """Who wrote it: the user's name, email or username; None for Sentry itself or an unknown user."""
        user = self.user or {}
        for key in ("name", "email", "username"):
            if isinstance(user.get(key), str) and user[key]:
                return str(user[key])
        return None


class Issue(SentryModel):
    id: str
    short_id: str | None = None
    title: str = ""
    culprit: str | None = None
    level: str | None = None
    status: str | None = None
    substatus: str | None = None
    status_details: dict[str, Any] = Field(default_factory=dict)
    count: int = 0
    user_count: int | None = 0  # None: the server counts no users per issue (GlitchTip)
    first_seen: str | None = None
    last_seen: str | None = None
    is_unhandled: bool | None = None
    permalink: str | None = None
    metadata: dict[str, Any] = Field(default_factory=dict)
    assigned_to: dict[str, Any] | None = None
    project: ProjectRef | None = None
    stats: dict[str, list[list[float | None]] | None] = Field(default_factory=dict)
    first_release: Release | None = None
    last_release: Release | None = None
    tags: list[TagSummary] = Field(default_factory=list)
    owners: list[IssueOwner] = Field(default_factory=list)
    activity: list[dict[str, Any]] = Field(default_factory=list)

    @field_validator("id", mode="before")
    @classmethod
    def _id_as_text(cls, value: Any) -> Any:
        return str(value)

    @field_validator("owners", mode="before")
    @classmethod
    def _owners(cls, value: Any) -> Any:
        return [owner for owner in value if isinstance(owner, dict)] if isinstance(value, list) else []

    @field_validator("substatus", mode="before")
    @classmethod
    def _current_substatus(cls, value: Any) -> Any:
        return OLDER_SUBSTATUSES.get(value, value) if isinstance(value, str) else value

    @field_validator("count", mode="before")
    @classmethod
    def _count(cls, value: Any) -> int:
        return _int(value)  # `count` is a string in Sentry's API

    @field_validator("user_count", mode="before")
    @classmethod
    def _user_count(cls, value: Any) -> int | None:
        return None if value is None else _int(value)  # null: not counted (GlitchTip's issues)

    @field_validator("status_details", "metadata", mode="before")
    @classmethod
    def _dict_or_empty(cls, value: Any) -> Any:
        return value if isinstance(value, dict) else {}

    @field_validator("assigned_to", mode="before")
    @classmethod
    def _assignee(cls, value: Any) -> Any:
        return value if isinstance(value, dict) else None

    @field_validator("first_release", "last_release", "project", mode="before")
    @classmethod
    def _object_or_none(cls, value: Any) -> Any:
        return value if isinstance(value, dict) else None

    @field_validator("stats", mode="before")
    @classmethod
    def _stats(cls, value: Any) -> Any:
        return value if isinstance(value, dict) else {}

    @field_validator("tags", mode="before")
    @classmethod
    def _tags(cls, value: Any) -> Any:
        return [tag for tag in value if isinstance(tag, dict) and tag.get("key")] if isinstance(value, list) else []

    @field_validator("activity", mode="before")
    @classmethod
    def _activity(cls, value: Any) -> Any:
        return [item for item in value if isinstance(item, dict)] if isinstance(value, list) else []

    def series_total(self, key: str) -> int | None:
        points = self.stats.get(key)
        if not points:
            return None
        return sum(_int(point[1]) for point in points if len(point) > 1 and point[1] is not None)


class UserRef(SentryModel):
    id: Text = ""
    name: Text = ""
    username: Text = ""
    email: Text = ""


class Member(SentryModel):
    """An organization member as a project's member list shows it; an invitation has no `user` and `pending`."""

    id: Text = ""
    email: Text = ""
    name: Text = ""
    pending: bool = False
    user: UserRef | None = None

    @field_validator("user", mode="before")
    @classmethod
    def _object_or_none(cls, value: Any) -> Any:
        return value if isinstance(value, dict) else None


class Team(SentryModel):
    id: Text = ""
    slug: Text = ""
    name: Text = ""


class Event(SentryModel):
    """An event, in the list (simple) or the detail (full) shape."""

    id: str | None = None
    event_id: str | None = Field(default=None, validation_alias=AliasChoices("eventID", "event_id", "eventId"))
    title: str = ""
    message: str | None = None
    logentry: dict[str, Any] = Field(default_factory=dict)
    logger: str | None = None
    level: str | None = None
    culprit: str | None = None
    location: str | None = None
    platform: str | None = None
    date_created: str | None = None
    date_received: str | None = None
    user: dict[str, Any] | None = None
    tags: list[dict[str, Any]] = Field(default_factory=list)
    contexts: dict[str, Any] = Field(default_factory=dict)
    entries: list[dict[str, Any]] = Field(default_factory=list)
    release: Release | None = None
    metadata: dict[str, Any] = Field(default_factory=dict)

    @field_validator("user", "release", mode="before")
    @classmethod
    def _object_or_none(cls, value: Any) -> Any:
        return value if isinstance(value, dict) else None

    @field_validator("contexts", "metadata", "logentry", mode="before")
    @classmethod
    def _dict_or_empty(cls, value: Any) -> Any:
        return value if isinstance(value, dict) else {}

    @field_validator("message", "logger", "level", mode="before")
    @classmethod
    def _text_or_none(cls, value: Any) -> Any:
        return value if isinstance(value, str) else None

    @field_validator("tags", "entries", mode="before")
    @classmethod
    def _list_of_objects(cls, value: Any) -> Any:
        return [item for item in value if isinstance(item, dict)] if isinstance(value, list) else []

    @property
    def key(self) -> str:
        return (self.event_id or self.id or "").replace("-", "")

    def tag(self, key: str) -> str | None:
        for tag in self.tags:
            if tag.get("key") == key and tag.get("value") is not None:
                return str(tag["value"])
        return None

    def entry(self, kind: str) -> dict[str, Any] | None:
        for entry in self.entries:
            if entry.get("type") == kind and isinstance(entry.get("data"), dict):
                data: dict[str, Any] = entry["data"]
                return data
        return None


class StatsGroup(SentryModel):
    by: dict[str, Any] = Field(default_factory=dict)
    totals: dict[str, float | None] = Field(default_factory=dict)
    series: dict[str, list[float | None]] = Field(default_factory=dict)


class StatsV2(SentryModel):
    start: str | None = None
    end: str | None = None
    intervals: list[str] = Field(default_factory=list)
    groups: list[StatsGroup] = Field(default_factory=list)

    def series_of(self, group: StatsGroup) -> list[int]:
        """A group's `sum(quantity)` per interval: null buckets count 0, short series are padded."""
        width = len(self.intervals)
        series = [int(value or 0) for value in group.series.get("sum(quantity)", [])][:width]
        return series + [0] * (width - len(series))

    def accepted_series(self) -> list[int]:
        """Accepted events per interval (a group without an outcome counts as accepted)."""
        total = [0] * len(self.intervals)
        for group in self.groups:
            if str(group.by.get("outcome", "accepted")) == "accepted":
                total = [a + b for a, b in zip(total, self.series_of(group), strict=True)]
        return total


class SessionStats(StatsV2):
    """The release-health answer (`organizations/{org}/sessions/`): the shape of `stats_v2`, rates as fractions."""

    def total(self, field: str) -> float | None:
        """A field's total in an ungrouped answer (its one group); None when Sentry has none (no sessions)."""
        return self.groups[0].totals.get(field) if self.groups else None


class Environment(SentryModel):
    name: str
    is_hidden: bool = False


UPSTREAM_MODELS = frozenset(
    model.__name__
    for model in (
        SentryModel,
        Release,
        ProjectRef,
        TagSummary,
        Issue,
        Event,
        StatsGroup,
        StatsV2,
        SessionStats,
        Environment,
    )
)
"""Names of the models of Sentry's answers: a validation error titled with one is a bad upstream answer."""
