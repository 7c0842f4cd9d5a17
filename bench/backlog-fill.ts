// Fills an outbox with a long outage's backlog, as fast as the disk takes it, then waits to be
// killed (kill -9: the bench restarts the gateway on what it left). Records are dated over the days
// before now, as an outage would have put them. Prints {put} every 100,000 records and {done} at the end.
import { DurableOutbox } from '../gateway/4-records/outbox/index.ts';

const [dir, total, devices] = [process.argv[2]!, Number(process.argv[3]), Number(process.argv[4])];
const box = await DurableOutbox.open(dir, {
  maxBytes: 4 * 2 ** 30,
  maxAgeSeconds: 14 * 86_400,
  whenFull: 'refuse-new',
});
const now = Date.now();
const spanMs = 3 * 86_400_000;
const policy = { id: 'default', version: 1, sha256: 'a'.repeat(64) };
for (let start = 0; start < total; start += 2000) {
  await Promise.all(
    Array.from({ length: Math.min(2000, total - start) }, (_, j) => {
      const i = start + j;
      const device = i % devices < 4 ? `cam-${i % devices}` : `sensor-${i % devices}`;
      const at = now - spanMs + Math.floor((i / total) * spanMs);
      const id = `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`;
      const fields = device.startsWith('cam')
        ? { windowStart: new Date(at).toISOString(), windowSeconds: 10, person: i % 7, vehicle: i % 3 }
        : { at: new Date(at).toISOString(), type: 'door', open: i % 2 === 0 };
      const payload = JSON.stringify({
        id,
        deviceId: device,
        recordType: device.startsWith('cam') ? 'counts' : 'door',
        policy,
        fields,
      });
      return box.put({
        id,
        topic: `veilgate/bench/${device}/${device.startsWith('cam') ? 'counts' : 'door'}`,
        payload,
        key: device,
        at,
      });
    }),
  );
  if ((start + 2000) % 100_000 === 0) console.log(JSON.stringify({ put: start + 2000 }));
}
console.log(JSON.stringify({ done: box.size, bytes: box.bytes }));
await new Promise(() => {});
