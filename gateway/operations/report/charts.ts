// Inline SVG charts: the report is one self-contained page, with no script and nothing fetched.

const esc = (s: string | number) => String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

export interface Bar {
  label: string;
  parts: Array<{ value: number; colour: string; name: string }>;
}

/** Horizontal stacked bars, one row a label, with the total at the end of each bar. */
export function barChart(title: string, bars: Bar[]): string {
  if (bars.length === 0) return '';
  const rowH = 26;
  const labelW = 170;
  const barW = 430;
  const max = Math.max(1, ...bars.map((b) => b.parts.reduce((n, p) => n + p.value, 0)));
  const rows = bars.map((b, i) => {
    let x = labelW;
    const y = 30 + i * rowH;
    const total = b.parts.reduce((n, p) => n + p.value, 0);
    const rects = b.parts.map((p) => {
      const w = (p.value / max) * barW;
      const r = `<rect x="${x.toFixed(1)}" y="${y}" width="${w.toFixed(1)}" height="${rowH - 8}" fill="${p.colour}"><title>${esc(`${b.label}: ${p.value} ${p.name}`)}</title></rect>`;
      x += w;
      return r;
    });
    return `<text x="${labelW - 8}" y="${y + 13}" text-anchor="end">${esc(b.label)}</text>${rects.join('')}<text x="${(x + 6).toFixed(1)}" y="${y + 13}">${total}</text>`;
  });
  const legend = bars[0]!.parts.map(
    (p, i) =>
      `<rect x="${labelW + i * 130}" y="6" width="12" height="12" fill="${p.colour}"/><text x="${labelW + 18 + i * 130}" y="16">${esc(p.name)}</text>`,
  );
  const h = 30 + bars.length * rowH + 4;
  return `<figure><svg role="img" aria-label="${esc(title)}" viewBox="0 0 680 ${h}" width="680" height="${h}" font-size="12" font-family="system-ui,sans-serif">${legend.join('')}${rows.join('')}</svg><figcaption>${esc(title)}</figcaption></figure>`;
}

export { esc };
