import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, connect, type AddressInfo, type Server } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { Aedes } from 'aedes';
import mqtt, { type MqttClient } from 'mqtt';
import { listenTcp } from '../1-inputs/broker/index.ts';

/** A broker standing in for the agency's that a test can stop and start again on the same port. */
export interface UpstreamBroker {
  name: string;
  url: string;
  start(): Promise<void>;
  /** a clean stop (Mosquitto saves its sessions) */
  stop(): Promise<void>;
  dispose(): Promise<void>;
  /** the broker's process while it runs, when it has its own (for the bench's CPU counts) */
  pid?(): number | undefined;
}

const MOSQUITTO_PATHS = ['/usr/sbin/mosquitto', '/usr/bin/mosquitto', '/usr/local/sbin/mosquitto'];

export function mosquittoPath(): string | null {
  return MOSQUITTO_PATHS.find((p) => existsSync(p)) ?? null;
}

/** Why a Mosquitto test cannot run here, or null when it can. */
export const MOSQUITTO_MISSING = mosquittoPath()
  ? null
  : 'Mosquitto is not installed (apt-get install mosquitto; .ci/run installs it)';

export async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const { port } = s.address() as AddressInfo;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

async function waitForPort(port: number, timeoutMs = 10_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const ok = await new Promise<boolean>((r) => {
      const c = connect(port, '127.0.0.1', () => {
        c.destroy();
        r(true);
      });
      c.on('error', () => r(false));
    });
    if (ok) return;
    if (Date.now() > until) throw new Error(`nothing listens on 127.0.0.1:${port}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export interface MosquittoTls {
  ca: string;
  serverCert: string;
  serverKey: string;
  /** user name and password every client must give */
  user: string;
  password: string;
}

/**
 * Debian's Mosquitto on 127.0.0.1 and a free port, with persistence so sessions survive a restart.
 * With `tls`, the listener is mqtts and requires a client certificate from the CA and the password.
 */
export async function startMosquitto(tls?: MosquittoTls): Promise<UpstreamBroker> {
  const bin = mosquittoPath();
  if (!bin) throw new Error(MOSQUITTO_MISSING!);
  const dir = await mkdtemp(join(tmpdir(), 'veilgate-mosquitto-'));
  const port = await freePort();
  const conf = join(dir, 'mosquitto.conf');
  const passwords = join(dir, 'passwords');
  if (tls) execFileSync('mosquitto_passwd', ['-c', '-b', passwords, tls.user, tls.password], { stdio: 'ignore' });
  await writeFile(
    conf,
    [
      `listener ${port} 127.0.0.1`,
      ...(tls
        ? [
            `cafile ${tls.ca}`,
            `certfile ${tls.serverCert}`,
            `keyfile ${tls.serverKey}`,
            'require_certificate true',
            'allow_anonymous false',
            `password_file ${passwords}`,
          ]
        : ['allow_anonymous true']),
      `user ${userInfo().username}`, // as root, Mosquitto would switch to its own user and could not read this folder
      'persistence true',
      `persistence_location ${dir}/`,
      'max_queued_messages 0', // unlimited: the test's subscriber must not lose what queued while it was away
      'log_dest none',
      '',
    ].join('\n'),
  );
  let proc: ChildProcess | null = null;
  const b: UpstreamBroker = {
    name: 'mosquitto',
    url: `${tls ? 'mqtts' : 'mqtt'}://127.0.0.1:${port}`,
    async start() {
      proc = spawn(bin, ['-c', conf], { stdio: 'ignore' });
      await waitForPort(port);
    },
    async stop() {
      const p = proc;
      proc = null;
      if (!p || p.exitCode !== null) return;
      const exited = new Promise((r) => p.once('exit', r));
      p.kill('SIGTERM');
      await exited;
    },
    async dispose() {
      await b.stop();
      await rm(dir, { recursive: true, force: true });
    },
    pid: () => proc?.pid,
  };
  await b.start();
  return b;
}

/** A bare aedes broker; it keeps no sessions across a restart, so its subscriber is a hook on the broker itself. */
export async function startAedesUpstream(onPublish: (topic: string, payload: Buffer) => void): Promise<UpstreamBroker> {
  const port = await freePort();
  let running: { broker: Aedes; server: Server } | null = null;
  const b: UpstreamBroker = {
    name: 'aedes',
    url: `mqtt://127.0.0.1:${port}`,
    async start() {
      const broker = await Aedes.createBroker({ id: 'test-upstream' });
      broker.on('publish', (packet, client) => {
        if (client) onPublish(packet.topic, Buffer.from(packet.payload));
      });
      const { server } = await listenTcp(broker, '127.0.0.1', port);
      running = { broker, server };
    },
    async stop() {
      const r = running;
      running = null;
      if (!r) return;
      const closed = new Promise<void>((res) => r.server.close(() => res()));
      await new Promise<void>((res) => r.broker.close(() => res()));
      await closed;
    },
    dispose: () => b.stop(),
  };
  await b.start();
  return b;
}

/** The agency's side: a persistent-session QoS 1 subscriber that keeps everything it receives. */
export async function agencySubscriber(
  url: string,
  filter: string,
  onMessage: (topic: string, payload: Buffer) => void,
): Promise<MqttClient> {
  const c = await mqtt.connectAsync(url, {
    clientId: `agency-${process.pid}`,
    clean: false,
    protocolVersion: 4,
    reconnectPeriod: 200,
  });
  c.on('message', (topic, payload) => onMessage(topic, payload));
  await c.subscribeAsync(filter, { qos: 1 });
  return c;
}
