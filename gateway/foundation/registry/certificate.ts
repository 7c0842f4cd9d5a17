import { X509Certificate } from 'node:crypto';
import { z } from 'zod';

/**
 * What the registry keeps of a device's client certificate: enough to accept that certificate and no
 * other. A certificate is identified by its SHA-256 fingerprint, as TLS reports it for the peer.
 */
export const DeviceCertificateSchema = z.strictObject({
  fingerprint256: z.string().regex(/^([0-9A-F]{2}:){31}[0-9A-F]{2}$/),
  serial: z.string(),
  notAfter: z.string(),
  recordedAt: z.string(),
});
export type DeviceCertificate = z.infer<typeof DeviceCertificateSchema>;

export interface CertificateFacts {
  cn: string | null;
  fingerprint256: string;
  serial: string;
  notAfter: Date;
}

/** The facts of a certificate, parsed or PEM (throws on anything that is not one). */
export function certificateFacts(cert: string | Buffer | X509Certificate): CertificateFacts {
  const x = cert instanceof X509Certificate ? cert : new X509Certificate(cert);
  const cn = /^CN=(.*)$/m.exec(x.subject)?.[1] ?? null;
  return { cn, fingerprint256: x.fingerprint256, serial: x.serialNumber, notAfter: new Date(x.validTo) };
}

export function recordOf(f: CertificateFacts, now = new Date()): DeviceCertificate {
  return {
    fingerprint256: f.fingerprint256,
    serial: f.serial,
    notAfter: f.notAfter.toISOString(),
    recordedAt: now.toISOString(),
  };
}

/**
 * The credential a certificate login carries: a session stays only while its certificate is the device's current one.
 */
export function certificateCredential(fingerprint256: string): string {
  return `certificate ${fingerprint256}`;
}
