import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'node:http';
import sharp from 'sharp';
import mqtt from 'mqtt';
import { startCameraSim, startSensorSim } from '../../../simulators/index.ts';
import { PHOTOS, startHarness, waitFor, writeFastDefaultPolicy } from '../../test/harness.ts';
import { detailInside } from '../../test/image-metrics.ts';
import { secretChecksRun } from '../../foundation/registry/secret.ts';
import { HttpLogins, type GatewayStatus } from './index.ts';
import { cleanups } from '../../test/cleanup.ts';

const FACE = { x1: 173, y1: 74, x2: 277, y2: 178 }; // astronaut.png, 512x512

/** The default policy, with previews on the status page allowed. */
async function previewPolicy(dir: string): Promise<string> {
  const file = await writeFastDefaultPolicy(dir);
  const text = (await readFile(file, 'utf8')).replace(/^vision:\n/m, 'vision:\n  localPreview: true\n');
  await writeFile(file, text);
  return file;
}

test('the status page shows devices, camera health, the policy, decisions and a redacted preview; never the raw frame', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'veilgate-status-'));
  const h = await startHarness({ policyFile: await previewPolicy(dir) });
  t.after(async () => {
    await h.stop();
    await rm(dir, { recursive: true, force: true });
  });
  const base = `http://127.0.0.1:${h.gateway.httpAddress!.port}`;
  const original = await sharp(join(PHOTOS, 'astronaut.png')).toColourspace('srgb').jpeg({ quality: 90 }).toBuffer();
  const cam = await startCameraSim({
    url: h.brokerUrl,
    deviceId: 'cam-1',
    secret: await h.gateway.registry.add('cam-1', 'camera'),
    frames: [original],
    fps: 5,
  });
  const door = await startSensorSim({
    url: h.brokerUrl,
    deviceId: 'door-1',
    secret: await h.gateway.registry.add('door-1', 'sensor'),
    type: 'door',
    every: 0.3,
  });
  await h.gateway.registry.add('pir-9', 'sensor'); // provisioned, never connected
  t.after(async () => {
    await cam.stop();
    await door.stop();
  });

  const page = await fetch(`${base}/`);
  assert.equal(page.status, 200);
  assert.match(page.headers.get('content-security-policy') ?? '', /script-src 'self'/);
  assert.match(await page.text(), /<script src="\/status.js">/);

  let s!: GatewayStatus;
  await waitFor('camera health and a door decision on the status page', async () => {
    s = (await (await fetch(`${base}/status.json`)).json()) as GatewayStatus;
    const cam1 = s.devices.find((d) => d.id === 'cam-1');
    return (
      !!cam1?.camera &&
      cam1.camera.processed >= 3 &&
      s.recent.some((r) => r.recordType === 'door' && r.action === 'forward')
    );
  });
  assert.equal(s.policy?.id, 'veilgate-default');
  assert.equal(s.policy?.localPreview, true);
  assert.deepEqual(
    s.policyHistory.map((p) => p.outcome),
    ['activated'],
  );
  const byId = Object.fromEntries(s.devices.map((d) => [d.id, d]));
  assert.equal(byId['cam-1']!.online, true);
  assert.equal(byId['door-1']!.online, true);
  assert.equal(byId['pir-9']!.online, false);
  assert.ok(byId['cam-1']!.camera!.fps > 0);
  assert.ok(byId['cam-1']!.camera!.latencyMs!.p50 > 0);
  assert.ok(s.recent.some((r) => r.recordType === 'observation' && r.action === 'withhold' && r.reason === 'NO_RULE'));
  assert.equal(s.audit.seq, h.gateway.audit.chainHead.seq);
  assert.deepEqual(s.warnings, []);

  let preview: Response | null = null;
  await waitFor('a preview', async () => (preview = await fetch(`${base}/preview/cam-1.jpg`)).status === 200);
  assert.equal(preview!.headers.get('content-type'), 'image/jpeg');
  const jpeg = Buffer.from(await preview!.arrayBuffer());
  assert.ok(!jpeg.equals(original), 'not the frame the camera sent');
  const before = await detailInside(original, FACE);
  const after = await detailInside(jpeg, FACE);
  assert.ok(
    after < before * 0.4,
    `face detail in the preview ${after.toFixed(1)}, in the original ${before.toFixed(1)}`,
  );
});

