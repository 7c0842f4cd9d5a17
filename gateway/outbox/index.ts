export { DurableOutbox, type OutboxEntry, type OutboxStore, type OutboxBounds, type OutboxRecovery } from './outbox.ts';
export type { LostRecord } from './replay.ts';
export { OUTBOX_DROP_REASONS, OutboxFullError, type OutboxDropReason } from './drops.ts';
