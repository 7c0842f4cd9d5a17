// A broker under test, in its own process so it does not share the event loop with the load
// generator: `node --import tsx bench/broker-server.ts gateway|aedes` prints its port on stdout.
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const kind = process.argv[2];
if (kind === 'aedes') {
  const { Aedes } = await import('aedes');
  const { listenTcp } = await import('../gateway/1-inputs/broker/index.ts');
  const broker = await Aedes.createBroker({ id: 'bare' });
  const { address } = await listenTcp(broker, '127.0.0.1', 0);
  console.log(address.port);
} else if (kind === 'gateway') {
  // as the veilgate command starts (gateway/operations/cli/dev.js): quiet-debug before mqtt-packet loads
  await import('../gateway/1-inputs/broker/patches/quiet-debug.js');
  const { configFromObject } = await import('../gateway/foundation/config/index.ts');
  const { Gateway } = await import('../gateway/gateway.ts');
  const { createLogger } = await import('../gateway/foundation/log.ts');
  const { InlineRunner } = await import('../gateway/2-pipeline/index.ts');
  const dir = await mkdtemp(join(tmpdir(), 'veilgate-bench-broker-'));
  const policy = join(dir, 'policy.yaml');
  await writeFile(policy, 'id: bench\nversion: 1\ntitle: nothing leaves\nrules: []\n');
  // the whole gateway: hooks, ACLs, the socket guard and LevelDB persistence on; anonymous lab
  // clients, because no role may both publish and subscribe on one topic (devices only publish)
  const cfg = configFromObject(
    {
      gatewayId: 'bench',
      dataDir: join(dir, 'data'),
      policy,
      broker: { port: 0, allowAnonymous: true, limits: { maxConnections: 10_000 } },
      http: { enabled: false },
      upstream: { url: 'mqtt://127.0.0.1:9' },
    },
    dir,
  );
  const gw = await Gateway.start(cfg, createLogger('silent'), { frames: new InlineRunner(null) });
  console.log(gw.address.port);
} else {
  console.error('usage: broker-server.ts gateway|aedes');
  process.exit(2);
}
