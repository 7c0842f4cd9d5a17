/** Exit codes of every command (docs/architecture.md, "Exit codes"). */
export const EXIT = { OK: 0, CHECK_FAILED: 1, USAGE: 2 } as const;

/** A usage or configuration error: the message says what to do; the process exits 2. */
export class UsageError extends Error {}
