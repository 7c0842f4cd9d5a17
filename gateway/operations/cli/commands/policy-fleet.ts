import { readFile, writeFile } from 'node:fs/promises';
import type { Command } from 'commander';
import type { MqttClient } from 'mqtt';
import {
  fleetPolicyTopic,
  FleetPolicyMessage,
  GatewayTarget,
  PolicySignature,
  PolicyStatus,
  UPSTREAM_SCHEMA_VERSION,
} from '../../../../devices/index.ts';
import { formatErrors, readPolicyFile, readSigningKey, signPolicy } from '../../../3-decision/policy-in-force/index.ts';
import { connectAgency, readAgencyConfig } from '../../fleet/index.ts';
import { EXIT, UsageError } from '../exit.ts';

async function validPolicy(file: string) {
  const r = await readPolicyFile(file);
  if (!r.ok) throw new UsageError(`${file} is not a valid policy:\n${formatErrors(r.errors)}`);
  return r;
}

/** Retained policy statuses under the prefix, gathered until `quietMs` pass without one (or `maxMs`). */
async function collectStatuses(
  client: MqttClient,
  prefix: string,
  keep: (s: PolicyStatus) => boolean,
  quietMs: number,
  maxMs: number,
): Promise<Map<string, PolicyStatus>> {
  const seen = new Map<string, PolicyStatus>();
  const start = Date.now();
  let lastAt = Date.now();
  client.on('message', (topic, payload) => {
    if (!topic.endsWith('/policy-status')) return;
    try {
      const s = PolicyStatus.parse(JSON.parse(payload.toString('utf8')));
      if (keep(s)) {
        seen.set(s.gatewayId, s);
        lastAt = Date.now();
      }
    } catch {
      // not a status we can read: a gateway of another version; left out of the view
    }
  });
  await client.subscribeAsync(`${prefix}/+/policy-status`, { qos: 1 });
  while (Date.now() - lastAt < quietMs && Date.now() - start < maxMs) await new Promise((r) => setTimeout(r, 100));
  return seen;
}

function describeStatus(s: PolicyStatus): string {
  const f = s.inForce ? `${s.inForce.id} v${s.inForce.version} (${s.inForce.source})` : 'none: nothing is forwarded';
  const last =
    s.outcome === 'rejected'
      ? `refused ${s.offered?.id ?? '?'} v${s.offered?.version ?? '?'}: ${s.reason}`
      : s.outcome === 'activated'
        ? `activated ${s.offered?.id} v${s.offered?.version}`
        : '';
  return `${s.gatewayId.padEnd(24)} ${f}${last ? `; ${last}` : ''} (${s.at})`;
}

