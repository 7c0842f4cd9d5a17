import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { freePort } from './upstream-brokers.ts';

const NATS = '/usr/sbin/nats-server';

/** Why a NATS cluster test cannot run here, or null when it can. */
export const NATS_MISSING = existsSync(NATS)
  ? null
  : 'nats-server is not installed (apt-get install nats-server; .ci/run installs it)';

export interface NatsNode {
  name: string;
  /** the node's MQTT listener */
  mqttUrl: string;
  kill(): void;
}

/**
 * A real 3-node NATS cluster on 127.0.0.1 (Debian's nats-server 2.9): JetStream on, an MQTT listener
 * on each node, routes between them. The agency's broker in the failover test: an existing
 * clustered engine, not a cluster of our own.
 */
export async function startNatsCluster(): Promise<{ nodes: NatsNode[]; stop(): Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'veilgate-nats-'));
  const ports = await Promise.all(
    [0, 1, 2].map(async () => ({ client: await freePort(), cluster: await freePort(), mqtt: await freePort() })),
  );
  const procs: ChildProcess[] = [];
  const nodes = ports.map((p, i) => {
    const name = `n${i + 1}`;
    return { name, conf: join(dir, `${name}.conf`), p };
  });
  for (const { name, conf, p } of nodes) {
    const routes = ports
      .filter((q) => q !== p)
      .map((q) => `"nats-route://127.0.0.1:${q.cluster}"`)
      .join(', ');
    await writeFile(
      conf,
      [
        `server_name: ${name}`,
        `listen: "127.0.0.1:${p.client}"`,
        `jetstream { store_dir: "${join(dir, name)}", max_memory_store: 64MB, max_file_store: 256MB }`,
        // replicated on all three: the sessions and messages of a node that dies live on in the others
        `mqtt { listen: "127.0.0.1:${p.mqtt}", stream_replicas: 3 }`,
        `cluster { name: "agency", listen: "127.0.0.1:${p.cluster}", routes: [${routes}] }`,
        '',
      ].join('\n'),
    );
  }
  for (const { conf } of nodes) procs.push(spawn(NATS, ['-c', conf], { stdio: 'ignore' }));
  const result = nodes.map(({ name, p }, i) => ({
    name,
    mqttUrl: `mqtt://127.0.0.1:${p.mqtt}`,
    kill: () => procs[i]!.kill('SIGKILL'),
  }));
  // ready when every node takes an MQTT session: that needs the cluster's JetStream to have formed
  const until = Date.now() + 60_000;
  for (const n of result) {
    for (;;) {
      try {
        const c = await mqtt.connectAsync(n.mqttUrl, {
          clientId: `probe-${n.name}`,
          reconnectPeriod: 0,
          connectTimeout: 2000,
        });
        await c.endAsync();
        break;
      } catch (e) {
        if (Date.now() > until) {
          for (const p of procs) p.kill('SIGKILL');
          throw new Error(`the NATS cluster did not take MQTT sessions within 60 s: ${(e as Error).message}`);
        }
        await new Promise((r) => setTimeout(r, 250));
      }
    }
  }
  return {
    nodes: result,
    async stop() {
      await Promise.all(
        procs.map(
          (p) =>
            new Promise<void>((r) => {
              if (p.exitCode !== null || p.signalCode !== null) return r();
              p.once('exit', () => r());
              p.kill('SIGKILL');
            }),
        ),
      );
      await rm(dir, { recursive: true, force: true });
    },
  };
}
