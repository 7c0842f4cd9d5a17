export { DurableOutbox, type OutboxEntry, type OutboxStore } from './outbox.ts';
