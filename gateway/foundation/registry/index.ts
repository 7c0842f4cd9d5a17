export { DeviceRegistry, type DeviceRecord, type PrincipalKind } from './registry.ts';
export {
  certificateCredential,
  certificateFacts,
  recordOf,
  type CertificateFacts,
  type DeviceCertificate,
} from './certificate.ts';
export { certificateLogin, type CertificateLogin } from './certificate-login.ts';
