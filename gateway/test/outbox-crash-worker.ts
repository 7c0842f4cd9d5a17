/**
 * A writer for the outbox crash-point test: puts records, acknowledges the oldest as an uplink
 * would, and compacts often. It prints `acked ID` once a put has resolved (when the gateway would
 * send PUBACK) and `delivered ID` before it writes the ack (the agency has the record by then).
 * After the rounds it closes and reopens the outbox (a clean restart) and puts a few more.
 * `recover` only opens the outbox and closes it. A failed open prints `open-failed CODE`.
 */
import { writeSync } from 'node:fs';
import { DurableOutbox } from '../outbox/index.ts';

const [dir, phase] = process.argv.slice(2) as [string, 'work' | 'recover'];
const say = (line: string) => writeSync(1, `${line}\n`);
const openBox = () =>
  DurableOutbox.open(dir, undefined, { compactAtBytes: 1500 }).catch((e: NodeJS.ErrnoException) => {
    say(`open-failed ${e.code}`);
    process.exit(1);
  });
let box = await openBox();
box.on('problem', (e) => say(`problem ${(e as NodeJS.ErrnoException).code}`));

if (phase === 'work') {
  const put = (i: number) =>
    box.put({ id: `r${i}`, topic: `t/${i}`, payload: JSON.stringify({ i, pad: 'p'.repeat(120) }), key: `dev-${i % 3}`, at: Date.now() }).then(
      () => say(`acked r${i}`),
      () => {},
    );
  // delivered once the agency acknowledged it, which is before the ack is written
  const ack = (id: string) => {
    say(`delivered ${id}`);
    return box.ack(id).catch(() => {});
  };
  let sent = 0;
  const acks: Promise<unknown>[] = [];
  for (let round = 0; round < 8; round++) {
    // acks are not waited for: the next puts land while the compaction they start copies the log
    acks.push(...[...box.pending()].slice(0, 3).map((e) => ack(e.id)));
    await Promise.all([put(sent++), put(sent++), put(sent++)]);
    await new Promise((r) => setImmediate(r));
  }
  await Promise.all(acks);
  // a clean restart, then more records: what was put after a fault must survive it too
  await box.close();
  box = await openBox();
  await Promise.all([put(sent++), put(sent++)]);
}
await box.close();
say('closed');
