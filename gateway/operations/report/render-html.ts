import { barChart, esc } from './charts.ts';
import { htmlTable } from './html-table.ts';
import { PAGE_CSS } from './page-css.ts';
import type { TransparencyReport } from './collect.ts';
import { deviceTable, periodWords, reasonWords } from './words.ts';

const FORWARD = '#2f6f4f';
const WITHHOLD = '#c9a227';
const OTHER = '#4a6fa5';

// the gateway's report adds its key figures, the warning box and hashes to the shared look
const CSS = `${PAGE_CSS}
.key{display:flex;gap:2rem;font:14px system-ui,sans-serif}.key div{border-left:4px solid #2f6f4f;padding-left:.6rem}.key b{display:block;font-size:1.6rem}
.bad{background:#fde8e8;border-left:4px solid #9a1c1c;padding:.5rem}code{word-break:break-all;font-size:.85em}`;

/** One self-contained page (inline CSS and SVG, no script, nothing fetched) that prints well. */
export function renderHtml(r: TransparencyReport): string {
  const s: string[] = [];
  s.push(
    `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>Transparency report: ${esc(r.gatewayId)}</title><style>${CSS}</style></head><body>`,
  );
  s.push(
    `<h1>Transparency report: gateway ${esc(r.gatewayId)}</h1><p>${esc(periodWords(r))}. Generated ${esc(r.generatedAt)}.</p>`,
  );
  if (!r.chain.verified)
    s.push(
      `<p class="bad"><strong>The audit chain does not verify:</strong> ${esc(r.chain.problem ?? '')}. The figures below may be incomplete.</p>`,
    );
  s.push(
    `<div class="key"><div><b>${r.decisions.forwarded}</b>records forwarded</div><div style="border-color:${WITHHOLD}"><b>${r.decisions.withheld}</b>records withheld</div><div style="border-color:${OTHER}"><b>${r.redactions.frames}</b>frames redacted on the device</div></div>`,
  );
  const devices = deviceTable(r);
  s.push('<h2>What the devices collect</h2>', htmlTable(devices.head, devices.rows));
  s.push('<h2>Policies in force</h2>');
  if (r.policies.length === 0) s.push('<p>No policy was in force: nothing was forwarded.</p>');
  for (const p of r.policies) {
    s.push(
      `<h3>${esc(p.words?.title ?? p.id)} <small>(${esc(p.id)} v${p.version})</small></h3><p>In force from ${esc(p.from)}${p.until ? ` until ${esc(p.until)}` : ''}. sha256 <code>${esc(p.sha256)}</code></p>`,
    );
    if (!p.words) s.push('<p class="none">The text of this version is not archived on this gateway.</p>');
    else
      s.push(
        `<p>${esc(p.words.summary)}</p><ul>${p.words.rules.map((x) => `<li><strong>${esc(x.id)}</strong>: ${esc(x.says)}${x.why ? ` <em>Why: ${esc(x.why)}</em>` : ''}</li>`).join('')}</ul><ul>${p.words.vision.map((v) => `<li>${esc(v)}</li>`).join('')}</ul>`,
      );
  }
  if (r.policyRejections)
    s.push(`<p>${r.policyRejections} invalid policy file(s) were rejected; the policy in force stayed.</p>`);
  s.push('<h2>What was forwarded and withheld</h2>');
  s.push(
    barChart(
      'Records by type',
      Object.entries(r.decisions.byType)
        .sort()
        .map(([t, c]) => ({
          label: t,
          parts: [
            { value: c.forwarded, colour: FORWARD, name: 'forwarded' },
            { value: c.withheld, colour: WITHHOLD, name: 'withheld' },
          ],
        })),
    ),
  );
  if (r.daily.length > 1)
    s.push(
      barChart(
        'Records per day',
        r.daily.map((d) => ({
          label: d.date,
          parts: [
            { value: d.forwarded, colour: FORWARD, name: 'forwarded' },
            { value: d.withheld, colour: WITHHOLD, name: 'withheld' },
          ],
        })),
      ),
    );
  s.push(
    '<p>Why records were withheld:</p>',
    htmlTable(
      ['reason', 'what it means', 'records'],
      Object.entries(r.decisions.withheldByReason)
        .sort((a, b) => b[1] - a[1])
        .map(([k, v]) => [k, reasonWords(k), v]),
    ),
  );
  s.push(
    '<h2>Redactions</h2>',
    `<p>${r.redactions.frames} camera frames were analysed on the gateway and redacted before anything else saw them. Regions obscured:</p>`,
  );
  s.push(
    barChart(
      'Regions obscured, by what was detected',
      Object.entries(r.redactions.byClass)
        .sort()
        .map(([k, v]) => ({ label: k, parts: [{ value: v, colour: OTHER, name: 'regions' }] })),
    ) || '<p class="none">none</p>',
  );
  s.push(
    '<h2>Outages and losses</h2>',
    `<p>Uplink unavailable ${r.outages.uplink.length} time(s), ${Math.round(r.outages.uplinkSeconds)} s in all (records waited in the outbox). Gateway stopped ${r.outages.stops.length} time(s).</p>`,
  );
  s.push(
    htmlTable(
      ['uplink down from', 'until', 'seconds'],
      r.outages.uplink.map((o) => [o.from, o.until ?? 'still down', Math.round(o.seconds)]),
    ),
  );
  s.push(
    '<p>Approved records dropped before delivery:</p>',
    htmlTable(['reason', 'records'], Object.entries(r.outboxDrops)),
  );
  s.push(
    '<p>Frames withheld without analysis, and refused device input:</p>',
    htmlTable(['code', 'count'], [...Object.entries(r.frameDrops), ...Object.entries(r.inputRejected)]),
  );
  s.push(
    '<h2>Integrity</h2>',
    r.chain.verified
      ? `<p>Computed from an audit chain that verifies (${r.chain.entries} entries). Chain head #${r.chain.head!.seq} <code>${esc(r.chain.head!.hash)}</code>. The gateway publishes the same head to the agency's broker; compare them.</p>`
      : `<p class="bad">The audit chain does not verify: ${esc(r.chain.problem ?? '')}</p>`,
  );
  s.push('</body></html>\n');
  return s.join('\n');
}
