import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DurableOutbox } from './index.ts';
import { waitFor } from '../../test/harness.ts';

const SEGMENT_BYTES = 1024;
const entry = (i: number) => ({ id: `r${i}`, topic: `t/${i}`, payload: JSON.stringify({ i }), key: 'dev-1', at: 1 });

/** Sealed segments (their index files removed or kept), acks between puts, and a head: every kind of line. */
async function filledOutbox(dir: string): Promise<{ files: Map<string, Buffer>; pending: Set<string> }> {
  const box = await DurableOutbox.open(dir, undefined, { segmentBytes: SEGMENT_BYTES });
  const pending = new Set<string>();
  for (let i = 0; i < 24; i++) {
    await box.put(entry(i));
    // acks between the puts, as deliveries during an outage's end write them
    if (i % 5 === 1) box.ack((await box.list()).find((e) => e.id === `r${i}`)!.seq);
    else pending.add(`r${i}`);
  }
  await waitFor('segments sealed', async () => (await readdir(dir)).filter((n) => n.endsWith('.idx')).length >= 2);
  await box.close();
  const files = new Map<string, Buffer>();
  for (const name of await readdir(dir)) files.set(name, await readFile(join(dir, name)));
  return { files, pending };
}

/** Every offset where 16 overwritten bytes reach a line's end or the next line's start, and one mid-line. */
function offsetsNearLineEnds(buf: Buffer): number[] {
  const at = new Set<number>();
  let start = 0;
  for (let nl = buf.indexOf(0x0a); nl >= 0; start = nl + 1, nl = buf.indexOf(0x0a, start)) {
    at.add(Math.floor((start + nl) / 2));
    for (let o = nl - 16; o <= nl + 8; o++) if (o >= 0 && o < buf.length) at.add(o);
  }
  return [...at].sort((a, b) => a - b);
}

/** The seqs whose ack lines 16 bytes written at `at` reach, with the line breaks around them. */
function acksIn(buf: Buffer, at: number): Set<number> {
  const hit = new Set<number>();
  for (const m of buf.toString('latin1').matchAll(/\{"ack":(\d+)\}/g))
    if (m.index - 1 < at + 16 && m.index + m[0].length >= at) hit.add(Number(m[1]));
  return hit;
}

test('16 damaged bytes anywhere near a line break: every pending record is delivered once or counted lost once, and nothing else is counted lost', async (t) => {
  const base = await mkdtemp(join(tmpdir(), 'veilgate-damaged-lines-'));
  t.after(() => rm(base, { recursive: true, force: true }));
  const { files, pending } = await filledOutbox(join(base, 'filled'));
  const segments = [...files.keys()].filter((n) => n.endsWith('.log')).sort();
  assert.ok(segments.length >= 3, `sealed segments and a head (${segments.join(', ')})`);
  const seqOf = new Map<string, number>();
  for (const [name, content] of files) {
    if (!name.endsWith('.log')) continue;
    for (const m of content.toString().matchAll(/\{"s":(\d+),"e":\{"id":"(r\d+)"/g)) seqOf.set(m[2]!, Number(m[1]));
  }
  let cases = 0;
  for (const keepIndexes of [false, true]) {
    for (const segment of segments) {
      const original = files.get(segment)!;
      const isHead = segment === segments.at(-1);
      for (const at of offsetsNearLineEnds(original)) {
        // the newest file's last line without its break reads as a power cut mid-write, whose put was
        // never acknowledged, and is cut off: damage there cannot be told from that
        if (isHead && at + 16 >= original.length) continue;
        const dir = join(base, `case-${cases++}`);
        await mkdir(dir);
        for (const [name, content] of files) {
          if (name.endsWith('.idx') && !keepIndexes) continue;
          await writeFile(join(dir, name), content);
        }
        const damaged = Buffer.from(original);
        damaged.fill(0xfe, at, Math.min(at + 16, damaged.length));
        await writeFile(join(dir, segment), damaged);
        const box = await DurableOutbox.open(dir, undefined, { segmentBytes: SEGMENT_BYTES });
        const what = `${segment} at ${at} (${keepIndexes ? 'with' : 'without'} index files)`;
        try {
          const delivered = (await box.take(1000)).map((e) => e.id);
          const lost = box.recovered.lost.length + (box.drops.OUTBOX_CORRUPT ?? 0);
          assert.equal(new Set(delivered).size, delivered.length, `${what}: each delivered once`);
          // a damaged ack only sends its record again (receivers drop duplicates by id)
          const acksHit = acksIn(original, at);
          for (const id of delivered)
            assert.ok(pending.has(id) || acksHit.has(seqOf.get(id)!), `${what}: ${id} was pending or its ack damaged`);
          // a record whose put and ack are both damaged is counted lost: nothing tells it was delivered
          const mayBeLost = (id: string) => pending.has(id) || acksHit.has(seqOf.get(id)!);
          for (const l of box.recovered.lost)
            assert.ok(l.id === null || (mayBeLost(l.id) && !delivered.includes(l.id)), `${what}: lost ${l.id}`);
          const kept = delivered.filter((id) => pending.has(id)).length;
          assert.ok(kept + lost >= pending.size, `${what}: ${kept} delivered + ${lost} lost of ${pending.size}`);
          assert.ok(
            kept + lost <= pending.size + acksHit.size,
            `${what}: ${kept} delivered + ${lost} lost of ${pending.size}, ${acksHit.size} acks damaged`,
          );
        } finally {
          await box.close();
          await rm(dir, { recursive: true, force: true });
        }
      }
    }
  }
  t.diagnostic(`${cases} damaged copies opened`);
});
