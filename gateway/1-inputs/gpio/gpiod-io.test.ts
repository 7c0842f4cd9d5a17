import { test } from 'node:test';
import assert from 'node:assert/strict';
import { gpiogetArgs, gpiomonArgs, parseEdge } from './gpiod-io.ts';

test('gpiomon and gpioget are called as libgpiod 1.x (Debian 12) and 2.x (Debian 13) expect, bias included', () => {
  assert.deepEqual(gpiomonArgs(1, 'gpiochip0', 17, 'up'), ['--bias', 'pull-up', '--format=%o %e', 'gpiochip0', '17']);
  assert.deepEqual(gpiomonArgs(2, 'gpiochip4', 17, undefined), ['--chip', 'gpiochip4', '--format=%o %e', '17']);
  assert.deepEqual(gpiogetArgs(1, 'gpiochip0', 22, 'down'), ['--bias', 'pull-down', 'gpiochip0', '22']);
  assert.deepEqual(gpiogetArgs(2, 'gpiochip0', 22, 'up'), [
    '--chip',
    'gpiochip0',
    '--numeric',
    '--bias',
    'pull-up',
    '22',
  ]);
});

test('a gpiomon line is a level: rising is 1 in both versions, falling 0 (1.x) or 2 (2.x) is 0; anything else is ignored', () => {
  assert.deepEqual(parseEdge('17 1'), { pin: 17, level: 1 });
  assert.deepEqual(parseEdge('17 0'), { pin: 17, level: 0 });
  assert.deepEqual(parseEdge('17 2\n'), { pin: 17, level: 0 });
  assert.equal(parseEdge('gpiomon: error'), null);
  assert.equal(parseEdge(''), null);
});
