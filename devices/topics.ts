import { Channel } from './kinds/index.ts';
import { isDeviceId } from './ids.ts';

/**
 * The MQTT contract, built and parsed in one place (docs/architecture.md, "The MQTT contract").
 *
 * | topic                                   | from    | payload                      |
 * | devices/{deviceId}/frames               | camera  | raw JPEG bytes (never routed) |
 * | devices/{deviceId}/events               | sensor  | JSON SensorEvent             |
 * | devices/{deviceId}/status               | device  | online / offline, retained   |
 * | local/{deviceId}/{recordType}           | gateway | the forwarded record, for local consumers |
 * | {prefix}/{gatewayId}/{deviceId}/{type}  | gateway | upstream record JSON         |
 * | {prefix}/{gatewayId}/status             | gateway | online / offline, retained   |
 * | {prefix}/{gatewayId}/health             | gateway | GatewayHealth JSON, retained |
 */
export const DEVICES_ROOT = 'devices';
export const LOCAL_ROOT = 'local';

/** Whether a topic is the root itself or anything below it (`devices`, `devices/cam-1/frames`). */
export function isUnderRoot(topic: string, root: string): boolean {
  return topic === root || topic.startsWith(`${root}/`);
}

export function deviceTopic(deviceId: string, channel: Channel): string {
  return `${DEVICES_ROOT}/${deviceId}/${channel}`;
}

export interface ParsedDeviceTopic {
  deviceId: string;
  channel: Channel;
}

/** Parses `devices/{id}/{channel}`; anything else (extra levels, bad id, unknown channel) is null. */
export function parseDeviceTopic(topic: string): ParsedDeviceTopic | null {
  const parts = topic.split('/');
  if (parts.length !== 3 || parts[0] !== DEVICES_ROOT) return null;
  const [, deviceId = '', channel = ''] = parts;
  const parsed = Channel.safeParse(channel);
  if (!parsed.success || !isDeviceId(deviceId)) return null;
  return { deviceId, channel: parsed.data };
}

export function isFramesTopic(topic: string): boolean {
  return topic.startsWith(`${DEVICES_ROOT}/`) && topic.endsWith('/frames');
}

/** Where a record the policy forwarded is also published for local consumers (read-only identities). */
export function localTopic(deviceId: string, recordType: string): string {
  return `${LOCAL_ROOT}/${deviceId}/${recordType}`;
}

export function upstreamRecordTopic(prefix: string, gatewayId: string, deviceId: string, recordType: string): string {
  return `${prefix}/${gatewayId}/${deviceId}/${recordType}`;
}

export function upstreamStatusTopic(prefix: string, gatewayId: string): string {
  return `${prefix}/${gatewayId}/status`;
}

/** Retained: what the gateway did with the last fleet policy offered to it (PolicyStatus). */
export function upstreamPolicyStatusTopic(prefix: string, gatewayId: string): string {
  return `${prefix}/${gatewayId}/policy-status`;
}

/** Retained: the gateway's backlog, devices and warnings, for the agency's fleet view (GatewayHealth). */
export function upstreamHealthTopic(prefix: string, gatewayId: string): string {
  return `${prefix}/${gatewayId}/health`;
}

/** The level under the prefix that holds what the agency sends its gateways; no gateway may have this id. */
export const FLEET_LEVEL = 'fleet';

/** Retained, from the agency: a signed policy for the gateways `to` names (FleetPolicyMessage). */
export function fleetPolicyTopic(prefix: string, to: string): string {
  return `${prefix}/${FLEET_LEVEL}/policies/${to}`;
}

export function fleetPolicyFilter(prefix: string): string {
  return `${prefix}/${FLEET_LEVEL}/policies/+`;
}

/** The gateway's own upstream messages (its status and audit heads), as opposed to records. */
export function isGatewayMessageTopic(topic: string): boolean {
  return (
    topic.endsWith('/status') ||
    topic.endsWith('/policy-status') ||
    topic.endsWith('/health') ||
    topic.endsWith('/audit-head') ||
    topic.endsWith('/audit-heads') ||
    topic.endsWith('/audit-key')
  );
}

/** Retained: the public half (PEM) of the key that signs the gateway's audit heads. */
export function upstreamAuditKeyTopic(prefix: string, gatewayId: string): string {
  return `${prefix}/${gatewayId}/audit-key`;
}

/** QoS 1, not retained, through the outbox: every signed audit head, for the agency to archive them all. */
export function upstreamAuditHeadsTopic(prefix: string, gatewayId: string): string {
  return `${prefix}/${gatewayId}/audit-heads`;
}

/** Retained: the audit chain's head (seq, hash, time), so the agency can tell if a tail was deleted. */
export function upstreamAuditHeadTopic(prefix: string, gatewayId: string): string {
  return `${prefix}/${gatewayId}/audit-head`;
}

/**
 * True when a subscription filter could match some `devices/{id}/frames` topic
 * (`#`, `devices/#`, `+/+/frames`, `devices/cam1/+` ...). Such filters never get a frame.
 */
export function filterCouldMatchFrames(filter: string): boolean {
  return filterCouldMatch(filter.split('/'), [DEVICES_ROOT, null, 'frames']);
}

/** Matches filter levels against a topic shape where null stands for "any single level". */
function filterCouldMatch(filter: string[], shape: (string | null)[]): boolean {
  for (let i = 0; i < filter.length; i++) {
    const level = filter[i];
    if (level === '#') return true;
    if (i >= shape.length) return false;
    const want = shape[i];
    if (level === '+' || want === null) continue;
    if (level !== want) return false;
  }
  return filter.length === shape.length;
}
