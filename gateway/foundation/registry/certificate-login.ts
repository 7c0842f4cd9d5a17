import type { DeviceKind } from '../../../devices/index.ts';
import { certificateCredential } from './certificate.ts';
import type { DeviceRecord } from './registry.ts';

export type CertificateLogin =
  { deviceId: string; kind: DeviceKind | 'consumer'; credential: string } | { code: string; problem: string };

/**
 * Whether a client certificate the TLS listener verified (or found expired) logs in as device `id`: only
 * the certificate recorded for it does, so one issued before a rotation, removal, re-issue or revoke,
 * valid as it still is for the CA, is refused; and an expired one is refused and named as such.
 */
export function certificateLogin(
  d: DeviceRecord | undefined,
  id: string,
  fingerprint256: string,
  error: string | null,
): CertificateLogin {
  if (!d) return { code: 'CERT_UNKNOWN_DEVICE', problem: `no device ${id} for this certificate` };
  if (!d.certificate)
    return {
      code: 'CERT_REVOKED',
      problem: `no certificate is in force for ${id} (ended by devices rotate, certs revoke, or never recorded): issue one with veilgate certs device ${id}`,
    };
  if (d.certificate.fingerprint256 !== fingerprint256)
    return {
      code: 'CERT_REVOKED',
      problem: `this is not ${id}'s current certificate (${d.certificate.serial} is): it was re-issued, rotated or revoked`,
    };
  if (error === 'CERT_HAS_EXPIRED' || Date.parse(d.certificate.notAfter) <= Date.now()) {
    return {
      code: 'CERT_EXPIRED',
      problem: `${id}'s certificate expired on ${d.certificate.notAfter}: issue a new one with veilgate certs device ${id}`,
    };
  }
  if (error) return { code: 'CERT_INVALID', problem: `${id}'s certificate is not valid: ${error}` };
  return { deviceId: d.id, kind: d.kind, credential: certificateCredential(fingerprint256) };
}
