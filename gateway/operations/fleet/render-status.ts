import type { FleetRow, FleetSummary } from './fleet-view.ts';

/** "45 s", "12 min", "3 h", "2 d": an age as a person reads it. */
export function ago(seconds: number | null): string {
  if (seconds === null) return '-';
  if (seconds < 120) return `${seconds} s`;
  if (seconds < 7200) return `${Math.round(seconds / 60)} min`;
  if (seconds < 172_800) return `${Math.round(seconds / 3600)} h`;
  return `${Math.round(seconds / 86_400)} d`;
}

function state(r: FleetRow): string {
  const s = r.online === null ? 'unknown' : r.online ? 'online' : 'offline';
  return r.healthStale ? `${s}, stale` : s;
}

function columns(r: FleetRow): string[] {
  const head = r.head ? `#${r.head.seq}${r.head.signature === 'valid' ? '' : ` (${r.head.signature})`}` : '-';
  const archive = r.archive ? (r.archive.continuous ? `, ${r.archive.heads} archived ok` : ', archive BROKEN') : '';
  return [
    r.gatewayId,
    state(r),
    r.policy ? `${r.policy.id} v${r.policy.version} (${r.policy.source})` : 'none',
    r.rollout?.outcome ?? '-',
    head + archive,
    r.outbox ? `${r.outbox.depth}${r.outbox.depth > 0 ? ` (oldest ${ago(r.outbox.oldestAgeSeconds)})` : ''}` : '-',
    ago(r.lastRecordAgeSeconds),
    r.devices ? `${r.devices.online}/${r.devices.known}` : '-',
    String(r.warnings.length),
  ];
}

const HEADINGS = [
  'GATEWAY',
  'STATE',
  'POLICY IN FORCE',
  'ROLLOUT',
  'AUDIT HEAD',
  'BACKLOG',
  'LAST RECORD',
  'DEVICES',
  '!',
];

/** The fleet as a table, each gateway's warnings under it, and the totals. */
export function renderFleetText(rows: FleetRow[], summary: FleetSummary): string {
  const table = [HEADINGS, ...rows.map(columns)];
  const widths = HEADINGS.map((_, i) => Math.max(...table.map((r) => r[i]!.length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i]!))
      .join('  ')
      .trimEnd();
  const out = [line(HEADINGS)];
  for (const [i, r] of rows.entries()) {
    out.push(line(table[i + 1]!));
    for (const w of r.warnings) out.push(`    ! ${w}`);
  }
  const policies = Object.entries(summary.policies)
    .map(([p, n]) => `${p}: ${n}`)
    .join(', ');
  out.push(
    '',
    `${summary.gateways} gateways: ${summary.online} online, ${summary.offline} offline, ${summary.stale} not reporting; ` +
      `${summary.withWarnings} with warnings; ${summary.backlog} records waiting`,
    `policies in force: ${policies || '-'}${summary.rejected ? `; ${summary.rejected} refused the last one offered` : ''}`,
  );
  if (summary.brokenArchives) out.push(`${summary.brokenArchives} gateways' archived audit heads do not hold together`);
  return `${out.join('\n')}\n`;
}
