// A broker under test, in its own process so it does not share the event loop with the load
// generator: `node --import tsx bench/broker-server.ts gateway|aedes` prints its port on stdout.
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Aedes } from 'aedes';
import { listenTcp } from '../gateway/broker/index.ts';
import { configFromObject } from '../gateway/config/index.ts';
import { Gateway } from '../gateway/gateway.ts';
import { createLogger } from '../gateway/log.ts';
import { InlineRunner } from '../gateway/pipeline/index.ts';

const kind = process.argv[2];
if (kind === 'aedes') {
  const broker = await Aedes.createBroker({ id: 'bare' });
  const { address } = await listenTcp(broker, '127.0.0.1', 0);
  console.log(address.port);
} else if (kind === 'gateway') {
  const dir = await mkdtemp(join(tmpdir(), 'veilgate-bench-broker-'));
  const policy = join(dir, 'policy.yaml');
  await writeFile(policy, 'id: bench\nversion: 1\ntitle: nothing leaves\nrules: []\n');
  // the whole gateway: hooks, ACLs, the socket guard and LevelDB persistence on; anonymous lab
  // clients, because no role may both publish and subscribe on one topic (devices only publish)
  const cfg = configFromObject({ gatewayId: 'bench', dataDir: join(dir, 'data'), policy, broker: { port: 0, allowAnonymous: true, limits: { maxConnections: 10_000 } }, http: { enabled: false }, upstream: { url: 'mqtt://127.0.0.1:9' } }, dir);
  const gw = await Gateway.start(cfg, createLogger('silent'), { frames: new InlineRunner(null) });
  console.log(gw.address.port);
} else {
  console.error('usage: broker-server.ts gateway|aedes');
  process.exit(2);
}
