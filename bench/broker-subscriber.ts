// The subscriber of the broker bench's throughput runs, in a process of its own: sharing one event
// loop with 50 flooding publishers, it went unread for 60-430 ms at a time while they wrote, and the
// run then measured how much a broker buffers for a stalled client rather than how fast it delivers.
//
// `node --import tsx bench/broker-subscriber.ts URL QOS CLIENT_ID TOPIC` subscribes, prints `ready`,
// then for each number N it reads on stdin prints `armed`, and `done T` once N messages have arrived
// since, T the wall-clock time of the last one in milliseconds; `end` disconnects and exits.
import { createInterface } from 'node:readline';
import mqtt from 'mqtt';

const [url, qos, clientId, topic] = process.argv.slice(2);
const sub = await mqtt.connectAsync(url!, { clientId: clientId!, protocolVersion: 4, reconnectPeriod: 0 });
let got = 0;
let want = Infinity;
sub.on('message', () => {
  if (++got === want) console.log(`done ${performance.timeOrigin + performance.now()}`);
});
await sub.subscribeAsync(topic!, { qos: Number(qos) as 0 | 1 });
console.log('ready');
for await (const line of createInterface({ input: process.stdin })) {
  if (line === 'end') break;
  got = 0;
  want = Number(line);
  console.log('armed');
}
await sub.endAsync(true);
