export * from './ids.ts';
export * from './kinds/index.ts';
export * from './events.ts';
export * from './topics.ts';
export * from './records.ts';
export * from './upstream.ts';
export * from './fleet.ts';
