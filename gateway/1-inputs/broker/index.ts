export { brokerHooks, forgetSubscriptions, type HookOptions } from './hooks.ts';
export { registryHandlers, type BrokerHandlers, type DeviceInputs } from './handlers.ts';
export { BrokerPart, type BrokerEvents, type Listener } from './start-broker.ts';
export {
  listenTcp,
  listenTls,
  listenWebSocket,
  listen,
  guardedHandler,
  openSockets,
  type ListenOptions,
} from './listen.ts';
export { identityOf, type Identity } from './identity.ts';
export { connectionInfo, type GuardedConnection } from './limits/guarded-connection.ts';
export { GUARD_CODES, type GuardCode } from './limits/guard.ts';
export { createMessageEmitter } from './patches/message-emitter.ts';
export { storedWillProblem, willProblem } from './wills.ts';
export { neverWaitForDrain, type BacklogBounds } from './patches/slow-subscribers.ts';
export { PendingConnections, addressKey } from './pending-connections.ts';
export { connectedClients } from './patches/aedes-internals.ts';
