"""What replicas of the team server share through Redis (SENTRY_MONITOR_REDIS_URL): sign-ins and tokens, the
renewal lock, Sentry's rate limits and the route forms learned per server. It imports `sentry/` (the gate and
forms memory it implements), `base/` and the redis package; nothing outside `web/` imports it."""
