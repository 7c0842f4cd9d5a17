import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { configFromObject, loadConfig, type GatewayConfigInput } from '../foundation/config/index.ts';
import { createLogger } from '../foundation/log.ts';
import { Gateway, type GatewayOptions } from '../gateway.ts';
import { startEmbeddedUpstream, type ReceivedRecord } from '../operations/embedded-upstream.ts';
import { contractViolation } from './upstream-contract.ts';

export const REPO = new URL('../../', import.meta.url).pathname;
export const PHOTOS = join(REPO, 'fixtures/photos');
/** Yesterday's midnight (UTC): a fixed base for event times that the gateway accepts (events.maxAgeSeconds). */
export const YESTERDAY = Math.floor(Date.now() / 86_400_000) * 86_400_000 - 86_400_000;

/** The default policy with a short counting window, so tests need not wait 10 s. */
export async function writeFastDefaultPolicy(dir: string, intervalSeconds = 1): Promise<string> {
  const text = (await readFile(join(REPO, 'policies/default.yaml'), 'utf8')).replace(
    'intervalSeconds: 10',
    `intervalSeconds: ${intervalSeconds}`,
  );
  const file = join(dir, 'policy.yaml');
  await writeFile(file, text);
  return file;
}

export interface Harness {
  dir: string;
  gateway: Gateway;
  brokerUrl: string;
  upstream: ReceivedRecord[];
  /** messages that reached the upstream but break the published contract (docs/schema/records/) */
  contractViolations: string[];
  /** stops everything; throws if any upstream message broke the contract */
  stop(): Promise<void>;
}

/** A real gateway (real aedes, real models unless replaced) wired to a real embedded upstream broker. */
export async function startHarness(
  opts: GatewayOptions & {
    policyFile?: string;
    /** policy.trustedKeys: the gateway then takes signed policies from its upstream */
    trustedKeys?: string[];
    /** gatewayId (default gw-test) */
    gatewayId?: string;
    allowAnonymous?: boolean;
    upstreamUrl?: string;
    /** the nodes of a clustered upstream (upstream.urls), in place of upstreamUrl */
    upstreamUrls?: string[];
    /** merged into the upstream section */
    upstream?: Partial<NonNullable<GatewayConfigInput['upstream']>>;
    dataDir?: string;
    outbox?: GatewayConfigInput['outbox'];
    /** merged into the broker section (limits, listeners) */
    broker?: GatewayConfigInput['broker'];
    /** merged into the http section (status page) */
    http?: GatewayConfigInput['http'];
    audit?: GatewayConfigInput['audit'];
    events?: GatewayConfigInput['events'];
    /** RTSP cameras (`cameras:` in the config) */
    cameras?: GatewayConfigInput['cameras'];
    /** GPIO sensors (`gpio:` and `sensors:` in the config) */
    gpio?: GatewayConfigInput['gpio'];
    sensors?: GatewayConfigInput['sensors'];
    /** every log line, as written (for checking what the logs never contain) */
    logLines?: string[];
    /** a config file to start from as `veilgate start --config` does (watched for cameras' zones); with upstreamUrl */
    configFile?: string;
  } = {},
): Promise<Harness> {
  const dir = await mkdtemp(join(tmpdir(), 'veilgate-test-'));
  const upstream: ReceivedRecord[] = [];
  const contractViolations: string[] = [];
  // an upstream of the test's own (Mosquitto, a restartable aedes), or an embedded one that records
  // everything and checks it against the contract the agency's systems are given
  const up = opts.upstreamUrl
    ? { url: opts.upstreamUrl, stop: async () => {} }
    : opts.upstreamUrls
      ? { url: opts.upstreamUrls[0]!, stop: async () => {} }
      : await startEmbeddedUpstream('veilgate', (r) => {
          upstream.push(r);
          const v = contractViolation('veilgate', r.topic, r.payload);
          if (v) contractViolations.push(v);
        });
  const policy = opts.policyFile ?? (await writeFastDefaultPolicy(dir));
  const fromFile = opts.configFile ? await loadConfig(opts.configFile) : null;
  if (fromFile && !fromFile.ok) throw new Error(fromFile.errors.map((e) => e.message).join('\n'));
  const cfg = fromFile?.ok
    ? fromFile.config
    : configFromObject(
        {
          gatewayId: opts.gatewayId ?? 'gw-test',
          dataDir: opts.dataDir ?? join(dir, 'data'),
          policy: opts.trustedKeys ? { file: policy, trustedKeys: opts.trustedKeys } : policy,
          broker: { port: 0, allowAnonymous: opts.allowAnonymous ?? false, ...opts.broker },
          upstream: {
            url: up.url,
            ...(opts.upstreamUrls ? { urls: opts.upstreamUrls } : {}),
            reconnectMinMs: 200,
            reconnectMaxMs: 2000,
            ...opts.upstream,
          },
          http: { port: 0, ...opts.http },
          ...(opts.outbox ? { outbox: opts.outbox } : {}),
          ...(opts.audit ? { audit: opts.audit } : {}),
          ...(opts.events ? { events: opts.events } : {}),
          ...(opts.cameras ? { cameras: opts.cameras } : {}),
          ...(opts.gpio ? { gpio: opts.gpio } : {}),
          ...(opts.sensors ? { sensors: opts.sensors } : {}),
        },
        dir,
      );
  const lines = opts.logLines;
  const log = lines
    ? createLogger('debug', 'veilgate', { write: (s: string) => void lines.push(s) })
    : createLogger(process.env.VEILGATE_TEST_LOG ?? 'silent');
  let gateway: Gateway;
  try {
    gateway = await Gateway.start(cfg, log, opts);
  } catch (e) {
    // a start that fails (the point of many tests) must not leave the upstream broker listening
    await up.stop();
    await rm(dir, { recursive: true, force: true });
    throw e;
  }
  return {
    dir,
    gateway,
    brokerUrl: `mqtt://127.0.0.1:${gateway.address.port}`,
    upstream,
    contractViolations,
    async stop() {
      await gateway.stop();
      await up.stop();
      await rm(dir, { recursive: true, force: true });
      if (contractViolations.length > 0)
        throw new Error(`upstream messages broke the record contract:\n${contractViolations.slice(0, 5).join('\n')}`);
    },
  };
}

export async function waitFor(what: string, cond: () => boolean | Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
