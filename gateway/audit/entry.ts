import { createHash } from 'node:crypto';

type PolicyRef = { id: string; version: number; sha256: string };

/** What the audit log records. Never personal data: no images, no raw identifiers, no field values. */
export type AuditEvent =
  | {
      type: 'decision';
      action: 'forward' | 'withhold';
      deviceId: string;
      recordType: string;
      rules: string[];
      reason?: string;
      /** names of the fields sent, not their values */
      fields?: string[];
      recordId?: string;
      policy: PolicyRef | null;
      redactions?: Record<string, number>;
      /** how each class was obscured: pixelate, blur or fill */
      redactionMethods?: Record<string, string>;
      models?: string[];
    }
  | { type: 'input-rejected'; deviceId: string; channel: string; code: string; detail: string }
  | { type: 'policy-activated'; policy: PolicyRef; previous: PolicyRef | null; source: string; trigger: string }
  | { type: 'policy-rejected'; source: string; trigger: string; errors: string[]; kept: PolicyRef | null }
  | { type: 'device'; action: 'added' | 'removed' | 'rotated' | 'zone-changed'; deviceId: string; kind?: string; zone?: string | null }
  | { type: 'outbox-drop'; recordId: string; deviceId: string; reason: string }
  | { type: 'frame-withheld'; deviceId: string; code: string }
  | { type: 'gateway'; action: 'start' | 'stop'; version: string }
  | { type: 'recovery'; detail: string }
  /** retention removed the segments up to and including entry `throughSeq` */
  | { type: 'audit-pruned'; throughSeq: number; throughHash: string; files: number; before: string }
  /** the configuration the gateway started with: its sha256 (secrets left out) and whether it differs from the last start's */
  | { type: 'config'; sha256: string; changed: boolean; previous: string | null }
  | { type: 'uplink'; action: 'connected' | 'disconnected' };

export interface AuditEntry {
  seq: number;
  at: string;
  event: AuditEvent;
  prev: string;
  hash: string;
}

export const GENESIS = '0'.repeat(64);

/** The hash covers everything but itself, in a fixed key order, so the chain is reproducible. */
export function entryHash(e: Omit<AuditEntry, 'hash'>): string {
  return createHash('sha256').update(JSON.stringify([e.seq, e.at, e.prev, e.event])).digest('hex');
}
