"""The ledger that `make reliability` reports must catch what it claims to catch."""

from __future__ import annotations

from pathlib import Path

from tests.ledger import Ledger

TOKEN = "sntryu_" + "0123456789abcdef" * 4


def test_a_token_in_any_output_is_a_leak(tmp_path: Path) -> None:
    ledger = Ledger(secrets={"custom-secret-value"})
    ledger.record_call("get-recent-issues", {}, {"status": "success", "data": {"note": TOKEN}})
    ledger.record_call("get-recent-issues", {}, {"status": "success"}, text="custom-secret-value")
    log = tmp_path / "server.txt"  # not *.log: the suite scans those for real leaks
    log.write_text(f"Authorization: Bearer {TOKEN}\nTraceback (most recent call last):\n")
    ledger.scan_file(log)
    assert len(ledger.leaks) == 3 and ledger.crashes == ["traceback in server.txt"]
    ledger.record_call("get-recent-issues", {}, {"status": "success", "data": {"hint": "sntryu_..."}})
    assert len(ledger.leaks) == 3


def test_outcomes_crashes_and_protocol_errors_are_counted() -> None:
    ledger = Ledger()
    ledger.record_call("x", {}, {"status": "success"})
    ledger.record_call("x", {}, {"status": "error", "error": {"code": "INTERNAL_ERROR", "message": "boom"}})
    ledger.record_call("x", {}, None)
    assert ledger.calls == 3 and len(ledger.crashes) == 2
    assert ledger.totals()["outcomes"] == {"success": 1, "INTERNAL_ERROR": 1, "protocol error": 1}


def test_only_changes_a_write_call_named_are_asked_for() -> None:
    ledger = Ledger()
    ledger.record_call("resolve-issue", {"issue_id": "backend-2"}, {"status": "success"})
    ledger.record_call("resolve-issue", {"issue_id": "http://h/organizations/o/issues/77/"}, {"status": "success"})
    ledger.changed_unasked({2: "BACKEND-2", 77: "WORKER-9", 5: "BACKEND-5"})
    assert ledger.unasked_changes == ["BACKEND-5"] and ledger.asked == set()
