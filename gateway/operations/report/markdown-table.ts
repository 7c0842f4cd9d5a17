/** A table of a report in Markdown, or "_none_" when it has no rows; a `|` in a cell is escaped to stay in it. */
export function markdownTable(head: string[], rows: Array<Array<string | number>>): string {
  if (rows.length === 0) return '_none_\n';
  const line = (cells: Array<string | number>) =>
    `| ${cells.map((c) => String(c).replace(/\|/g, '\\|')).join(' | ')} |`;
  return [line(head), `|${head.map(() => '---').join('|')}|`, ...rows.map(line)].join('\n') + '\n';
}
