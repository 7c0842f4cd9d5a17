import type { DeviceKind } from '../../../devices/index.ts';

/** What the broker hands to the rest of the gateway. It never passes a frame anywhere else. */
export interface BrokerHandlers {
  authenticate(
    deviceId: string,
    secret: Buffer,
  ): Promise<{ deviceId: string; kind: DeviceKind | 'consumer'; credential: string } | null>;
  /** whether an id belongs to a provisioned device (no other client may take it as its client id) */
  isDevice(id: string): boolean;
  /** the kind of a provisioned device, or null */
  deviceKind(id: string): DeviceKind | 'consumer' | null;
  /**
   * A login with a client certificate the TLS listener verified, or found expired: the device it is the
   * current certificate of, or why it is not accepted (a stable code and the words for the log).
   */
  certificate(
    cn: string,
    fingerprint256: string,
    error: string | null,
  ): Promise<
    { deviceId: string; kind: DeviceKind | 'consumer'; credential: string } | { code: string; problem: string }
  >;
  /** takes ownership of a frame's bytes; must not throw */
  frame(deviceId: string, jpeg: Buffer): void;
  /** resolves once the event is decided and durably recorded; rejects if it could not be stored */
  event(deviceId: string, kind: DeviceKind, payload: Buffer): Promise<void>;
  status(deviceId: string, online: boolean): void;
  refused(deviceId: string, channel: string, code: string, detail: string): void;
}
