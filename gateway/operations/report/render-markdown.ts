import type { TransparencyReport } from './collect.ts';
import { markdownTable } from './markdown-table.ts';
import { deviceTable, periodWords, reasonWords } from './words.ts';

export function renderMarkdown(r: TransparencyReport): string {
  const out: string[] = [];
  out.push(`# Transparency report: gateway ${r.gatewayId}`, '', `${periodWords(r)}. Generated ${r.generatedAt}.`, '');
  const devices = deviceTable(r);
  out.push('## What the devices collect', '', markdownTable(devices.head, devices.rows));
  out.push('## Policies in force', '');
  for (const p of r.policies) {
    out.push(
      `### ${p.words?.title ?? p.id} (${p.id} v${p.version})`,
      '',
      `In force from ${p.from}${p.until ? ` until ${p.until}` : ''}. sha256 \`${p.sha256}\`.`,
      '',
    );
    if (!p.words) out.push('_The text of this version is not archived on this gateway._', '');
    else
      out.push(
        p.words.summary,
        '',
        ...p.words.rules.map((x) => `- **${x.id}**: ${x.says}${x.why ? ` _Why: ${x.why}_` : ''}`),
        '',
        ...p.words.vision.map((v) => `- ${v}`),
        '',
      );
  }
  if (r.policies.length === 0) out.push('No policy was in force: nothing was forwarded.', '');
  if (r.policyRejections)
    out.push(`${r.policyRejections} invalid policy file(s) were rejected; the policy in force stayed.`, '');
  out.push(
    '## What was forwarded and withheld',
    '',
    `${r.decisions.forwarded} records forwarded, ${r.decisions.withheld} withheld.`,
    '',
  );
  out.push(
    markdownTable(
      ['record type', 'forwarded', 'withheld'],
      Object.entries(r.decisions.byType)
        .sort()
        .map(([t, c]) => [t, c.forwarded, c.withheld]),
    ),
  );
  out.push(
    'Why records were withheld:',
    '',
    markdownTable(
      ['reason', 'records'],
      Object.entries(r.decisions.withheldByReason)
        .sort((a, b) => b[1] - a[1])
        .map(([k, v]) => [`${k}: ${reasonWords(k)}`, v]),
    ),
  );
  out.push(
    '## Redactions',
    '',
    `${r.redactions.frames} camera frames were analysed on the gateway and redacted before anything else saw them.`,
    '',
  );
  out.push(
    markdownTable(
      ['what was obscured', 'regions'],
      Object.entries(r.redactions.byClass)
        .sort()
        .map(([k, v]) => [k, v]),
    ),
  );
  out.push('## Outages and losses', '');
  out.push(
    `Uplink unavailable ${r.outages.uplink.length} time(s), ${Math.round(r.outages.uplinkSeconds)} s in all (records waited in the outbox). Gateway stopped ${r.outages.stops.length} time(s).`,
    '',
  );
  out.push(
    'Approved records dropped before delivery:',
    '',
    markdownTable(
      ['reason', 'records'],
      Object.entries(r.outboxDrops).map(([k, v]) => [k, v]),
    ),
  );
  out.push(
    'Frames withheld without analysis, and refused device input:',
    '',
    markdownTable(
      ['code', 'count'],
      [...Object.entries(r.frameDrops), ...Object.entries(r.inputRejected)].map(([k, v]) => [k, v]),
    ),
  );
  out.push(
    '## Integrity',
    '',
    r.chain.verified
      ? `This report was computed from an audit chain that verifies (${r.chain.entries} entries), head #${r.chain.head!.seq} \`${r.chain.head!.hash}\`. The same head is published to the agency's broker; compare them.`
      : `**The audit chain does not verify**: ${r.chain.problem}. The figures above may be incomplete.`,
    '',
  );
  return out.join('\n');
}
