/** Exit codes of every command (DESIGN.md section 3). */
export const EXIT = { OK: 0, CHECK_FAILED: 1, USAGE: 2 } as const;

/** A usage or configuration error: the message says what to do; the process exits 2. */
export class UsageError extends Error {}