test("without the policy's consent the status page shows no preview at all", async (t) => {
  const h = await startHarness();
  t.after(() => h.stop());
  const base = `http://127.0.0.1:${h.gateway.httpAddress!.port}`;
  const frames = [await sharp(join(PHOTOS, 'astronaut.png')).jpeg().toBuffer()];
  const cam = await startCameraSim({
    url: h.brokerUrl,
    deviceId: 'cam-1',
    secret: await h.gateway.registry.add('cam-1', 'camera'),
    frames,
    fps: 5,
  });
  t.after(() => cam.stop());
  await fetch(`${base}/status.json`); // someone is looking
  await waitFor('frames processed', () => h.gateway.ingest.stats.processed >= 5);
  assert.equal((await fetch(`${base}/preview/cam-1.jpg`)).status, 404);
  const s = (await (await fetch(`${base}/status.json`)).json()) as GatewayStatus;
  assert.equal(s.devices.find((d) => d.id === 'cam-1')!.preview, false);
});

test('health and readiness: ready with a policy and models; not ready, with the reason, without a policy', async (t) => {
  const h = await startHarness();
  t.after(() => h.stop());
  const base = `http://127.0.0.1:${h.gateway.httpAddress!.port}`;
  assert.equal((await fetch(`${base}/healthz`)).status, 200);
  assert.equal((await fetch(`${base}/readyz`)).status, 200);
  assert.match(await (await fetch(`${base}/metrics`)).text(), /veilgate_outbox_depth/);

  const none = await startHarness({ policyFile: '/nonexistent/policy.yaml' });
  t.after(() => none.stop());
  const r = await fetch(`http://127.0.0.1:${none.gateway.httpAddress!.port}/readyz`);
  assert.equal(r.status, 503);
  assert.match(await r.text(), /no valid policy/);
  const s = (await (
    await fetch(`http://127.0.0.1:${none.gateway.httpAddress!.port}/status.json`)
  ).json()) as GatewayStatus;
  assert.ok(s.warnings.some((w) => /No valid policy/.test(w)));
});

test('a device is online on the status page and in the metrics while it is connected, whether or not it publishes a status', async (t) => {
  const h = await startHarness();
  t.after(() => h.stop());
  const base = `http://127.0.0.1:${h.gateway.httpAddress!.port}`;
  const secret = await h.gateway.registry.add('door-quiet', 'sensor');
  const online = async () => {
    const s = (await (await fetch(`${base}/status.json`)).json()) as GatewayStatus;
    const metric = /^veilgate_devices_online (\d+)$/m.exec(await (await fetch(`${base}/metrics`)).text());
    return { page: s.devices.find((d) => d.id === 'door-quiet')?.online, metric: Number(metric?.[1]) };
  };
  assert.deepEqual(await online(), { page: false, metric: 0 });
  // a plain mqtt.js client: no will, no status topic, only the connection
  const client = await mqtt.connectAsync(h.brokerUrl, {
    clientId: 'door-quiet',
    username: 'door-quiet',
    password: secret,
    reconnectPeriod: 0,
  });
  t.after(() => client.endAsync(true));
  assert.deepEqual(await online(), { page: true, metric: 1 });
  await client.endAsync();
  await waitFor('offline once disconnected', async () => (await online()).page === false);
  assert.equal((await online()).metric, 0);
});

test('the allowAnonymous warning is on the status page', async (t) => {
  const h = await startHarness({ allowAnonymous: true });
  t.after(() => h.stop());
  const s = (await (
    await fetch(`http://127.0.0.1:${h.gateway.httpAddress!.port}/status.json`)
  ).json()) as GatewayStatus;
  assert.ok(
    s.warnings.some((w) => /allowAnonymous/.test(w)),
    JSON.stringify(s.warnings),
  );
});

test('with a login required, every page but the health checks asks for it, and wrong passwords back off', async (t) => {
  const defer = cleanups(t);
  const dir = await mkdtemp(join(tmpdir(), 'veilgate-login-'));
  defer(() => rm(dir, { recursive: true, force: true }));
  const dataDir = join(dir, 'data');
  await assert.rejects(startHarness({ dataDir, http: { requireLogin: true } }), /needs a login .*status-login/);
  const password = await (await HttpLogins.open(dataDir)).set('officer');
  const h = await startHarness({ dataDir, http: { requireLogin: true } });
  defer(() => h.stop());
  const base = `http://127.0.0.1:${h.gateway.httpAddress!.port}`;
  const auth = (user: string, pw: string) => ({
    authorization: `Basic ${Buffer.from(`${user}:${pw}`).toString('base64')}`,
  });
  assert.equal((await fetch(`${base}/healthz`)).status, 200);
  for (const path of ['/', '/status.json', '/metrics', '/preview/cam-1.jpg', '/status.js']) {
    const r = await fetch(`${base}${path}`);
    assert.equal(r.status, 401, path);
    assert.match(r.headers.get('www-authenticate') ?? '', /Basic/);
  }
  assert.equal((await fetch(`${base}/status.json`, { headers: auth('officer', password) })).status, 200);
  for (let i = 0; i < 5; i++)
    assert.equal((await fetch(`${base}/status.json`, { headers: auth('officer', 'guess') })).status, 401);
  const r = await fetch(`${base}/status.json`, { headers: auth('officer', password) });
  assert.equal(r.status, 401, 'after repeated failures even the right password waits');
  assert.match(await r.text(), /wait/);
});

