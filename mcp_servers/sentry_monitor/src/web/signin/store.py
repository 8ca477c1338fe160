"""Where the team server keeps sign-ins: an SQLite file, so sign-ins outlive a restart and the `sign-ins` command sees
them; or Redis, shared by replicas (`replicas/records.py`, when SENTRY_MONITOR_REDIS_URL is set). Both are `Records`.

Records are JSON values by (kind, key) with an expiry and an owner (the sign-in they belong to, so that signing out
deletes everything of it at once). Nothing secret is kept in the clear: our tokens and codes are stored under their
SHA-256 (`hashed`), and Sentry's tokens only encrypted (`vault.py`). Each call is one short statement, run in the
caller's thread; the file is in WAL mode so the command can read while the server writes.
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

SCHEMA = """
CREATE TABLE IF NOT EXISTS records (
    kind TEXT NOT NULL,
    key TEXT NOT NULL,
    owner TEXT,
    value TEXT NOT NULL,
    expires_at REAL,
    PRIMARY KEY (kind, key)
);
CREATE INDEX IF NOT EXISTS records_owner ON records (owner);
"""


def hashed(secret: str) -> str:
    """The key a token or code is stored under: nobody who reads the file can present it."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def default_path(environ: dict[str, str] | None = None) -> Path:
    """`$XDG_STATE_HOME/sentry-error-monitor/sign-ins.sqlite3` (default ~/.local/state)."""
    env = os.environ if environ is None else environ
    base = Path(env.get("XDG_STATE_HOME") or Path.home() / ".local" / "state")
    return base / "sentry-error-monitor" / "sign-ins.sqlite3"


class Records(Protocol):
    """Records with expiry by (kind, key), each maybe owned by a sign-in. Methods of the Redis store raise
    SharedStateUnavailable when Redis does not answer."""

    async def put(
        self, kind: str, key: str, value: dict[str, Any], *, ttl: float | None = None, owner: str | None = None
    ) -> None: ...

    async def merge(
        self, kind: str, key: str, changes: dict[str, Any], *, unless: dict[str, Any] | None = None
    ) -> bool: ...

    async def expire(self, kind: str, key: str, ttl: float) -> bool: ...

    async def get(self, kind: str, key: str) -> dict[str, Any] | None: ...

    async def take(self, kind: str, key: str) -> dict[str, Any] | None: ...

    async def delete(self, kind: str, key: str) -> bool: ...

    async def delete_owned(self, owner: str, kinds: tuple[str, ...]) -> int: ...

    async def all(self, kind: str) -> list[tuple[str, dict[str, Any]]]: ...

    async def purge(self) -> int: ...

    async def close(self) -> None: ...


class SignInStore:
    """Records with expiry in one SQLite file (`":memory:"` for a store of this process only)."""

    def __init__(self, path: str | Path, clock: Callable[[], float] = time.time) -> None:
        self.path = str(path)
        self._clock = clock
        if self.path != ":memory:":
            Path(self.path).parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            Path(self.path).touch(mode=0o600, exist_ok=True)
        self._db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None, timeout=5.0)
        self._lock = threading.Lock()
        with self._lock:
            if self.path != ":memory:":
                self._db.execute("PRAGMA journal_mode=WAL")
            self._db.executescript(SCHEMA)

    async def close(self) -> None:
        with self._lock:
            self._db.close()

    async def put(
        self, kind: str, key: str, value: dict[str, Any], *, ttl: float | None = None, owner: str | None = None
    ) -> None:
        expires = self._clock() + ttl if ttl is not None else None
        with self._lock:
            self._db.execute(
                "INSERT OR REPLACE INTO records (kind, key, owner, value, expires_at) VALUES (?, ?, ?, ?, ?)",
                (kind, key, owner, json.dumps(value), expires),
            )

    async def merge(
        self, kind: str, key: str, changes: dict[str, Any], *, unless: dict[str, Any] | None = None
    ) -> bool:
        """Set some fields of a live record in one step, keeping its other fields (which another writer may have
        set meanwhile), its expiry and owner; False when there is none, or when a field of `unless` no longer
        holds its value (nothing changed then)."""
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")  # the `sign-ins` command may write the file from another process
            try:
                row = self._db.execute(
                    "SELECT value FROM records WHERE kind = ? AND key = ? AND (expires_at IS NULL OR expires_at > ?)",
                    (kind, key, self._clock()),
                ).fetchone()
                value = json.loads(row[0]) if row else None
                if value is None or any(value.get(field) != held for field, held in (unless or {}).items()):
                    return False
                value.update(changes)
                self._db.execute(
                    "UPDATE records SET value = ? WHERE kind = ? AND key = ?", (json.dumps(value), kind, key)
                )
                return True
            finally:
                self._db.execute("COMMIT")

    async def expire(self, kind: str, key: str, ttl: float) -> bool:
        """A live record expires `ttl` seconds from now instead; False when there is none."""
        now = self._clock()
        with self._lock:
            return (
                self._db.execute(
                    "UPDATE records SET expires_at = ? WHERE kind = ? AND key = ? "
                    "AND (expires_at IS NULL OR expires_at > ?)",
                    (now + ttl, kind, key, now),
                ).rowcount
                > 0
            )

    async def get(self, kind: str, key: str) -> dict[str, Any] | None:
        with self._lock:
            row = self._db.execute(
                "SELECT value FROM records WHERE kind = ? AND key = ? AND (expires_at IS NULL OR expires_at > ?)",
                (kind, key, self._clock()),
            ).fetchone()
        return json.loads(row[0]) if row else None

    async def take(self, kind: str, key: str) -> dict[str, Any] | None:
        """Get and delete in one step: of two callers taking the same record, one gets it (single-use codes)."""
        with self._lock:
            row = self._db.execute(
                "DELETE FROM records WHERE kind = ? AND key = ? RETURNING value, expires_at", (kind, key)
            ).fetchone()
        if row is None or (row[1] is not None and row[1] <= self._clock()):
            return None
        return dict(json.loads(row[0]))

    async def delete(self, kind: str, key: str) -> bool:
        with self._lock:
            return self._db.execute("DELETE FROM records WHERE kind = ? AND key = ?", (kind, key)).rowcount > 0

    async def delete_owned(self, owner: str, kinds: tuple[str, ...]) -> int:
        """Delete the records of `kinds` that belong to `owner`; returns how many."""
        marks = ",".join("?" * len(kinds))
        with self._lock:
            cursor = self._db.execute(f"DELETE FROM records WHERE owner = ? AND kind IN ({marks})", (owner, *kinds))
            return cursor.rowcount

    async def all(self, kind: str) -> list[tuple[str, dict[str, Any]]]:
        """Every live record of `kind`, as (key, value), oldest first."""
        with self._lock:
            rows = self._db.execute(
                "SELECT key, value FROM records WHERE kind = ? AND (expires_at IS NULL OR expires_at > ?) "
                "ORDER BY rowid",
                (kind, self._clock()),
            ).fetchall()
        return [(key, json.loads(value)) for key, value in rows]

    async def purge(self) -> int:
        """Delete expired records; returns how many."""
        with self._lock:
            return self._db.execute(
                "DELETE FROM records WHERE expires_at IS NOT NULL AND expires_at <= ?", (self._clock(),)
            ).rowcount
