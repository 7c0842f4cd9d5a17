import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseSegmentLine, putLine } from './segment-lines.ts';

const entry = { id: 'r1', topic: 'veilgate/gw/door-1/door', payload: '{"open":true}', key: 'door-1', at: 1 };

test('a put line damaged inside its record text is found, though it is still valid JSON', () => {
  const line = putLine(7, JSON.stringify(entry));
  assert.deepEqual(parseSegmentLine(line), { s: 7, e: entry }, 'the line as written is read back');
  const flipped = line.replace('"open\\":true', '"open\\":trve');
  assert.notEqual(flipped, line, 'the damage landed inside the payload string');
  assert.doesNotThrow(() => JSON.parse(flipped), 'the damaged line still parses as JSON');
  assert.equal(parseSegmentLine(flipped), null, 'and is refused by its CRC');
  assert.equal(parseSegmentLine(line.replace(/"c":\d+/, '"c":1x')), null, 'a damaged CRC is refused too');
});

test('a put line written before lines had a CRC is read as it was', () => {
  assert.deepEqual(parseSegmentLine(`{"s":3,"e":${JSON.stringify(entry)}}`), { s: 3, e: entry });
});
