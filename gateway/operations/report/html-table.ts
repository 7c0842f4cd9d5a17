import { esc } from './charts.ts';

/** A table of a report's page, or "none" when it has no rows; every cell escaped. */
export function htmlTable(head: string[], rows: Array<Array<string | number>>): string {
  if (rows.length === 0) return '<p class="none">none</p>';
  return `<table><thead><tr>${head.map((h) => `<th>${esc(h)}</th>`).join('')}</tr></thead><tbody>${rows.map((r) => `<tr>${r.map((c) => `<td>${esc(c)}</td>`).join('')}</tr>`).join('')}</tbody></table>`;
}
