import type { GatewayConfig } from './schema.ts';

/**
 * Devices that live in the config rather than the registry (RTSP cameras, GPIO sensors), so that the
 * audit log, and the transparency report made from it, list them with the provisioned ones.
 */
export function configuredDevices(
  cfg: Readonly<GatewayConfig>,
): Array<{ id: string; kind: string; createdAt: string }> {
  return [
    ...cfg.cameras.map((c) => ({ id: c.id, kind: 'camera', createdAt: 'config' })),
    ...cfg.sensors.map((s) => ({ id: s.id, kind: 'sensor', createdAt: 'config' })),
  ];
}

/** Checked before anything listens: the id names the camera in records, policies and the audit log. */
export function refuseTakenCameraIds(cfg: Readonly<GatewayConfig>, registered: (id: string) => boolean): void {
  const taken = cfg.cameras.find((c) => registered(c.id));
  if (taken)
    throw Object.assign(
      new Error(`camera ${taken.id} in cameras: has the id of a provisioned MQTT device; give it another id`),
      { code: 'CAMERA_ID_TAKEN' },
    );
}
