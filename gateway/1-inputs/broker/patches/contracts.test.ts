import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { createServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { Aedes, type Client } from 'aedes';
import mqemitter from 'mqemitter';
import mqtt from 'mqtt';
import { cleanups } from '../../../test/cleanup.ts';
import { connectedClients, grantedFilters, willOf } from './aedes-internals.ts';

/*
 * What each patch in this folder relies on, checked against the installed dependencies. When one of
 * these fails, a dependency changed under a patch: read the patch's README entry before anything else.
 */

const require = createRequire(import.meta.url);
/** The folder of a package as `from` would load it (some packages' exports hide their package.json). */
function packageDir(name: string, from = import.meta.url): string {
  const main = createRequire(from).resolve(name);
  const marker = `/node_modules/${name}/`;
  return main.slice(0, main.lastIndexOf(marker) + marker.length - 1);
}
const versionOf = async (dir: string) =>
  (JSON.parse(await readFile(join(dir, 'package.json'), 'utf8')) as { version: string }).version;
const fileUrl = (dir: string) => `file://${dir}/`;

/** The versions the patches were written for; package.json pins the direct ones, the lockfile the rest. */
const WRITTEN_FOR = {
  aedes: '1.2.0',
  mqemitter: '7.1.0',
  qlobber: '8.0.1',
  'mqtt-packet': '9.0.2',
  mqtt: '5.16.0',
  debug: '4.4.3',
};

test('the patched dependencies are the versions the patches were written for, wherever they are loaded from', async () => {
  const aedes = packageDir('aedes');
  const mqttDir = packageDir('mqtt');
  const found = {
    aedes: await versionOf(aedes),
    mqemitter: await versionOf(packageDir('mqemitter')),
    qlobber: await versionOf(packageDir('qlobber', fileUrl(packageDir('mqemitter')))),
    'mqtt-packet': await versionOf(packageDir('mqtt-packet', fileUrl(aedes))),
    mqtt: await versionOf(mqttDir),
    debug: await versionOf(packageDir('debug', fileUrl(packageDir('mqtt-packet', fileUrl(aedes))))),
  };
  assert.deepEqual(
    found,
    WRITTEN_FOR,
    'a patched dependency changed version: re-check gateway/1-inputs/broker/patches/README.md',
  );
  // aedes and mqtt.js share one mqtt-packet and one debug: quiet-debug.js replaces each once
  assert.equal(packageDir('mqtt-packet', fileUrl(mqttDir)), packageDir('mqtt-packet', fileUrl(aedes)));
  const pkg = JSON.parse(await readFile(new URL('../../../../package.json', import.meta.url), 'utf8')) as {
    dependencies: Record<string, string>;
  };
  for (const name of ['aedes', 'mqemitter', 'mqtt'] as const)
    assert.equal(pkg.dependencies[name], WRITTEN_FOR[name], `package.json pins ${name} exactly`);
});

test('message-emitter.ts: mqemitter keeps waiting messages in _messageQueue/_messageCallbacks (shift, push, length) and asks _matcher.match(topic)', async () => {
  const mq = mqemitter({ concurrency: 1 }) as unknown as Record<string, unknown>;
  assert.ok(Array.isArray(mq._messageQueue) && Array.isArray(mq._messageCallbacks));
  const matcher = mq._matcher as Record<string, unknown>;
  for (const f of ['add', 'remove', 'match']) assert.equal(typeof matcher[f], 'function', `_matcher.${f}`);
  const source = await readFile(require.resolve('mqemitter'), 'utf8');
  for (const use of [
    '_messageQueue.shift()',
    '_messageCallbacks.shift()',
    '_messageQueue.length',
    '_messageQueue.push(',
    '_matcher.match(message.topic)',
  ]) {
    assert.ok(source.includes(use), `mqemitter no longer does ${use}`);
  }
});

test('batch-writes.ts: mqtt-packet corks the stream for each packet and uncorks it on the next tick', async () => {
  const source = await readFile(
    join(packageDir('mqtt-packet', fileUrl(packageDir('aedes'))), 'writeToStream.js'),
    'utf8',
  );
  assert.match(source, /stream\.cork\(\)\s*\n\s*nextTick\(uncork, stream\)/);
});

test('slow-subscribers.ts and whole-packet-reads.ts: aedes waits for a full socket only in Client#waitForDrain, and reads with read(null)', async () => {
  const source = await readFile(join(packageDir('aedes'), 'lib/client.js'), 'utf8');
  assert.match(source, /^ {2}waitForDrain \(callback\) \{/m);
  assert.ok(source.includes('client.conn.read(null)'), 'aedes reads whatever is buffered');
});

test('quiet-debug.js: mqtt-packet and mqtt.js make their loggers with require("debug")(namespace) as they load', async () => {
  const mp = packageDir('mqtt-packet', fileUrl(packageDir('aedes')));
  assert.match(await readFile(join(mp, 'parser.js'), 'utf8'), /require\('debug'\)\('mqtt-packet:parser'\)/);
  assert.match(
    await readFile(join(packageDir('mqtt'), 'build/lib/client.js'), 'utf8'),
    /require\("debug"\)|require\('debug'\)/,
  );
});

test('aedes-internals.ts: a connected client has its will in _will at authenticate, its filters in subscriptions, and the broker lists it in clients', async (t) => {
  let willAtAuthenticate: unknown = undefined;
  const broker = await Aedes.createBroker({
    authenticate: (client, _u, _p, done) => {
      willAtAuthenticate = willOf(client);
      done(null, true);
    },
  });
  // a plain socket server: what is checked is aedes itself, not our listeners
  const server = createServer((socket) => broker.handle(socket));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const address = server.address() as AddressInfo;
  const defer = cleanups(t);
  defer(async () => {
    await new Promise<void>((r) => server.close(() => r()));
    await new Promise<void>((r) => broker.close(() => r()));
  });
  const c = await mqtt.connectAsync(`mqtt://127.0.0.1:${address.port}`, {
    clientId: 'contract-1',
    reconnectPeriod: 0,
    will: { topic: 'w/t', payload: Buffer.from('gone'), qos: 0, retain: false },
  });
  defer(() => c.endAsync(true));
  await c.subscribeAsync('a/+');
  assert.equal((willAtAuthenticate as { topic?: string } | null)?.topic, 'w/t');
  const clients: Client[] = connectedClients(broker);
  assert.deepEqual(
    clients.map((x) => x.id),
    ['contract-1'],
  );
  assert.deepEqual(grantedFilters(clients[0]!), ['a/+']);
});
