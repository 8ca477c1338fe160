"""Stack traces as the model gets them: order, causes, threads, capping with the crashing frame kept."""

from __future__ import annotations

from typing import Any

from mcp_servers.sentry_monitor.src.sentry import models
from mcp_servers.sentry_monitor.src.shared.events import MAX_FRAMES_PER_EXCEPTION, crashing_frame, exceptions_of


def frame(function: str, in_app: bool, line: int = 10) -> dict[str, Any]:
    return {
        "filename": f"{function}.py",
        "function": function,
        "lineNo": line,
        "inApp": in_app,
        "context": [[line - 1, "before"], [line, f"  {function}()  "]],
    }


def event(*entries: dict[str, Any], **fields: Any) -> models.Event:
    return models.Event.model_validate({"eventID": "a" * 32, "entries": list(entries), **fields})


def test_chained_exceptions_come_back_raised_first_with_source_lines() -> None:
    values = [
        {
            "type": "KeyError",
            "value": "'id'",
            "mechanism": {"type": "chained", "handled": True},
            "stacktrace": {"frames": [frame("load", True)]},
        },
        {
            "type": "RuntimeError",
            "value": "wrapped",
            "mechanism": {"type": "generic", "handled": False},
            "stacktrace": {"frames": [frame("main", True, 3), frame("handler", True, 42)]},
        },
    ]
    exceptions, warnings = exceptions_of(event({"type": "exception", "data": {"values": values}}))
    assert [e.type for e in exceptions] == ["RuntimeError", "KeyError"]
    assert exceptions[0].handled is False and exceptions[1].handled is True
    assert exceptions[0].frames == ["main (main.py:3) [in app]", "handler (handler.py:42) [in app]"]
    assert exceptions[0].crash_source == "handler()"
    assert warnings == []
    assert crashing_frame(exceptions[0]) == "handler (handler.py:42)"


def test_long_stacks_keep_the_crashing_frame_and_in_app_frames_and_say_so() -> None:
    frames = [frame(f"lib{i}", False) for i in range(40)]
    frames[5] = frame("app_entry", True)
    frames.append(frame("socket_send", False))
    exceptions, warnings = exceptions_of(
        event(
            {
                "type": "exception",
                "data": {"values": [{"type": "OSError", "value": "x", "stacktrace": {"frames": frames}}]},
            }
        )
    )
    kept = exceptions[0].frames
    assert kept == ["app_entry (app_entry.py:10) [in app]", "socket_send (socket_send.py:10)"]
    assert exceptions[0].frames_omitted == 39 and exceptions[0].crash_source == "app_entry()"
    assert crashing_frame(exceptions[0]) == "app_entry (app_entry.py:10)"
    assert "39 library frames cut" in warnings[0]


def test_too_many_in_app_frames_keep_the_innermost() -> None:
    frames = [frame(f"app{i}", True) for i in range(MAX_FRAMES_PER_EXCEPTION + 10)]
    exceptions, _ = exceptions_of(
        event({"type": "exception", "data": {"values": [{"type": "RecursionError", "stacktrace": {"frames": frames}}]}})
    )
    kept = exceptions[0].frames
    assert len(kept) == MAX_FRAMES_PER_EXCEPTION and kept[-1].startswith(f"app{MAX_FRAMES_PER_EXCEPTION + 9} (")


def test_a_stack_in_threads_is_shown_when_there_is_no_exception() -> None:
    threads = {
        "type": "threads",
        "data": {
            "values": [
                {"id": 1, "name": "idle", "stacktrace": {"frames": [frame("wait", False)]}},
                {"id": 2, "name": "worker", "crashed": True, "stacktrace": {"frames": [frame("crunch", True, 7)]}},
            ]
        },
    }
    exceptions, _ = exceptions_of(event(threads, title="ANR detected", metadata={"type": "ApplicationNotResponding"}))
    (stack,) = exceptions
    assert stack.thread == "worker" and stack.type == "ApplicationNotResponding"
    assert stack.frames == ["crunch (crunch.py:7) [in app]"]


def test_events_without_stacks_have_no_exceptions() -> None:
    assert exceptions_of(event({"type": "message", "data": {"formatted": "hello"}})) == ([], [])


def test_snake_case_frames_from_older_servers_parse() -> None:
    raw = {"filename": "app.py", "function": "run", "lineno": 5, "in_app": True, "context_line": "run()"}
    exceptions, _ = exceptions_of(
        event({"type": "exception", "data": {"values": [{"type": "E", "stacktrace": {"frames": [raw]}}]}})
    )
    assert exceptions[0].model_dump() == {"type": "E", "frames": ["run (app.py:5) [in app]"], "crash_source": "run()"}
