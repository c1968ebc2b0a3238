// Kept free of imports: the CLI reads these while parsing flags, before any schema is loaded.

/** The most records an integration may keep in flight at once (destination.concurrency, --concurrency). */
export const MAX_CONCURRENCY = 1024;
