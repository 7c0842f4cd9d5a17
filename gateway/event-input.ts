import { MAX_EVENT_BYTES, SensorEvent } from '../devices/index.ts';

export type EventInput = { ok: true; event: SensorEvent } | { ok: false; code: 'EVENT_TOO_LARGE' | 'EVENT_NOT_JSON' | 'EVENT_INVALID'; detail: string };

/** Parses a sensor event payload. Never throws: bad input is a result with a stable code. */
export function parseEventPayload(payload: Buffer): EventInput {
  if (payload.length > MAX_EVENT_BYTES) return { ok: false, code: 'EVENT_TOO_LARGE', detail: `${payload.length} bytes, at most ${MAX_EVENT_BYTES}` };
  let json: unknown;
  try {
    json = JSON.parse(payload.toString('utf8'));
  } catch {
    // not the parser's message: it quotes the payload, and the detail goes to logs and the audit log
    return { ok: false, code: 'EVENT_NOT_JSON', detail: `${payload.length} bytes that are not valid JSON` };
  }
  const r = SensorEvent.safeParse(json);
  if (!r.success) {
    const first = r.error.issues[0];
    return { ok: false, code: 'EVENT_INVALID', detail: first ? `${first.path.join('.') || '(root)'}: ${first.message}` : 'invalid' };
  }
  return { ok: true, event: r.data };
}
