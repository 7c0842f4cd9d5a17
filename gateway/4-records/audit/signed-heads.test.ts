import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync, sign } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { startHarness, waitFor, YESTERDAY } from '../../test/harness.ts';
import { InlineRunner } from '../../2-pipeline/runner.ts';
import { connectDevice, sampleEvent } from '../../../simulators/index.ts';
import { deviceTopic } from '../../../devices/index.ts';
import { entryHash, type AuditEntry } from './entry.ts';
import { AUDIT_FILE } from './index.ts';
import { runVeilgate } from '../../test/run-veilgate.ts';

/** What someone holding the SD card can do without the heads: edit an entry and re-chain all after it. */
function rechainedAfterEdit(entries: AuditEntry[], seq: number): AuditEntry[] {
  let prev = entries.find((e) => e.seq === seq - 1)?.hash;
  return entries.map((e) => {
    if (e.seq < seq) return e;
    const event =
      e.seq === seq
        ? { ...e.event, ...('deviceId' in e.event ? { deviceId: 'someone-else' } : { detail: 'edited' }) }
        : e.event;
    const partial = { seq: e.seq, at: e.at, event, prev: prev! } as Omit<AuditEntry, 'hash'>;
    const hash = entryHash(partial);
    prev = hash;
    return { ...partial, hash } as AuditEntry;
  });
}

test(
  'every signed head goes upstream as a QoS 1 record; a tail rewritten or cut after an archived head fails audit verify --heads',
  { timeout: 90_000 },
  async (t) => {
    const h = await startHarness({
      frames: new InlineRunner(null),
      audit: { headIntervalSeconds: 5, windowSeconds: 1 },
    });
    t.after(() => h.stop());
    const door = await connectDevice({
      url: h.brokerUrl,
      deviceId: 'door-1',
      secret: await h.gateway.registry.add('door-1', 'sensor'),
    });
    const heads = () =>
      h.upstream
        .filter((r) => r.topic === 'veilgate/gw-test/audit-heads')
        .map((r) => JSON.parse(r.payload.toString()) as { seq: number; hash: string });
    await waitFor('the first head', () => heads().length >= 1);
    for (let n = 0; n < 5; n++)
      await door.publishAsync(
        deviceTopic('door-1', 'events'),
        JSON.stringify(sampleEvent('door', n, new Date(YESTERDAY + n * 1000))),
        { qos: 1 },
      );
    await waitFor('a second head, after the events', () => new Set(heads().map((x) => x.seq)).size >= 2, 15_000);
    await door.endAsync(true);
    await h.gateway.stop();

    const dir = h.dir;
    const dataDir = h.gateway.cfg.dataDir;
    const config = join(dir, 'verify.yaml');
    await writeFile(config, `gatewayId: gw-test\ndataDir: ${dataDir}\npolicy: ${h.gateway.cfg.policy.file}\n`);
    const archive = join(dir, 'heads.jsonl');
    const archived = h.upstream.filter((r) => r.topic.endsWith('/audit-heads')).map((r) => r.payload.toString());
    await writeFile(archive, archived.join('\n'));
    const last = heads().at(-1)!;

    const clean = await runVeilgate(['audit', 'verify', '--config', config, '--heads', archive]);
    assert.equal(clean.code, 0, clean.output);
    assert.match(clean.output, new RegExp(`matches all ${archived.length} archived heads`));

    const file = join(dataDir, 'audit', AUDIT_FILE);
    const original = await readFile(file, 'utf8');
    const entries = original
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as AuditEntry);
    // the rewrite attack: an entry before the last archived head edited, everything after re-chained
    await writeFile(
      file,
      `${rechainedAfterEdit(entries, last.seq - 1)
        .map((e) => JSON.stringify(e))
        .join('\n')}\n`,
    );
    const plain = await runVeilgate(['audit', 'verify', '--config', config]);
    assert.equal(plain.code, 0, `without the heads a re-chained tail verifies: ${plain.output}`);
    const rewritten = await runVeilgate(['audit', 'verify', '--config', config, '--heads', archive]);
    assert.equal(rewritten.code, 1, rewritten.output);
    assert.match(rewritten.output, /does not match the head the agency archived/);

    // the tail cut off before the last archived head
    await writeFile(
      file,
      `${entries
        .filter((e) => e.seq < last.seq)
        .map((e) => JSON.stringify(e))
        .join('\n')}\n`,
    );
    assert.equal((await runVeilgate(['audit', 'verify', '--config', config])).code, 0, 'a cut tail verifies alone');
    const cut = await runVeilgate(['audit', 'verify', '--config', config, '--heads', archive]);
    assert.equal(cut.code, 1, cut.output);
    assert.match(
      cut.output,
      new RegExp(`archived a head for entry #${last.seq}: entries after #${last.seq - 1} were removed`),
    );

    // a head the box did not sign
    await writeFile(file, original);
    const other = generateKeyPairSync('ed25519');
    const forged = {
      ...JSON.parse(archived.at(-1)!),
      sig: sign(null, Buffer.from('x'), other.privateKey).toString('base64'),
    };
    await writeFile(archive, [...archived, JSON.stringify(forged)].join('\n'));
    const bad = await runVeilgate(['audit', 'verify', '--config', config, '--heads', archive]);
    assert.equal(bad.code, 1, bad.output);
    assert.match(bad.output, /not signed by this gateway's audit key/);

    const key = await runVeilgate(['audit', 'key', '--config', config]);
    assert.match(key.output, /BEGIN PUBLIC KEY/);
    const published = h.upstream.find((r) => r.topic === 'veilgate/gw-test/audit-key')?.payload.toString();
    assert.ok(
      published && key.output.includes(published.trim()),
      'the same public key was published upstream, retained',
    );
  },
);
