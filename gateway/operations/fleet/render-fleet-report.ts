import { barChart, esc } from '../report/charts.ts';
import { htmlTable } from '../report/html-table.ts';
import { markdownTable } from '../report/markdown-table.ts';
import { PAGE_CSS } from '../report/page-css.ts';
import type { FleetReport } from './fleet-report.ts';
import { ago } from './render-status.ts';

const COLOURS = ['#2f6f4f', '#c9a227', '#4a6fa5', '#9a4a6f', '#6f6f2f', '#2f6f6f', '#a5634a', '#555555'];

function period(r: FleetReport): string {
  return `${r.since ? `From ${r.since}` : 'From the start of the archive'} ${r.until ? `to ${r.until}` : 'to now'}`;
}

/** The report's tables, each a heading, its column names and its rows; both renderings show these. */
function sections(r: FleetReport): Array<{ title: string; head: string[]; rows: string[][] }> {
  return [
    {
      title: 'Records forwarded, by gateway and type',
      head: ['gateway', ...r.records.types, 'total'],
      rows: r.gateways.map((g) => {
        const c = r.records.byGateway[g] ?? {};
        return [
          g,
          ...r.records.types.map((t) => String(c[t] ?? 0)),
          String(Object.values(c).reduce((a, b) => a + b, 0)),
        ];
      }),
    },
    {
      title: 'Policies in force',
      head: ['policy', 'gateways', 'first seen', 'last seen'],
      rows: r.policies.map((p) => [p.policy, String(p.gateways), p.from, p.until]),
    },
    {
      title: 'Changes of policy',
      head: ['when', 'gateway', 'from', 'to'],
      rows: r.policyChanges.filter((c) => c.from !== null).map((c) => [c.at, c.gatewayId, c.from!, c.to]),
    },
    {
      title: 'Outages (offline to online again)',
      head: ['gateway', 'from', 'until', 'for'],
      rows: r.outages.map((o) => [o.gatewayId, o.from, o.until ?? 'still offline', ago(Math.round(o.seconds))]),
    },
    {
      title: 'Audit continuity (the signed heads each gateway sent)',
      head: ['gateway', 'heads', 'holds together'],
      rows: r.audit.map((a) => [a.gatewayId, String(a.heads), a.continuous ? 'yes' : `NO: ${a.problem}`]),
    },
  ];
}

function summary(r: FleetReport): string {
  const broken = r.audit.filter((a) => !a.continuous).length;
  return (
    `${r.gateways.length} gateways forwarded ${r.records.total} records; ${r.outages.length} outages; ` +
    `${broken ? `${broken} gateways' audit heads do not hold together` : "every gateway's audit heads hold together"}.` +
    (r.unreadableLines ? ` ${r.unreadableLines} archive lines could not be read.` : '')
  );
}

export function renderFleetMarkdown(r: FleetReport): string {
  const out = [`# Fleet transparency report`, '', `${period(r)}. Generated ${r.generatedAt}.`, '', summary(r)];
  for (const s of sections(r)) out.push('', `## ${s.title}`, '', markdownTable(s.head, s.rows).trimEnd());
  return `${out.join('\n')}\n`;
}

/** One self-contained page (inline CSS and SVG, no script, nothing fetched), like a gateway's own report. */
export function renderFleetHtml(r: FleetReport): string {
  const s = [
    `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>Fleet transparency report</title><style>${PAGE_CSS}</style></head><body>`,
    `<h1>Fleet transparency report</h1><p>${esc(period(r))}. Generated ${esc(r.generatedAt)}.</p><p>${esc(summary(r))}</p>`,
    barChart(
      'Records forwarded by gateway',
      r.gateways.map((g) => ({
        label: g,
        parts: r.records.types.map((t, i) => ({
          value: r.records.byGateway[g]?.[t] ?? 0,
          colour: COLOURS[i % COLOURS.length]!,
          name: t,
        })),
      })),
    ),
  ];
  for (const sec of sections(r)) {
    s.push(`<h2>${esc(sec.title)}</h2>`);
    s.push(htmlTable(sec.head, sec.rows));
  }
  s.push('</body></html>');
  return s.join('\n');
}
