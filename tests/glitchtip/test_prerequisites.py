"""What the tier needs on this machine: skipped when a part is missing, failed instead under CI=true."""

from __future__ import annotations

import pytest

from .glitchtip import in_ci, missing_parts, postgres_bin


def test_glitchtip_parts_present() -> None:
    missing = missing_parts()
    if missing:
        reason = "GlitchTip tier: " + "; ".join(missing)
        if in_ci():
            pytest.fail(reason + " (CI=true: a missing part fails the tier instead of skipping it)", pytrace=False)
        pytest.skip(reason)
    assert postgres_bin() is not None
