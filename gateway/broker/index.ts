export { brokerHooks, type HookOptions } from './hooks.ts';
export type { BrokerHandlers } from './handlers.ts';
export { listenTcp } from './listen.ts';
export { identityOf, type Identity } from './identity.ts';
