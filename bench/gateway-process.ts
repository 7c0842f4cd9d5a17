// A gateway on its own in a child process, so its resident memory can be measured without the
// bench's own copies of the models: prints {url, secret} for one camera, then answers each line on
// stdin with {rssMiB, processed, detected}.
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { configFromObject } from '../gateway/foundation/config/index.ts';
import { Gateway } from '../gateway/gateway.ts';
import { createLogger } from '../gateway/foundation/log.ts';

const REPO = new URL('../', import.meta.url).pathname;
const dir = await mkdtemp(join(tmpdir(), 'veilgate-rss-'));
const cfg = configFromObject(
  // the uplink points at a closed port: records wait in the outbox, as on a box that is offline
  {
    gatewayId: 'rss',
    dataDir: join(dir, 'data'),
    policy: join(REPO, 'policies/default.yaml'),
    broker: { port: 0 },
    upstream: { url: 'mqtt://127.0.0.1:9' },
    http: { port: 0 },
  },
  dir,
);
const gw = await Gateway.start(cfg, createLogger('silent'));
const secret = await gw.registry.add('cam-1', 'camera');
console.log(JSON.stringify({ url: `mqtt://127.0.0.1:${gw.address.port}`, deviceId: 'cam-1', secret }));
for await (const line of createInterface({ input: process.stdin })) {
  if (line === 'stop') break;
  const { processed, detected } = gw.ingest.stats;
  console.log(JSON.stringify({ rssMiB: process.memoryUsage().rss / 2 ** 20, processed, detected }));
}
await gw.stop();
process.exit(0);
