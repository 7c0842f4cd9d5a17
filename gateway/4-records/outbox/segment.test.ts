import { test } from 'node:test';
import assert from 'node:assert/strict';
import { KeyTable, NO_RECORD, Segment } from './segment.ts';

test('a segment keeps device numbers past 65,534 once a gateway has seen that many devices', () => {
  const keys = new KeyTable();
  const s = new Segment('/nowhere', 100);
  const t0 = Date.parse('2026-12-01T00:00:00Z');
  s.add(100, 0, 10, keys.of('first'), t0);
  s.add(102, 10, 10, keys.of('second'), t0 + 1);
  for (let i = 0; i < 70_000; i++) keys.of(`device-${i}`);
  const far = keys.of('far');
  s.add(103, 20, 10, far, t0 + 2);
  assert.equal(s.key(100), keys.of('first'));
  assert.equal(s.key(101), NO_RECORD, 'the skipped seq has no record');
  assert.equal(s.key(103), far);
  const again = Segment.from('/nowhere', 100, s.arrays());
  assert.deepEqual(
    [100, 101, 102, 103].map((q) => again.key(q)),
    [keys.of('first'), NO_RECORD, keys.of('second'), far],
  );
  assert.equal(again.live, 3);
});

test('put times are kept to the second, rounded up', () => {
  const s = new Segment('/nowhere', 0);
  s.add(0, 0, 10, 0, 1_000);
  s.add(1, 10, 10, 0, 1_001);
  assert.deepEqual([s.at(0), s.at(1)], [1_000, 2_000]);
  assert.equal(s.newestAt(), 2_000);
});

test('line lengths take two bytes until one does not fit, and a cold segment reads no offsets until warmed', () => {
  const s = new Segment('/nowhere', 0);
  s.add(0, 0, 100, 0, 1_000);
  s.add(1, 100, 70_000, 0, 2_000);
  assert.deepEqual([s.bytesOf(0), s.bytesOf(1)], [100, 70_000]);
  assert.equal(s.liveBytes, 70_100);
  s.seal();
  const places = { offsets: Uint32Array.from([0, 100]), atSeconds: Uint32Array.from([1, 2]) };
  s.cool();
  assert.equal(s.isWarm, false);
  assert.throws(() => s.offsetOf(1), /cold/);
  assert.equal(s.bytesOf(1), 70_000, 'lengths stay: settling needs them');
  assert.deepEqual([s.oldestAt(), s.newestAt()], [1_000, 2_000]);
  s.warm(places);
  assert.deepEqual([s.offsetOf(1), s.at(1)], [100, 2_000]);
  assert.throws(() => s.warm({ offsets: new Uint32Array(1), atSeconds: new Uint32Array(1) }), /does not match/);
});
