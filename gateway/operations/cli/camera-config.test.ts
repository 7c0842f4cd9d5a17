import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  cameraMasks,
  cameraOrientation,
  migrateCameras,
  refuseRegistryCameraZones,
} from '../../foundation/config/index.ts';
import { DeviceRegistry } from '../../foundation/registry/index.ts';
import { startEmbeddedUpstream } from '../embedded-upstream.ts';
import { startHarness, waitFor, writeFastDefaultPolicy } from '../../test/harness.ts';
import { runVeilgate } from '../../test/run-veilgate.ts';

test('an old config is refused with the new form shown; config migrate moves masks, mounting and registry zones into cameras.<id>, and a zone set from the CLI is taken at once', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'veilgate-cameras-'));
  const up = await startEmbeddedUpstream('veilgate', () => {});
  t.after(async () => {
    await up.stop();
    await rm(dir, { recursive: true, force: true });
  });
  const dataDir = join(dir, 'data');
  const registry = await DeviceRegistry.open(dataDir);
  await registry.add('gate-1', 'camera', { zone: 'north' }); // where zones of cameras used to live
  await registry.add('door-1', 'sensor', { zone: 'hall' });
  const config = join(dir, 'gateway.yaml');
  const old = [
    '# the pole by the school gate',
    'gatewayId: pole-7',
    `dataDir: ${dataDir}`,
    `policy: ${await writeFastDefaultPolicy(dir)}`,
    'broker: { port: 0 }',
    'http: { port: 0 }',
    `upstream: { url: "${up.url}" }`,
    'vision:',
    '  faceThreshold: 0.6 # tuned on site',
    '  masks:',
    '    gate-1: [[[0.6, 0], [1, 0], [1, 0.35]]]',
    '  orientation:',
    '    gate-1: { rotate: 180 }',
    '',
  ].join('\n');
  await writeFile(config, old);

  const check = await runVeilgate(['config', 'check', '--config', config]);
  assert.equal(check.code, 2, 'the old form is refused');
  assert.match(check.stderr, /gateway\.yaml:10:3 at vision\.masks: vision\.masks is the old form/);
  assert.match(check.stderr, /gateway\.yaml:12:3 at vision\.orientation/);
  assert.match(check.stderr, /config migrate --config .* --write/);
  assert.match(
    check.stderr,
    /cameras:\n +gate-1:\n +source: mqtt\n +masks:\n +- \[\[0\.6, 0\], \[1, 0\], \[1, 0\.35\]\]/,
  );

  const dry = await runVeilgate(['config', 'migrate', '--config', config]);
  assert.equal(dry.code, 0, dry.stderr);
  assert.match(dry.stdout, /gate-1:\n +source: mqtt\n(.*\n)* +orientation: \{rotate: 180\}\n +zone: north/);
  assert.equal(await readFile(config, 'utf8'), old, 'without --write nothing is written');

  const wrote = await runVeilgate(['config', 'migrate', '--config', config, '--write']);
  assert.equal(wrote.code, 0, wrote.stderr);
  assert.match(wrote.stdout, /zones moved from the device registry: gate-1/);
  assert.equal(await readFile(`${config}.before-migrate`, 'utf8'), old, 'the old file is kept beside it');
  const migrated = await readFile(config, 'utf8');
  assert.match(migrated, /# the pole by the school gate/, 'comments are kept');
  assert.match(migrated, /faceThreshold: 0\.6 # tuned on site/);
  assert.doesNotMatch(migrated, /^ +masks:\n +gate-1/m, 'nothing is left under vision');
  assert.equal((await runVeilgate(['config', 'check', '--config', config])).code, 0, 'the new form passes the check');
  assert.equal((await DeviceRegistry.open(dataDir)).get('gate-1')?.zone, undefined, 'the registry no longer holds it');
  assert.equal(
    (await runVeilgate(['config', 'migrate', '--config', config])).stdout.trim(),
    `${config} is already in the current form`,
  );

  const h = await startHarness({ configFile: config, upstreamUrl: up.url });
  t.after(() => h.stop());
  assert.deepEqual(
    cameraMasks(h.gateway.cfg),
    {
      'gate-1': [
        [
          [0.6, 0],
          [1, 0],
          [1, 0.35],
        ],
      ],
    },
    'the mask reaches the frame workers',
  );
  assert.deepEqual(cameraOrientation(h.gateway.cfg), { 'gate-1': { rotate: 180, flip: false } });
  const zoneOf = (id: string) => h.gateway.status().devices.find((d) => d.id === id)?.zone;
  assert.equal(zoneOf('gate-1'), 'north', "a camera's zone comes from the config");
  assert.equal(zoneOf('door-1'), 'hall', "a sensor's from the registry");

  const moved = await runVeilgate(['devices', 'zone', 'gate-1', 'south', '--config', config]);
  assert.equal(moved.code, 0, moved.stderr);
  assert.match(moved.stdout, /gate-1 is now in zone south \(cameras\.gate-1\.zone in /);
  assert.match(await readFile(config, 'utf8'), /zone: south/, 'written where the camera lives');
  await waitFor('the running gateway takes the new zone', () => zoneOf('gate-1') === 'south');
  const audit = join(dataDir, 'audit', 'audit.jsonl');
  await waitFor('the move recorded in the audit log', async () =>
    (await readFile(audit, 'utf8')).includes('"action":"zone-changed","deviceId":"gate-1","zone":"south"'),
  );
  assert.match((await runVeilgate(['devices', 'list', '--config', config])).stdout, /^gate-1\tcamera\tsouth\t/m);
});

test('a camera zone left in the device registry stops the start and names the fix', () => {
  assert.throws(
    () =>
      refuseRegistryCameraZones(
        [
          { id: 'cam-1', kind: 'camera', zone: 'north' },
          { id: 'door-1', kind: 'sensor', zone: 'hall' },
        ],
        'g.yaml',
      ),
    (e: Error & { code?: string }) =>
      e.code === 'CAMERA_ZONE_IN_REGISTRY' &&
      /cam-1 \(north\)/.test(e.message) &&
      /config migrate --config g\.yaml --write/.test(e.message),
  );
  assert.doesNotThrow(() => refuseRegistryCameraZones([{ id: 'door-1', kind: 'sensor', zone: 'hall' }]));
});

test('an RTSP list is migrated to one entry per camera, its url becoming its source', () => {
  const m = migrateCameras(
    'cameras:\n  - id: street\n    url: rtsp://10.0.0.5/s1\n    fps: 1\n    keyframesOnly: true\nvision:\n  masks:\n    street: [[[0, 0], [1, 0], [1, 1]]]\n',
  );
  assert.equal(
    m.text,
    'cameras:\n  street:\n    source: rtsp://10.0.0.5/s1\n    fps: 1\n    keyframesOnly: true\n    masks:\n      - [[0, 0], [1, 0], [1, 1]]\n',
  );
});
