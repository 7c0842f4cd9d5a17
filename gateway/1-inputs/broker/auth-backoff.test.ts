import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AuthBackoff, loginKey, type LoginAttempt, type LoginRefusal } from './auth-backoff.ts';

const fail = async (b: AuthBackoff, address: string, t: number) => {
  const a = await b.begin(address, t);
  assert.ok('ok' in a, `an attempt from ${address} was refused: ${JSON.stringify(a)}`);
  a.end(false, t);
};
const settled = () => new Promise((r) => setImmediate(r));

test('an address waits after its free failures, the wait doubles, and a success clears it', async () => {
  const b = new AuthBackoff(3, 1000, 8000);
  const t = 1_000_000;
  await fail(b, '10.0.0.1', t);
  await fail(b, '10.0.0.1', t);
  assert.equal(b.waitFor('10.0.0.1', t), 0);
  await fail(b, '10.0.0.1', t);
  assert.equal(b.waitFor('10.0.0.1', t), 1000);
  assert.deepEqual(await b.begin('10.0.0.1', t), { reason: 'backoff', waitMs: 1000 });
  await fail(b, '10.0.0.1', t + 1000);
  assert.equal(b.waitFor('10.0.0.1', t + 1000), 2000);
  for (let i = 0; i < 10; i++) await fail(b, '10.0.0.1', t + 100_000 * (i + 1));
  assert.equal(b.waitFor('10.0.0.1', t + 1_000_000), 8000, 'capped');
  assert.equal(b.waitFor('10.0.0.2', t), 0, 'other addresses are not affected');
  const ok = (await b.begin('10.0.0.1', t + 2_000_000)) as LoginAttempt;
  ok.end(true, t + 2_000_000);
  assert.equal(b.waitFor('10.0.0.1', t + 2_000_000), 0);
});

test('a burst of wrong logins sent at once gets checks for the free failures only, two at a time; the rest are refused unchecked', async () => {
  const b = new AuthBackoff(5, 1000, 8000);
  let running = 0;
  let most = 0;
  let checks = 0;
  const outcomes = await Promise.all(
    Array.from({ length: 30 }, async () => {
      const a = await b.begin('10.0.0.9', 0);
      if (!('ok' in a)) return a.reason;
      checks++;
      most = Math.max(most, ++running);
      await settled(); // the scrypt check
      running--;
      a.end(false, 0);
      return 'checked';
    }),
  );
  assert.equal(checks, 5);
  assert.equal(most, 2);
  assert.equal(outcomes.filter((o) => o === 'backoff').length, 25);
  assert.ok(b.waitFor('10.0.0.9', 0) > 0);
});

test('devices behind one address that log in together all get in, two checks at a time', async () => {
  const b = new AuthBackoff(3, 1000, 8000);
  let running = 0;
  let most = 0;
  const outcomes = await Promise.all(
    Array.from({ length: 20 }, async () => {
      const a = await b.begin('10.0.0.4', 0);
      if (!('ok' in a)) return a.reason;
      most = Math.max(most, ++running);
      await settled();
      running--;
      a.end(true, 0);
      return 'in';
    }),
  );
  assert.deepEqual(new Set(outcomes), new Set(['in']));
  assert.equal(most, 2);
});

test('a right password from an address with one failure behind it gets in while another check runs; a second end is ignored', async () => {
  const b = new AuthBackoff(3, 1000, 8000);
  const wrong = (await b.begin('10.0.0.3', 0)) as LoginAttempt;
  const right = (await b.begin('10.0.0.3', 0)) as LoginAttempt;
  assert.ok('ok' in right);
  right.end(true, 0);
  wrong.end(false, 0);
  right.end(false, 0);
  wrong.end(false, 0);
  assert.equal(b.waitFor('10.0.0.3', 0), 0);
});

test('the queue of one address is bounded', async () => {
  const b = new AuthBackoff(3, 1000, 8000, 100, 2, 4);
  const first = (await b.begin('10.0.0.5', 0)) as LoginAttempt;
  const second = (await b.begin('10.0.0.5', 0)) as LoginAttempt;
  const queued = Array.from({ length: 4 }, () => b.begin('10.0.0.5', 0));
  assert.deepEqual(await b.begin('10.0.0.5', 0), { reason: 'busy' } satisfies LoginRefusal);
  first.end(true, 0);
  second.end(true, 0);
  for (const q of await Promise.all(queued.slice(0, 2))) (q as LoginAttempt).end(true, 0);
  for (const q of await Promise.all(queued.slice(2))) assert.ok('ok' in q);
});

test('logins count by /64 for IPv6 and as one for the whole loopback range', async () => {
  assert.equal(loginKey('127.0.0.1'), loginKey('127.3.2.1'));
  assert.equal(loginKey('::1'), loginKey('127.0.0.1'));
  assert.equal(loginKey('::ffff:127.0.0.5'), 'loopback');
  assert.equal(loginKey('2001:db8:1:2::1'), loginKey('2001:db8:1:2:ffff::9'));
  assert.notEqual(loginKey('10.0.0.1'), loginKey('10.0.0.2'));
  const b = new AuthBackoff(1, 1000, 8000);
  await fail(b, '127.0.0.2', 0);
  assert.ok(b.waitFor('127.0.0.3', 0) > 0, 'another loopback address waits too');
});

test('the table of addresses is bounded', async () => {
  const b = new AuthBackoff(1, 1000, 8000, 100);
  for (let i = 0; i < 1000; i++) await fail(b, `10.0.${i >> 8}.${i & 255}`, 0);
  assert.equal(b.waitFor('10.0.0.0', 0), 0, 'the oldest were forgotten');
  assert.ok(b.waitFor('10.0.3.231', 0) > 0);
});

test('check runs a login as one counted attempt: a check that throws counts as a failure and frees its turn', async () => {
  const b = new AuthBackoff(2, 1000, 8000);
  await assert.rejects(
    b.check('10.0.0.7', async () => {
      throw new Error('registry unreadable');
    }),
    /registry unreadable/,
  );
  assert.deepEqual(await b.check('10.0.0.7', async () => null), { result: null });
  assert.ok(b.waitFor('10.0.0.7', Date.now()) > 0, 'two failures: the address waits');
  const other = await b.check('10.0.0.8', async () => 'door-1');
  assert.deepEqual(other, { result: 'door-1' });
});
