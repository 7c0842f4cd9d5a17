import type { DeviceKind } from '../../../devices/index.ts';
import { certificateLogin, type DeviceRegistry } from '../../foundation/registry/index.ts';

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

/** Where the broker's devices' data goes: the pipeline for frames, the decision for events and refusals. */
export interface DeviceInputs {
  frame(deviceId: string, jpeg: Buffer): void;
  event(deviceId: string, kind: DeviceKind, payload: Buffer): Promise<void>;
  refused(deviceId: string, channel: string, code: string, detail: string): void;
}

/** The broker's handlers over the device registry: who may log in, as what, and where their data goes. */
export function registryHandlers(registry: DeviceRegistry, inputs: DeviceInputs): BrokerHandlers {
  return {
    authenticate: async (id, secret) => {
      // devices are provisioned with the CLI while the gateway runs: read the (small) file again
      await registry.reload();
      const d = await registry.authenticate(id, secret);
      return d ? { deviceId: d.id, kind: d.kind, credential: d.secret.hash } : null;
    },
    isDevice: (id) => registry.get(id) !== undefined,
    deviceKind: (id) => registry.get(id)?.kind ?? null,
    certificate: async (id, fingerprint256, error) => {
      await registry.reload();
      const r = certificateLogin(registry.get(id), id, fingerprint256, error);
      if ('code' in r && registry.get(id)) inputs.refused(id, 'mqtt', r.code, r.problem);
      return r;
    },
    frame: (deviceId, jpeg) => inputs.frame(deviceId, jpeg),
    event: (deviceId, kind, payload) => inputs.event(deviceId, kind, payload),
    // a device is online while it is connected; its status topic is passed on, not believed
    status: () => {},
    refused: (deviceId, channel, code, detail) => inputs.refused(deviceId, channel, code, detail),
  };
}
