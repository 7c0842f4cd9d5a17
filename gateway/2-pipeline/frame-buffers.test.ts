import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FrameBuffers } from './frame-buffers.ts';

test('frame buffers are used again at their own size, never held past the bound, and moved-away ones are ignored', () => {
  const buffers = new FrameBuffers(100);
  const a = buffers.take(40);
  assert.equal(a.buffer.byteLength, 40, 'alone in its ArrayBuffer');
  buffers.give(a.buffer as ArrayBuffer);
  assert.notEqual(buffers.take(30).buffer, a.buffer, 'a frame of another size gets a buffer of its own');
  assert.equal(buffers.take(40).buffer, a.buffer, 'the same size takes the buffer handed back');
  for (let i = 0; i < 5; i++) buffers.give(new ArrayBuffer(40));
  assert.ok(buffers.heldBytes <= 100, `${buffers.heldBytes} bytes held, at most 100`);
  buffers.give(new ArrayBuffer(0)); // detached: moved to a worker and not come back
  buffers.give(new ArrayBuffer(101)); // larger than the bound
  assert.ok(buffers.heldBytes <= 100);
});
