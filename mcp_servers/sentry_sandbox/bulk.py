"""Many synthetic issues at once, straight into the store: for scale benchmarks (10,000 issues in well under a minute).

Real sentry-sdk ingest (`seed.py`) takes about a second per few hundred events and groups each event by
scanning every issue, so it cannot build 10,000 issues quickly. `add_issues` builds payloads shaped like
sentry-sdk's (exception with in-app frames, tags, user, request, breadcrumbs) and stores each issue with
its events in one step, so list, detail, latest-event and events endpoints all answer for them.
The data is deterministic: the same call on the same store gives the same issues (event ids included).
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from typing import Any

from .grouping import digest_event
from .store import SandboxStore
from .times import iso, utcnow

RANDOM_SEED = 20250101
SPREAD_DAYS = 29
EXCEPTION_TYPES = ("ValueError", "KeyError", "TypeError", "TimeoutError", "ConnectionError", "RuntimeError")
ENVIRONMENTS = ("production", "production", "staging")
RELEASES = ("bulk@3.0.0", "bulk@3.1.0")


def _frame(filename: str, function: str, lineno: int, line: str, in_app: bool = True) -> dict[str, Any]:
    module = filename.removesuffix(".py").replace("/", ".")
    return {
        "filename": filename,
        "abs_path": f"/srv/{filename}",
        "function": function,
        "module": module,
        "lineno": lineno,
        "pre_context": ["", f"def {function}(payload):"],
        "context_line": line,
        "post_context": ["    return result", ""],
        "in_app": in_app,
    }


def _payload(serial: int, event_index: int, timestamp: datetime, rng: random.Random) -> dict[str, Any]:
    exc_type = EXCEPTION_TYPES[serial % len(EXCEPTION_TYPES)]
    handler = f"handle_task_{serial}"
    user_number = rng.randint(1, 400)
    return {
        "event_id": f"{serial:016x}{event_index:016x}",
        "timestamp": iso(timestamp),
        "level": "error",
        "platform": "python",
        "logger": "bulk",
        "release": RELEASES[event_index % len(RELEASES)],
        "environment": rng.choice(ENVIRONMENTS),
        "server_name": f"web-{serial % 4}",
        "exception": {
            "values": [
                {
                    "type": exc_type,
                    "value": f"synthetic failure #{serial}",
                    "module": None,
                    "mechanism": {"type": "generic", "handled": serial % 3 != 0},
                    "stacktrace": {
                        "frames": [
                            _frame("site-packages/worker/loop.py", "run_once", 88, "handler(payload)", in_app=False),
                            _frame("app/tasks/dispatch.py", "dispatch", 41, f"return {handler}(payload)"),
                            _frame("app/tasks/handlers.py", handler, 100 + serial % 400, "result = process(payload)"),
                        ]
                    },
                }
            ]
        },
        "user": {"id": str(user_number), "email": f"user{user_number}@example.com"},
        "tags": {"queue": f"q{serial % 5}"},
        "contexts": {"runtime": {"name": "CPython", "version": "3.11.7"}},
        "request": {"url": f"https://shop.example.com/api/tasks/{serial}", "method": "POST"},
        "breadcrumbs": {
            "values": [
                {"category": "task", "message": f"picked task {serial}", "level": "info", "timestamp": iso(timestamp)}
            ]
        },
    }


def add_issues(
    store: SandboxStore,
    count: int,
    *,
    project_slug: str = "backend",
    events_per_issue: int = 2,
    now: datetime | None = None,
) -> list[int]:
    """Add `count` new unresolved issues of `events_per_issue` events each to a project; returns their ids.

    Events fall within the last 29 days (so 30-day searches see them). Issues are numbered on from the
    project's existing ones, so calling twice adds different issues. Raises KeyError for an unknown
    project and ValueError for a count or events_per_issue below 1 (count 0 is allowed and adds nothing).
    """
    if count < 0 or events_per_issue < 1:
        raise ValueError("count must be >= 0 and events_per_issue >= 1")
    project = store.project(project_slug)
    if project is None:
        raise KeyError(project_slug)
    moment = now or utcnow()
    start = sum(1 for issue in store.issues() if issue.project_id == project.id)
    rng = random.Random(RANDOM_SEED + start)
    ids = []
    for serial in range(start, start + count):
        ages = sorted((rng.uniform(0.05, SPREAD_DAYS * 24) for _ in range(events_per_issue)), reverse=True)
        events = []
        for index, hours_ago in enumerate(ages):
            timestamp = moment - timedelta(hours=hours_ago)
            events.append((_payload(serial, index, timestamp, rng), timestamp))
        digest = digest_event(events[0][0])
        ids.append(store.add_new_issue(project, digest, events).id)
    return ids
