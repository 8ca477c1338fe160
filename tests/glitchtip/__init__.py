"""The GlitchTip tier: every tool against a real GlitchTip (`make test-glitchtip`; not part of `make test`)."""
