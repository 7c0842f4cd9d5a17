import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createLogger } from './log.ts';
import { Lifecycle } from './lifecycle.ts';

function logged(): { lines: string[]; log: ReturnType<typeof createLogger> } {
  const lines: string[] = [];
  return { lines, log: createLogger('info', 'test', { write: (l: string) => void lines.push(l) }) };
}

test('parts close in the reverse of the order they started, once however often close is called', async () => {
  const { log } = logged();
  const life = new Lifecycle(log);
  const closed: string[] = [];
  for (const name of ['records', 'uplink', 'broker'])
    await life.start(name, async () => ({ value: name, close: () => void closed.push(name) }));
  life.onClose('watch', () => void closed.push('watch'));
  assert.equal(life.stopping, false, 'not stopping before close');
  await Promise.all([life.close(), life.close()]);
  assert.equal(life.stopping, true, 'stopping once closed');
  assert.deepEqual(closed, ['watch', 'broker', 'uplink', 'records']);
});

test('a start that fails part-way leaves what had started to be closed, and the failure is the caller’s', async () => {
  const { log } = logged();
  const life = new Lifecycle(log);
  const closed: string[] = [];
  await life.start('records', async () => ({ value: 1, close: () => void closed.push('records') }));
  await assert.rejects(
    life.start('broker', async () => {
      throw Object.assign(new Error('listen EADDRINUSE'), { code: 'EADDRINUSE' });
    }),
    /EADDRINUSE/,
  );
  await life.close();
  assert.deepEqual(closed, ['records'], 'only the part that started is closed');
});

test('a close that hangs or throws is given up on with a log line, and the parts started before it still close', async () => {
  const { log, lines } = logged();
  const life = new Lifecycle(log);
  const closed: string[] = [];
  await life.start('records', async () => ({ value: 1, close: () => void closed.push('records') }));
  await life.start('uplink', async () => ({ value: 1, close: () => new Promise(() => {}) }), 50);
  await life.start('broker', async () => ({
    value: 1,
    close: () => {
      throw new Error('socket gone');
    },
  }));
  await life.close();
  assert.deepEqual(closed, ['records'], 'the audit log and outbox close after a stuck uplink');
  const text = lines.join('');
  assert.match(text, /"step":"uplink close","afterMs":50.*a step of stopping did not finish/);
  assert.match(text, /"step":"broker close","err":"socket gone".*a step of stopping failed/);
});
