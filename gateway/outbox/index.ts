export { DurableOutbox, type OutboxEntry, type OutboxStore, type OutboxBounds } from './outbox.ts';
export { OUTBOX_DROP_REASONS, OutboxFullError, type OutboxDropReason } from './drops.ts';
