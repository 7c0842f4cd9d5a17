import type { CameraHealth } from '../../2-pipeline/camera-stats.ts';

/** What /status.json returns: everything the status page shows. No field values, no images, no secrets. */
export interface GatewayStatus {
  gateway: { id: string; version: string; startedAt: string; now: string };
  /** things an operator should act on, in plain words */
  warnings: string[];
  policy: { id: string; version: number; sha256: string; title: string; source: string; localPreview: boolean } | null;
  /** policy activations and rejections since this start, newest first (the full history: veilgate report) */
  policyHistory: Array<{
    at: string;
    outcome: 'activated' | 'rejected';
    policy: string;
    trigger: string;
    detail?: string;
  }>;
  devices: Array<{
    id: string;
    kind: string;
    zone: string | null;
    online: boolean;
    camera: CameraHealth | null;
    preview: boolean;
  }>;
  outbox: { depth: number; bytes: number; oldestAgeSeconds: number; dropped: Record<string, number> };
  uplink: { connected: boolean; delivered: number; retried: number; reconnects: number };
  decisions: { forward: number; withhold: number };
  /** the newest decisions, newest first: what left and what was withheld, and which rule decided */
  recent: Array<{
    at: string;
    deviceId: string;
    recordType: string;
    action: 'forward' | 'withhold';
    rules: string[];
    reason: string | null;
  }>;
  audit: { seq: number; hash: string };
}
