/** Why an approved record left the outbox without being delivered. Stable codes: counted, audited, reported. */
export const OUTBOX_DROP_REASONS = {
  OUTBOX_FULL: 'the outbox reached outbox.maxBytes (refused, or the oldest dropped, as outbox.whenFull says)',
  OUTBOX_EXPIRED: 'the record waited longer than outbox.maxAgeSeconds for the uplink',
  STORAGE_ERROR: 'the record could not be written to disk (disk full or read-only)',
  OUTBOX_CORRUPT:
    "the record's line in the outbox file was damaged (a failing card or an edit by hand) and could not be read back",
} as const;
export type OutboxDropReason = keyof typeof OUTBOX_DROP_REASONS;

export class OutboxFullError extends Error {
  readonly code = 'OUTBOX_FULL';
  constructor(bytes: number, max: number) {
    super(`the outbox is full (${bytes} of ${max} bytes) and refuses new records until the uplink drains it`);
  }
}