/** `policy sign`, `policy publish` and `policy status`: policies for a fleet, through the agency's broker. */
export function registerPolicyFleet(policy: Command): void {
  policy
    .command('sign')
    .description('sign a valid policy with a privacy officer key (Ed25519); writes POLICY.sig beside it')
    .argument('<policy>')
    .requiredOption('--key <file>', 'the private key (veilgate keys init)')
    .option('--out <file>', 'where to write the signature (default: POLICY.sig)')
    .action(async (file: string, o: { key: string; out?: string }) => {
      const r = await validPolicy(file);
      let key;
      try {
        key = await readSigningKey(o.key);
      } catch (e) {
        throw new UsageError((e as Error).message);
      }
      const sig = signPolicy(r.value, key);
      const out = o.out ?? `${file}.sig`;
      await writeFile(out, `${JSON.stringify(sig, null, 2)}\n`);
      const p = r.value.policy;
      console.log(
        `signed ${file}: ${p.id} v${p.version}, sha256 ${sig.sha256.slice(0, 12)}, key ${sig.key.slice(0, 12)}`,
      );
      console.log(`signature ${out}`);
    });

  policy
    .command('publish')
    .description(
      "publish a signed policy to gateways through the agency's broker (retained: a gateway offline now takes it when it connects)",
    )
    .argument('<policy>')
    .requiredOption('--to <pattern>', 'the gateways: an id, or a pattern with * (north-*, or * for all)')
    .requiredOption('--config <file>', "the agency's config: its broker, as {upstream: {url, topicPrefix, ...}}")
    .option('--signature <file>', 'the signature (default: POLICY.sig)')
    .option('--wait <seconds>', 'then wait this long for the gateways to report, and print what each did', '0')
    .action(async (file: string, o: { to: string; config: string; signature?: string; wait: string }) => {
      if (!GatewayTarget.safeParse(o.to).success)
        throw new UsageError(`--to ${o.to}: a gateway id, or a pattern of A-Z a-z 0-9 _ . - and *`);
      const waitS = Number(o.wait);
      if (!Number.isFinite(waitS) || waitS < 0 || waitS > 3600) throw new UsageError('--wait: seconds, 0 to 3600');
      const r = await validPolicy(file);
      const sigFile = o.signature ?? `${file}.sig`;
      const sig = await readSignature(sigFile);
      if (sig.sha256 !== r.value.sha256)
        throw new UsageError(
          `${file} changed after ${sigFile} was made (sha256 ${r.value.sha256.slice(0, 12)}, signed ${sig.sha256.slice(0, 12)}): sign it again`,
        );
      const a = await readAgencyConfig(o.config);
      const prefix = a.upstream.topicPrefix;
      const msg: FleetPolicyMessage = {
        schemaVersion: UPSTREAM_SCHEMA_VERSION,
        to: o.to,
        publishedAt: new Date().toISOString(),
        policy: r.text,
        signature: sig,
      };
      const client = await connectAgency(a);
      try {
        const topic = fleetPolicyTopic(prefix, o.to);
        await client.publishAsync(topic, JSON.stringify(FleetPolicyMessage.parse(msg)), { qos: 1, retain: true });
        const p = r.value.policy;
        console.log(`published ${p.id} v${p.version} (sha256 ${sig.sha256.slice(0, 12)}) to ${topic}, retained`);
        if (waitS === 0) return;
        const statuses = await collectStatuses(
          client,
          prefix,
          (s) => s.offered?.sha256 === sig.sha256 || s.inForce?.sha256 === sig.sha256,
          waitS * 1000,
          waitS * 1000,
        );
        for (const s of statuses.values()) console.log(`  ${describeStatus(s)}`);
        const refused = [...statuses.values()].filter((s) => s.inForce?.sha256 !== sig.sha256).length;
        console.log(`${statuses.size} gateway(s) reported within ${waitS} s; ${refused} did not put it in force`);
        process.exitCode = refused > 0 ? EXIT.CHECK_FAILED : EXIT.OK;
      } finally {
        await client.endAsync();
      }
    });

  policy
    .command('status')
    .description('the fleet view: the policy each gateway has in force and what it did with the last one offered')
    .requiredOption('--config <file>', "the agency's config: its broker, as {upstream: {url, topicPrefix, ...}}")
    .option('--quiet <ms>', 'stop after this long without a new report', '1500')
    .action(async (o: { config: string; quiet: string }) => {
      const a = await readAgencyConfig(o.config);
      const client = await connectAgency(a);
      try {
        const statuses = await collectStatuses(
          client,
          a.upstream.topicPrefix,
          () => true,
          Number(o.quiet) || 1500,
          30_000,
        );
        const all = [...statuses.values()].sort((x, y) => x.gatewayId.localeCompare(y.gatewayId));
        for (const s of all) console.log(describeStatus(s));
        console.log(`${all.length} gateway(s) report a policy status`);
      } finally {
        await client.endAsync();
      }
    });
}

async function readSignature(file: string): Promise<PolicySignature> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new UsageError(
      `${file}: ${code === 'ENOENT' ? 'no signature; make one with veilgate policy sign' : (e as Error).message}`,
    );
  }
  try {
    return PolicySignature.parse(JSON.parse(text));
  } catch {
    throw new UsageError(`${file}: not a signature made by veilgate policy sign`);
  }
}
