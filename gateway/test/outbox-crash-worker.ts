/**
 * A writer for the outbox crash-point test: puts records, acknowledges the oldest as an uplink
 * would, and starts a new segment file (and deletes delivered ones) often. It prints `acked ID` once a put has
 * resolved (when the gateway would
 * send PUBACK) and `delivered ID` before it writes the ack (the agency has the record by then).
 * After the rounds it closes and reopens the outbox (a clean restart) and puts a few more.
 * `recover` only opens the outbox and closes it. A failed open prints `open-failed CODE`.
 */
import { writeSync } from 'node:fs';
import { DurableOutbox } from '../4-records/outbox/index.ts';

const [dir, phase] = process.argv.slice(2) as [string, 'work' | 'recover'];
const say = (line: string) => writeSync(1, `${line}\n`);
const openBox = () =>
  DurableOutbox.open(dir, undefined, { segmentBytes: 1500 }).catch((e: NodeJS.ErrnoException) => {
    say(`open-failed ${e.code}`);
    process.exit(1);
  });
let box = await openBox();
box.on('problem', (e) => say(`problem ${(e as NodeJS.ErrnoException).code}`));

if (phase === 'work') {
  const put = (i: number) =>
    box
      .put({
        id: `r${i}`,
        topic: `t/${i}`,
        payload: JSON.stringify({ i, pad: 'p'.repeat(120) }),
        key: `dev-${i % 3}`,
        at: Date.now(),
      })
      .then(
        () => say(`acked r${i}`),
        () => {},
      );
  let sent = 0;
  for (let round = 0; round < 8; round++) {
    // delivered once the agency acknowledged it, which is before the ack is written
    for (const e of await box.take(3).catch(() => [])) {
      say(`delivered ${e.id}`);
      box.ack(e.seq);
    }
    // not waited for: the next puts land while the segment they fill is replaced
    await Promise.all([put(sent++), put(sent++), put(sent++)]);
    await new Promise((r) => setImmediate(r));
  }
  // a clean restart, then more records: what was put after a fault must survive it too
  await box.close();
  box = await openBox();
  await Promise.all([put(sent++), put(sent++)]);
}
await box.close();
say('closed');
