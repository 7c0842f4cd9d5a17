// `npm run bench [suite...]`: speed and memory targets live here, measured side by side in one run,
// not in timed unit tests (the machines we test on are shared and noisy).
import { benchBroker } from './broker.ts';
import { benchOutboxDrain } from './outbox-drain.ts';
import { benchPipeline } from './pipeline.ts';
import { benchPolicyEval } from './policy-eval.ts';
import { benchVision } from './vision.ts';
import { benchStorage } from './storage.ts';
import { benchBacklog } from './backlog.ts';
import { benchRobustness } from './robustness.ts';
import { benchRtsp } from './rtsp.ts';
import { benchFleet } from './fleet.ts';

const SUITES: Record<string, () => Promise<void>> = {
  policy: benchPolicyEval,
  drain: benchOutboxDrain,
  broker: benchBroker,
  pipeline: benchPipeline,
  vision: benchVision,
  robustness: benchRobustness,
  storage: benchStorage,
  backlog: benchBacklog,
  rtsp: benchRtsp,
  fleet: benchFleet,
};

const wanted = process.argv.slice(2);
for (const name of wanted.length ? wanted : Object.keys(SUITES)) {
  const suite = SUITES[name];
  if (!suite) {
    console.error(`unknown suite "${name}"; suites: ${Object.keys(SUITES).join(', ')}`);
    process.exit(2);
  }
  await suite();
}
