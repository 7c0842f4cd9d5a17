import { mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { MqttClient } from 'mqtt';
import { z } from 'zod';
import { FLEET_LEVEL, GatewayHealth, isDeviceId, PolicyRef, PolicyStatus } from '../../../devices/index.ts';
import { appendSynced } from '../../foundation/storage/append-synced.ts';
import { cutTornTail } from '../../foundation/storage/jsonl-log.ts';
import { replaceFile } from '../../foundation/storage/replace-file.ts';

/**
 * One line of the agency's archive (`DIR/events.jsonl`): what a gateway sent, as counted by the fleet
 * report. A record is kept as its envelope only: the report counts records, it does not hold their data.
 */
export const ArchivedEvent = z.discriminatedUnion('kind', [
  z.strictObject({
    kind: z.literal('record'),
    at: z.string(),
    gatewayId: z.string(),
    deviceId: z.string(),
    recordType: z.string(),
    id: z.string(),
    policy: PolicyRef.pick({ id: true, version: true }),
  }),
  z.strictObject({ kind: z.literal('status'), at: z.string(), gatewayId: z.string(), online: z.boolean() }),
  z.strictObject({
    kind: z.literal('policy'),
    at: z.string(),
    gatewayId: z.string(),
    policy: PolicyRef.pick({ id: true, version: true }).extend({ source: z.string() }).nullable(),
  }),
]);
export type ArchivedEvent = z.infer<typeof ArchivedEvent>;

const RecordEnvelope = z.object({
  id: z.string(),
  gatewayId: z.string(),
  deviceId: z.string(),
  recordType: z.string(),
  policy: PolicyRef,
});

/** The archive's files under DIR. */
export const archiveFiles = (dir: string) => ({
  events: join(dir, 'events.jsonl'),
  heads: join(dir, 'heads'),
  keys: join(dir, 'keys'),
});

/**
 * Files what the gateways send the agency's broker: record envelopes, status changes and the policy
 * each has in force in `events.jsonl`; every signed audit head in `heads/{gatewayId}.jsonl` (what
 * `fleet status --heads` checks) and each gateway's audit key in `keys/{gatewayId}.pem`. Resolves
 * once it is on the disk (flushed, not only written): mqtt.js acknowledges the message after that,
 * so a crash or a power cut before it leaves the message with the broker, which keeps what arrives
 * for the archive's persistent session while it is down.
 */
export async function archiveMessage(
  dir: string,
  prefix: string,
  topic: string,
  payload: Buffer,
  now = new Date(),
): Promise<void> {
  if (!topic.startsWith(`${prefix}/`) || payload.length === 0) return;
  const parts = topic.slice(prefix.length + 1).split('/');
  const files = archiveFiles(dir);
  const at = now.toISOString();
  const gatewayId = parts[0]!;
  if (gatewayId === FLEET_LEVEL || !isDeviceId(gatewayId)) return;
  const text = payload.toString('utf8');
  // a failed write (a full disk) is thrown: the caller stops before the message is acknowledged
  let parsed: ArchivedEvent | { heads: string } | { key: string } | null;
  try {
    parsed = parseMessage(parts, gatewayId, text, at);
  } catch {
    // a message of another version, or damaged: not counted, and the archive goes on
    return;
  }
  if (!parsed) return;
  if ('heads' in parsed) await appendSynced(join(files.heads, `${gatewayId}.jsonl`), `${parsed.heads}\n`);
  else if ('key' in parsed) await replaceFile(join(files.keys, `${gatewayId}.pem`), parsed.key);
  else await appendSynced(files.events, `${JSON.stringify(parsed)}\n`);
}

function parseMessage(
  parts: string[],
  gatewayId: string,
  text: string,
  at: string,
): ArchivedEvent | { heads: string } | { key: string } | null {
  if (parts.length === 3) {
    const r = RecordEnvelope.parse(JSON.parse(text));
    const policy = { id: r.policy.id, version: r.policy.version };
    return {
      kind: 'record',
      at,
      gatewayId: r.gatewayId,
      deviceId: r.deviceId,
      recordType: r.recordType,
      id: r.id,
      policy,
    };
  }
  if (parts.length !== 2) return null;
  const inForce = (p: { id: string; version: number; source: string } | null) =>
    p && { id: p.id, version: p.version, source: p.source };
  switch (parts[1]) {
    case 'status':
      return { kind: 'status', at, gatewayId, online: text === 'online' };
    case 'health':
      return { kind: 'policy', at, gatewayId, policy: inForce(GatewayHealth.parse(JSON.parse(text)).policy) };
    case 'policy-status':
      return { kind: 'policy', at, gatewayId, policy: inForce(PolicyStatus.parse(JSON.parse(text)).inForce) };
    case 'audit-heads':
      return { heads: text };
    case 'audit-key':
      return { key: text };
    default:
      return null;
  }
}

/**
 * What files each message, made ready to append (a torn last line from a failed write is cut first).
 * mqtt.js acknowledges a message once its promise resolves. A message that cannot be written goes
 * to `failed`, which must stop the process before that: the broker then keeps it, and what follows,
 * for the next start.
 */
export async function archiveHandler(
  dir: string,
  prefix: string,
  failed: (e: Error) => never,
): Promise<(topic: string, payload: Buffer) => Promise<void>> {
  const files = archiveFiles(dir);
  mkdirSync(files.heads, { recursive: true });
  mkdirSync(files.keys, { recursive: true });
  // a torn last line's message was never acknowledged: the broker sends it again, and the next
  // line must not be appended to it
  for (const f of [files.events, ...headFiles(files.heads)]) await cutTornTail(f);
  return async (topic, payload) => {
    try {
      await archiveMessage(dir, prefix, topic, payload);
    } catch (e) {
      failed(e as Error);
    }
  };
}

/** The topics the archive keeps, subscribed in the session the broker keeps for it. */
export async function subscribeArchive(client: MqttClient, prefix: string): Promise<void> {
  await client.subscribeAsync(
    ['+/+/+', '+/status', '+/health', '+/policy-status', '+/audit-heads', '+/audit-key'].map((f) => `${prefix}/${f}`),
    { qos: 1 },
  );
}

function headFiles(dir: string): string[] {
  return readdirSync(dir)
    .filter((n) => n.endsWith('.jsonl'))
    .map((n) => join(dir, n));
}
