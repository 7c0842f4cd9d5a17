import { test } from 'node:test';
import assert from 'node:assert/strict';
import { closest } from './spelling.ts';

test('a swapped pair of letters is one edit: opne suggests open, not zone, in any order of the candidates', () => {
  assert.equal(closest('opne', ['zone', 'open']), 'open');
  assert.equal(closest('opne', ['open', 'zone']), 'open');
  assert.equal(closest('gatewayID', ['dataDir', 'gatewayId']), 'gatewayId');
  assert.equal(closest('prot', ['host', 'port']), 'port');
  assert.equal(closest('something', ['type', 'at']), undefined, 'nothing within two edits');
});
