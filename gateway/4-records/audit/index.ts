export { AuditLog, AUDIT_FILE } from './log.ts';
export { verifyAudit, type VerifyResult } from './verify.ts';
export { queryAudit, readChain, type AuditQuery } from './read.ts';
export { auditRegistryChanges } from './registry-changes.ts';
export type { AuditEvent, AuditEntry, DecisionEvent } from './entry.ts';
export { configEvent, configDigest } from './config-change.ts';
export { describeEntry } from './describe.ts';
export { archivePolicy, readArchivedPolicy } from './policy-archive.ts';
export {
  derFingerprint,
  HeadKey,
  headSignedBy,
  keyFingerprint,
  SignedHeadSchema,
  type SignedHead,
} from './head-key.ts';
export { AuditWindows, type FrameOutcome } from './windows.ts';
