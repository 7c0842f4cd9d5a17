export { AuditLog, AUDIT_FILE } from './log.ts';
export { verifyAudit, type VerifyResult } from './verify.ts';
export type { AuditEvent, AuditEntry } from './entry.ts';
