import type { AuditEntry } from './entry.ts';

/** One line per entry, for people reading `veilgate audit tail` or `query`. */
export function describeEntry(e: AuditEntry): string {
  const ev = e.event;
  const head = `#${e.seq} ${e.at}`;
  const pol = (p: { id: string; version: number } | null) => (p ? `${p.id} v${p.version}` : 'no policy');
  switch (ev.type) {
    case 'decision':
      return `${head} ${ev.action} ${ev.deviceId} ${ev.recordType} by ${ev.rules.join(',') || '-'} (${pol(ev.policy)})${ev.reason ? ` reason ${ev.reason}` : ''}${ev.fields ? ` fields ${ev.fields.join(',')}` : ''}${ev.recovered ? ' (recovered from the outbox after an unclean stop)' : ''}${ev.redactions && Object.keys(ev.redactions).length ? ` ${redacted(ev.redactions, ev.redactionMethods)}` : ''}`;
    case 'input-rejected':
      return `${head} input-rejected ${ev.deviceId} ${ev.channel} ${ev.code}`;
    case 'policy-activated':
      return `${head} policy-activated ${pol(ev.policy)} sha256 ${ev.policy.sha256.slice(0, 12)} (${ev.trigger}; before: ${pol(ev.previous)})${ev.signedBy ? ` from ${ev.source}, signed by key ${ev.signedBy.slice(0, 12)}` : ''}`;
    case 'policy-rejected':
      return `${head} policy-rejected ${ev.source} (${ev.trigger}; ${ev.errors.length} error(s)${ev.source.startsWith('fleet:') ? `: ${ev.errors[0]}` : ''}; kept: ${pol(ev.kept)})`;
    case 'device':
      return `${head} device-${ev.action} ${ev.deviceId}${ev.kind ? ` ${ev.kind}` : ''}${ev.zone !== undefined ? ` zone ${ev.zone ?? 'none'}` : ''}`;
    case 'outbox-drop':
      return `${head} outbox-drop ${ev.deviceId} ${ev.reason} record ${ev.recordId}`;
    case 'frame-withheld':
      return `${head} frame-withheld ${ev.deviceId} ${ev.code}`;
    case 'gateway':
      return `${head} gateway-${ev.action} ${ev.version}`;
    case 'recovery':
      return `${head} recovery ${ev.detail}`;
    case 'audit-pruned':
      return `${head} audit-pruned ${ev.files} file(s) through #${ev.throughSeq}`;
    case 'config':
      return `${head} config ${ev.sha256.slice(0, 12)}${ev.changed ? ` changed (was ${ev.previous?.slice(0, 12)})` : ''}`;
    case 'uplink':
      return `${head} uplink-${ev.action}`;
    case 'window': {
      const parts = [`${head} window ${ev.deviceId} ${ev.from.slice(11, 19)}-${ev.to.slice(11, 19)}`];
      const f = ev.frames;
      if (f)
        parts.push(
          `frames ${f.seen} (processed ${f.processed}, reused ${f.reused}${Object.keys(f.withheld).length ? `, withheld ${counts(f.withheld)}` : ''})`,
        );
      for (const d of ev.decisions ?? [])
        parts.push(
          `${d.action} ${d.recordType} x${d.count} by ${d.rules.join(',') || '-'} (${pol(d.policy)})${d.reason ? ` reason ${d.reason}` : ''}`,
        );
      for (const r of ev.refused ?? []) parts.push(`refused ${r.channel} ${r.code} x${r.count}`);
      for (const o of ev.outboxDrops ?? []) parts.push(`outbox-drop ${o.reason} x${o.count}`);
      if (ev.redactions && Object.keys(ev.redactions).length) parts.push(redacted(ev.redactions, ev.redactionMethods));
      return parts.join('; ');
    }
  }
}

function counts(c: Record<string, number>): string {
  return Object.entries(c)
    .map(([k, v]) => `${k}:${v}`)
    .join(',');
}

/** `redacted face:3(pixelate),head:2(pixelate)`: redactions by class, each with how it was obscured */
function redacted(r: Record<string, number>, methods: Record<string, string> | undefined): string {
  return `redacted ${Object.entries(r)
    .map(([k, v]) => `${k}:${v}${methods?.[k] ? `(${methods[k]})` : ''}`)
    .join(',')}`;
}
