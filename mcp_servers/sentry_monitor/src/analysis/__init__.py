"""The analysis rules: error patterns, their findings, and the health verdict, as pure functions over parsed
Sentry data. Imports `shared.results`, `sentry/` (its parsed models) and `base/`; never text helpers,
operations or the surface."""
