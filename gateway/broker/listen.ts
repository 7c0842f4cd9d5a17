import { createServer, type AddressInfo, type Server } from 'node:net';
import type { Aedes } from 'aedes';

/** Plain TCP listener for the broker; resolves with the bound address (port 0 picks a free one). */
export async function listenTcp(broker: Aedes, host: string, port: number): Promise<{ server: Server; address: AddressInfo }> {
  const server = createServer(broker.handle);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return { server, address: server.address() as AddressInfo };
}
