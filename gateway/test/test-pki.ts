import { initPki, issueDeviceCert } from '../operations/certs/pki.ts';

/**
 * A throwaway CA with a server certificate for 127.0.0.1 and a client certificate, made by the gateway's own PKI code.
 */
export async function makeTestPki(
  dir: string,
  clientCn: string,
): Promise<{ ca: string; serverCert: string; serverKey: string; clientCert: string; clientKey: string }> {
  const f = await initPki(dir, ['127.0.0.1'], 2);
  const c = await issueDeviceCert(dir, clientCn, 2);
  return { ca: f.ca, serverCert: f.serverCert, serverKey: f.serverKey, clientCert: c.cert, clientKey: c.key };
}
