import { GatewayHealth, PolicyStatus } from '../../../devices/index.ts';
import { SignedHeadSchema, type SignedHead } from '../../4-records/audit/index.ts';

/** What the agency's broker holds, retained, of one gateway: the latest of each of its messages. */
export interface GatewayMessages {
  gatewayId: string;
  status?: 'online' | 'offline';
  health?: GatewayHealth;
  policy?: PolicyStatus;
  head?: SignedHead;
  /** the public key (PEM) its heads are signed with */
  auditKey?: string;
  /** messages under its id that could not be read: a gateway of another version, or damage */
  unreadable: string[];
}

/** The retained topics the fleet view reads, under the prefix. */
export const FLEET_FILTERS = ['status', 'health', 'policy-status', 'audit-head', 'audit-key'].map((t) => `+/${t}`);

function json(payload: Buffer): unknown {
  return JSON.parse(payload.toString('utf8'));
}

/**
 * Files one retained message under its gateway. Returns false for a topic the view does not read.
 * A payload that does not parse is noted against the gateway, never thrown.
 */
export function addFleetMessage(
  fleet: Map<string, GatewayMessages>,
  prefix: string,
  topic: string,
  payload: Buffer,
): boolean {
  if (!topic.startsWith(`${prefix}/`)) return false;
  const parts = topic.slice(prefix.length + 1).split('/');
  if (parts.length !== 2 || payload.length === 0) return false;
  const [gatewayId, what] = parts as [string, string];
  let g = fleet.get(gatewayId);
  const entry = () => {
    if (!g) fleet.set(gatewayId, (g = { gatewayId, unreadable: [] }));
    return g;
  };
  try {
    if (what === 'status') {
      const text = payload.toString('utf8');
      if (text !== 'online' && text !== 'offline') throw new Error(`status "${text.slice(0, 20)}"`);
      entry().status = text;
    } else if (what === 'health') entry().health = GatewayHealth.parse(json(payload));
    else if (what === 'policy-status') entry().policy = PolicyStatus.parse(json(payload));
    else if (what === 'audit-head') entry().head = SignedHeadSchema.parse(json(payload));
    else if (what === 'audit-key') entry().auditKey = payload.toString('utf8');
    else return false;
  } catch (e) {
    entry().unreadable.push(`${what}: ${(e as Error).message.split('\n')[0]!.slice(0, 120)}`);
  }
  return true;
}
