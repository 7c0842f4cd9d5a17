import { createHash } from 'node:crypto';

export type PolicyRef = { id: string; version: number; sha256: string };

/** Identical decisions in one window: how many, and for forwards the ids of the records sent. */
export interface DecisionGroup {
  recordType: string;
  action: 'forward' | 'withhold';
  rules: string[];
  reason?: string;
  fields?: string[];
  policy: PolicyRef | null;
  count: number;
  /** the forwarded records' ids, up to a bound; `recordIdsOmitted` counts the rest */
  recordIds?: string[];
  recordIdsOmitted?: number;
}

/** Identical refusals (same channel and code) in one window: the first one's detail, how many, first and last time. */
export interface RefusalGroup {
  channel: string;
  code: string;
  detail: string;
  count: number;
  first: string;
  last: string;
}

/** What happened to a camera's frames in one window. seen = processed + every withheld one. */
export interface FrameTally {
  seen: number;
  processed: number;
  /** processed with the last detections, reused by the motion gate */
  reused: number;
  withheld: Record<string, number>;
}

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
      /** recorded at the start after an unclean stop, from the outbox: the decision's own entry was not yet on disk */
      recovered?: true;
    }
  | { type: 'input-rejected'; deviceId: string; channel: string; code: string; detail: string }
  | {
      type: 'policy-activated';
      policy: PolicyRef;
      previous: PolicyRef | null;
      source: string;
      trigger: string;
      /** the key that signed a policy from the agency's broker */
      signedBy?: string;
    }
  | {
      type: 'policy-rejected';
      source: string;
      trigger: string;
      errors: string[];
      kept: PolicyRef | null;
      signedBy?: string;
    }
  | {
      type: 'device';
      action: 'added' | 'removed' | 'rotated' | 'zone-changed';
      deviceId: string;
      kind?: string;
      zone?: string | null;
    }
  | { type: 'outbox-drop'; recordId: string; deviceId: string; reason: string }
  | { type: 'frame-withheld'; deviceId: string; code: string }
  | { type: 'gateway'; action: 'start' | 'stop'; version: string }
  | { type: 'recovery'; detail: string }
  /** retention removed the segments up to and including entry `throughSeq` */
  | { type: 'audit-pruned'; throughSeq: number; throughHash: string; files: number; before: string }
  /**
   * the configuration the gateway started with: its sha256 (secrets left out) and whether it differs from the last
   * start's
   */
  | { type: 'config'; sha256: string; changed: boolean; previous: string | null }
  | { type: 'uplink'; action: 'connected' | 'disconnected' }
  /**
   * One device's window (`from` to `to`): everything frequent about it, by count. A camera's frames,
   * its decisions, a device's repeated refusals and withholds, records dropped from the outbox.
   */
  | {
      type: 'window';
      deviceId: string;
      from: string;
      to: string;
      frames?: FrameTally;
      decisions?: DecisionGroup[];
      refused?: RefusalGroup[];
      outboxDrops?: Array<{ reason: string; count: number; recordIds: string[]; recordIdsOmitted?: number }>;
      redactions?: Record<string, number>;
      redactionMethods?: Record<string, string>;
      models?: string[];
    };

export type DecisionEvent = Extract<AuditEvent, { type: 'decision' }>;

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
  return createHash('sha256')
    .update(JSON.stringify([e.seq, e.at, e.prev, e.event]))
    .digest('hex');
}
