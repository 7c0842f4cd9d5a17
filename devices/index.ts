export * from './ids.ts';
export * from './kinds.ts';
export * from './events.ts';
export * from './topics.ts';
export * from './records.ts';
