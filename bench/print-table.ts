/** One line of the results table. */
export interface TableRow {
  scenario: string;
  metric: string;
  value: string;
  /** The target for this figure, or '' when it is context. */
  target: string;
  /** Whether the target holds; null for context figures. */
  holds: boolean | null;
}

/** Renders rows as a plain-text table with aligned columns. */
export function formatTable(rows: readonly TableRow[]): string {
  const header = ['scenario', 'metric', 'value', 'target', 'holds'];
  const cells = rows.map((row) => [
    row.scenario,
    row.metric,
    row.value,
    row.target,
    row.holds === null ? '' : row.holds ? 'yes' : 'NO',
  ]);
  const widths = header.map((title, i) => Math.max(title.length, ...cells.map((line) => line[i]!.length)));
  const render = (line: readonly string[]) =>
    line
      .map((cell, i) => (i === 2 ? cell.padStart(widths[i]!) : cell.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [render(header), render(widths.map((w) => '-'.repeat(w))), ...cells.map(render)].join('\n');
}

/** Renders rows as a Markdown table (for docs/performance.md). */
export function formatMarkdownTable(rows: readonly TableRow[]): string {
  const lines = ['| scenario | metric | value | target | holds |', '| --- | --- | ---: | --- | --- |'];
  for (const row of rows) {
    const holds = row.holds === null ? '' : row.holds ? 'yes' : '**no**';
    lines.push(`| ${row.scenario} | ${row.metric} | ${row.value} | ${row.target} | ${holds} |`);
  }
  return lines.join('\n');
}
