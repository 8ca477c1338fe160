"""What several tools share: result shapes (`results`: the `Result` base, issue summary, event, exception
with frames, user) and text helpers (`text`: clock format, frame lines, user labels, cutting to a budget).
`results` imports `sentry/` and `base/` only; `text` may import `results`; neither imports analysis,
operations or the surface."""
