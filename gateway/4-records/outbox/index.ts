export {
  DurableOutbox,
  type OutboxEntry,
  type PendingEntry,
  type DroppedRecord,
  type OutboxStore,
  type OutboxBounds,
  type OutboxRecovery,
  type OutboxOptions,
} from './outbox.ts';
export type { LostRecord } from './replay.ts';
export { OUTBOX_DROP_REASONS, OutboxFullError, type OutboxDropReason } from './drops.ts';
