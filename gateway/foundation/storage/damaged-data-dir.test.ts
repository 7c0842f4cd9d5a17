import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cp, mkdtemp, open, rm, stat, truncate, appendFile } from 'node:fs/promises';
import { filesUnder } from '../../test/files-under.ts';
import { DurableOutbox } from '../../4-records/outbox/index.ts';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import mqtt from 'mqtt';
import { startHarness, waitFor, YESTERDAY } from '../../test/harness.ts';
import { InlineRunner } from '../../2-pipeline/runner.ts';
import { HttpLogins } from '../../operations/http/index.ts';
import { connectDevice, sampleEvent } from '../../../simulators/index.ts';
import { deviceTopic } from '../../../devices/index.ts';

type Damage = 'garbage-middle' | 'garbage-end' | 'cut-in-half' | 'null-line' | 'emptied';
const DAMAGES: Damage[] = ['garbage-middle', 'garbage-end', 'cut-in-half', 'null-line', 'emptied'];

async function damage(file: string, how: Damage): Promise<void> {
  const { size } = await stat(file);
  if (how === 'cut-in-half') return truncate(file, Math.floor(size / 2));
  if (how === 'emptied') return truncate(file, 0);
  if (how === 'null-line') return appendFile(file, 'null\n');
  const fh = await open(file, 'r+');
  try {
    const at = how === 'garbage-middle' ? Math.floor(size / 2) : Math.max(0, size - 24);
    await fh.write(Buffer.alloc(Math.min(16, Math.max(1, size)), 0xfe), 0, undefined, at);
  } finally {
    await fh.close();
  }
}

/**
 * A data dir as a running gateway leaves it: devices, logins, audit, pending records, a consumer's persistent session.
 */
async function populatedDataDir(base: string): Promise<{ dataDir: string; pending: number }> {
  const dataDir = join(base, 'data');
  await (await HttpLogins.open(dataDir)).set('operator');
  const first = await startHarness({ dataDir, frames: new InlineRunner(null), http: { requireLogin: true } });
  const doorSecret = await first.gateway.registry.add('door-1', 'sensor');
  const consumerSecret = await first.gateway.registry.add('dash', 'consumer');
  const consumer = await mqtt.connectAsync(first.brokerUrl, {
    clientId: 'dash',
    username: 'dash',
    password: consumerSecret,
    clean: false,
    reconnectPeriod: 0,
  });
  await consumer.subscribeAsync('local/#', { qos: 1 });
  await consumer.endAsync();
  await first.stop();
  // the second start records the devices added meanwhile (registry-seen.json); the agency is away
  const h = await startHarness({ dataDir, frames: new InlineRunner(null), http: { requireLogin: true } });
  await h.gateway.uplink.stop();
  const door = await connectDevice({ url: h.brokerUrl, deviceId: 'door-1', secret: doorSecret });
  for (let n = 0; n < 20; n++)
    await door.publishAsync(
      deviceTopic('door-1', 'events'),
      JSON.stringify(sampleEvent('door', n, new Date(YESTERDAY + n * 1000))),
      { qos: 1 },
    );
  await waitFor('records pending', () => h.gateway.outbox.size >= 20);
  await door.endAsync(true);
  await h.stop();
  // as the files hold them: the stop adds the last signed audit head
  const box = await DurableOutbox.open(join(dataDir, 'outbox'));
  const pending = box.size;
  await box.close();
  return { dataDir, pending };
}

test(
  'damage at any offset of any file in dataDir: the gateway starts, or refuses with the file named and what to do',
  { timeout: 300_000 },
  async (t) => {
    const base = await mkdtemp(join(tmpdir(), 'veilgate-damaged-'));
    t.after(() => rm(base, { recursive: true, force: true }));
    const { dataDir, pending } = await populatedDataDir(base);
    // LevelDB's own lock and its text log of what it did are not data
    const files = await filesUnder(dataDir, ['LOCK', 'LOG', 'LOG.old']);
    const names = files.map((f) => relative(dataDir, f));
    for (const must of [
      'devices.json',
      'http-logins.json',
      'salt',
      'audit/audit.jsonl',
      'audit/config-seen.json',
      'audit/registry-seen.json',
    ]) {
      assert.ok(names.includes(must), `${must} is among the files checked (${names.join(', ')})`);
    }
    assert.ok(
      names.some((n) => /^outbox\/seg-\d+\.log$/.test(n)),
      "and the outbox's segment",
    );
    assert.ok(
      names.some((n) => n.startsWith('broker/')),
      'and the broker store',
    );
    const outcomes: string[] = [];
    let n = 0;
    for (const file of files) {
      for (const how of DAMAGES) {
        const copy = join(base, `copy-${n++}`);
        await cp(dataDir, copy, { recursive: true });
        const name = relative(dataDir, file);
        await damage(join(copy, name), how);
        const started = await startHarness({
          dataDir: copy,
          frames: new InlineRunner(null),
          http: { requireLogin: true },
        }).catch((e: Error) => e);
        if (started instanceof Error) {
          // refused: the message names the file (for the broker's store, its folder) and says what to do
          const named = name.startsWith('broker/') ? 'broker' : name;
          assert.ok(started.message.includes(named), `${name} ${how}: the refusal names it: ${started.message}`);
          assert.match(
            started.message,
            /restore|move it aside|provision|backup|remove|again/i,
            `${name} ${how}: and says what to do: ${started.message}`,
          );
          outcomes.push(`${name} ${how}: refused`);
        } else {
          // started: what could be kept was kept; a damaged outbox line is a counted, audited drop
          try {
            const box = started.gateway.outbox;
            const kept = box.recovered.entries;
            const lost = box.drops.OUTBOX_CORRUPT ?? 0;
            if (!name.startsWith('outbox/'))
              assert.equal(kept, pending, `${name} ${how}: the pending records survive damage elsewhere`);
            else if (how !== 'cut-in-half' && how !== 'emptied')
              assert.ok(kept + lost >= pending, `${name} ${how}: ${kept} kept + ${lost} lost of ${pending}`);
          } finally {
            await started.stop();
          }
          outcomes.push(`${name} ${how}: started`);
        }
        await rm(copy, { recursive: true, force: true });
      }
    }
    t.diagnostic(outcomes.join('\n'));
  },
);