test('status page logins: a burst of wrong passwords runs at most the free checks, and an unknown name costs a check as a known one does', async (t) => {
  const defer = cleanups(t);
  const dir = await mkdtemp(join(tmpdir(), 'veilgate-login-'));
  defer(() => rm(dir, { recursive: true, force: true }));
  const dataDir = join(dir, 'data');
  await (await HttpLogins.open(dataDir)).set('officer');
  const h = await startHarness({ dataDir, http: { requireLogin: true } });
  defer(() => h.stop());
  const base = `http://127.0.0.1:${h.gateway.httpAddress!.port}`;
  const get = (user: string, pw: string) =>
    fetch(`${base}/status.json`, {
      headers: { authorization: `Basic ${Buffer.from(`${user}:${pw}`).toString('base64')}` },
    });
  let before = secretChecksRun();
  assert.equal((await get('nobody', 'guess')).status, 401);
  assert.equal(secretChecksRun() - before, 1, 'an unknown name runs scrypt too');
  before = secretChecksRun();
  assert.equal((await get('officer', 'guess')).status, 401);
  assert.equal(secretChecksRun() - before, 1);
  before = secretChecksRun();
  const burst = await Promise.all(
    Array.from({ length: 30 }, (_, i) =>
      get('officer', `guess-${i}`).then(async (r) => [r.status, await r.text()] as const),
    ),
  );
  assert.ok(burst.every(([status]) => status === 401));
  const checks = secretChecksRun() - before;
  assert.equal(checks, 3, 'checks ran for the five free failures only, two of them spent before the burst');
  assert.equal(
    burst.filter(([, text]) => /too many failed logins .*at most 5 minutes/.test(text)).length,
    27,
    'the wait, and how long it can be, is said',
  );
  // from anywhere in 127.0.0.0/8: one address for the back-off
  const other = await new Promise<number>((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        localAddress: '127.0.0.9',
        port: h.gateway.httpAddress!.port,
        path: '/status.json',
        headers: { authorization: `Basic ${Buffer.from('officer:x').toString('base64')}` },
      },
      (res) => {
        res.resume();
        resolve(res.statusCode!);
      },
    );
    req.on('error', reject);
    req.end();
  });
  assert.equal(other, 401);
  assert.ok(
    h.gateway.httpAddress && secretChecksRun() - before === checks,
    'no check ran for the other loopback address either',
  );
});

test('hostile requests get a clear status and the page keeps serving', async (t) => {
  const h = await startHarness();
  t.after(() => h.stop());
  const port = h.gateway.httpAddress!.port;
  const raw = (method: string, path: string, headers: Record<string, string> = {}, body?: string) =>
    new Promise<number>((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port, method, path, headers }, (res) => {
        res.resume();
        resolve(res.statusCode!);
      });
      req.on('error', reject);
      req.end(body);
    });
  assert.equal(await raw('GET', '/../../etc/passwd'), 404);
  assert.equal(await raw('GET', '/preview/..%2f..%2fetc%2fpasswd.jpg'), 404);
  assert.equal(await raw('GET', '/%E0%A4%A'), 400);
  assert.equal(await raw('GET', `/${'a'.repeat(5000)}`), 414);
  assert.equal(await raw('POST', '/status.json', { 'content-type': 'application/json' }, '{}'), 405);
  assert.equal(await raw('GET', '/status.json', { 'content-length': '10' }, '0123456789'), 413);
  assert.equal(await raw('GET', '/', { 'x-big': 'b'.repeat(32 * 1024) }), 431);
  assert.equal(await raw('GET', '/status.json'), 200);
});

test('without a login the page answers only to its own names: a rebound DNS name gets 421, not the status', async (t) => {
  const h = await startHarness();
  t.after(() => h.stop());
  const get = (host: string) =>
    new Promise<number>((resolve, reject) => {
      const req = request(
        { host: '127.0.0.1', port: h.gateway.httpAddress!.port, path: '/status.json', headers: { host } },
        (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        },
      );
      req.on('error', reject);
      req.end();
    });
  assert.equal(await get('attacker.example:8080'), 421);
  assert.equal(await get(`127.0.0.1:${h.gateway.httpAddress!.port}`), 200, 'its own address');
  assert.equal(await get(`localhost:${h.gateway.httpAddress!.port}`), 200, 'and localhost');
});
