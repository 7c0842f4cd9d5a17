import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AuditWindows } from './windows.ts';
import type { AuditEvent } from './entry.ts';

const policy = { id: 'p', version: 3, sha256: 'a'.repeat(64) };
const T0 = Date.parse('2026-12-05T10:00:00Z');

type WindowEvent = Extract<AuditEvent, { type: 'window' }>;

test("a camera's frames, decisions and refusals in one window become one entry whose counts add up", () => {
  const w = new AuditWindows(() => 10_000);
  for (let i = 0; i < 50; i++) {
    const at = T0 + i * 200;
    if (i % 10 === 9) {
      w.frame('cam-1', { processed: false, code: 'QUEUE_OVERFLOW' }, at);
      continue;
    }
    w.frame(
      'cam-1',
      {
        processed: true,
        reused: i % 2 === 0,
        redactions: { face: 1 },
        redactionMethods: { face: 'pixelate' },
        models: ['blazeface'],
      },
      at,
    );
    w.decision(
      {
        type: 'decision',
        action: 'withhold',
        deviceId: 'cam-1',
        recordType: 'observation',
        rules: [],
        reason: 'NO_RULE',
        policy,
      },
      at,
    );
  }
  w.decision(
    {
      type: 'decision',
      action: 'forward',
      deviceId: 'cam-1',
      recordType: 'counts',
      rules: ['counts'],
      fields: ['person'],
      recordId: 'r1',
      policy,
    },
    T0 + 9_000,
  );
  for (let i = 0; i < 7; i++) w.refusal('door-1', 'events', 'EVENT_INVALID', 'not JSON', T0 + i);
  assert.deepEqual(w.take(T0 + 9_999), [], 'nothing before the window ends');
  const out = w.take(T0 + 10_000) as WindowEvent[];
  assert.equal(out.length, 2);
  const cam = out.find((e) => e.deviceId === 'cam-1')!;
  assert.deepEqual(cam.frames, { seen: 50, processed: 45, reused: 25, withheld: { QUEUE_OVERFLOW: 5 } });
  assert.equal(
    cam.frames!.seen,
    cam.frames!.processed + Object.values(cam.frames!.withheld).reduce((a, b) => a + b, 0),
  );
  assert.deepEqual(
    cam.decisions!.map((d) => [d.action, d.recordType, d.count, d.recordIds ?? null]),
    [
      ['withhold', 'observation', 45, null],
      ['forward', 'counts', 1, ['r1']],
    ],
  );
  assert.deepEqual(cam.redactions, { face: 45 });
  assert.equal(cam.from, '2026-12-05T10:00:00.000Z');
  assert.equal(cam.to, '2026-12-05T10:00:10.000Z');
  const door = out.find((e) => e.deviceId === 'door-1')!;
  assert.deepEqual(
    door.refused!.map((r) => [r.code, r.count, r.first, r.last]),
    [['EVENT_INVALID', 7, '2026-12-05T10:00:00.000Z', '2026-12-05T10:00:00.006Z']],
  );
});

test("a device's event in a later window closes its earlier window; no count is lost across windows", () => {
  const w = new AuditWindows(() => 1_000);
  for (let i = 0; i < 30; i++) w.refusal('s', 'events', 'X', '', T0 + i * 100);
  const out = w.take(Number.POSITIVE_INFINITY) as WindowEvent[];
  assert.equal(out.length, 3);
  assert.deepEqual(
    out.map((e) => e.refused![0]!.count),
    [10, 10, 10],
  );
  assert.deepEqual(w.take(Number.POSITIVE_INFINITY), []);
});

test('bounded: listed ids stop at a limit and the rest are counted; distinct decisions past a limit are folded, still counted', () => {
  const w = new AuditWindows(() => 60_000);
  for (let i = 0; i < 1200; i++)
    w.decision(
      {
        type: 'decision',
        action: 'forward',
        deviceId: 'cam',
        recordType: 'snapshot',
        rules: ['r'],
        recordId: `id-${i}`,
        policy,
      },
      T0,
    );
  for (let i = 0; i < 200; i++)
    w.decision(
      {
        type: 'decision',
        action: 'withhold',
        deviceId: 'cam',
        recordType: `t${i}`,
        rules: [],
        reason: 'NO_RULE',
        policy,
      },
      T0,
    );
  const [e] = w.take(Number.POSITIVE_INFINITY) as WindowEvent[];
  const fwd = e!.decisions!.find((d) => d.recordType === 'snapshot')!;
  assert.equal(fwd.count, 1200);
  assert.equal(fwd.recordIds!.length + fwd.recordIdsOmitted!, 1200);
  assert.ok(e!.decisions!.length <= 66);
  assert.equal(
    e!.decisions!.reduce((n, d) => n + d.count, 0),
    1400,
  );
  assert.ok(JSON.stringify(e).length < 32_000, 'one window entry stays a few KB');
});

test('distinct refusals past the limit are folded into one group that says so, still counted', () => {
  const w = new AuditWindows(() => 60_000);
  for (let i = 0; i < 100; i++) w.refusal('bad', 'events', `CODE_${i}`, `detail ${i}`, T0 + i);
  const [e] = w.take(Number.POSITIVE_INFINITY) as WindowEvent[];
  assert.ok(e!.refused!.length <= 65);
  assert.equal(
    e!.refused!.reduce((n, r) => n + r.count, 0),
    100,
  );
  const other = e!.refused!.find((r) => r.code === 'MANY_DISTINCT_REFUSALS')!;
  assert.equal(other.count, 100 - (e!.refused!.length - 1));
  assert.match(other.detail, /CODE_64: detail 64/);
  assert.ok(
    e!.refused!.filter((r) => r.code === 'CODE_63').length === 1 && other.channel === '(several)',
    'the folded ones are not counted as the last code',
  );
});
