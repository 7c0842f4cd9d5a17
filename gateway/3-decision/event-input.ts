import { MAX_EVENT_BYTES, SensorEvent } from '../../devices/index.ts';

export type EventInput =
  | { ok: true; event: SensorEvent }
  | {
      ok: false;
      code: 'EVENT_TOO_LARGE' | 'EVENT_NOT_JSON' | 'EVENT_INVALID' | 'EVENT_TIME_FUTURE' | 'EVENT_TIME_STALE';
      detail: string;
    };

/** How far an event's own time may be from the gateway's clock. */
export interface EventTimeBounds {
  maxFutureSeconds: number;
  maxAgeSeconds: number;
}

/**
 * Parses a sensor event payload. Never throws: bad input is a result with a stable code. An event
 * dated well in the future (a device with a wrong clock) or long ago (a replay, or a backlog older
 * than anyone can use) is refused: policies round, window and rate-limit by that time.
 */
export function parseEventPayload(payload: Buffer, now: number, bounds: EventTimeBounds): EventInput {
  if (payload.length > MAX_EVENT_BYTES)
    return { ok: false, code: 'EVENT_TOO_LARGE', detail: `${payload.length} bytes, at most ${MAX_EVENT_BYTES}` };
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
    return {
      ok: false,
      code: 'EVENT_INVALID',
      detail: first ? `${first.path.join('.') || '(root)'}: ${first.message}` : 'invalid',
    };
  }
  const at = Date.parse(r.data.at);
  if (at - now > bounds.maxFutureSeconds * 1000)
    return {
      ok: false,
      code: 'EVENT_TIME_FUTURE',
      detail: `dated ${Math.round((at - now) / 1000)} s ahead of the gateway's clock (events.maxFutureSeconds ${bounds.maxFutureSeconds})`,
    };
  if (now - at > bounds.maxAgeSeconds * 1000)
    return {
      ok: false,
      code: 'EVENT_TIME_STALE',
      detail: `dated ${Math.round((now - at) / 1000)} s ago (events.maxAgeSeconds ${bounds.maxAgeSeconds})`,
    };
  return { ok: true, event: r.data };
}
