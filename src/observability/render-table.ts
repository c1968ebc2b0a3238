/** One column of a table. */
export interface TableColumn<T> {
  readonly header: string;
  /** A field of the row, or a function deriving the cell. */
  readonly value: (keyof T & string) | ((row: T) => unknown);
  /** @default 'left' (numbers read better 'right') */
  readonly align?: 'left' | 'right';
  /** Longer cells are cut with an ellipsis. @default 60 */
  readonly maxWidth?: number;
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: matching ANSI escapes is the point
const ANSI = /\u001b\[[0-9;]*m/g;

/** The width a string takes on a terminal, not counting colour codes. */
export function visibleWidth(text: string): number {
  return [...text.replace(ANSI, '')].length;
}

function cellText(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint')
    return String(value);
  return JSON.stringify(value) ?? '';
}

function truncateCell(text: string, max: number): string {
  // Control characters from data (newlines in messages) would break the layout.
  const flat = text.replace(/[\r\n\t]+/g, ' ');
  if (visibleWidth(flat) <= max) return flat;
  return `${[...flat.replace(ANSI, '')].slice(0, Math.max(1, max - 1)).join('')}…`;
}

function pad(text: string, width: number, align: 'left' | 'right'): string {
  const gap = ' '.repeat(Math.max(0, width - visibleWidth(text)));
  return align === 'right' ? gap + text : text + gap;
}

/** Renders rows as a plain-text table with a header and a rule, for the CLI's list commands. */
export function renderTable<T>(rows: readonly T[], columns: readonly TableColumn<T>[]): string {
  const cells = rows.map((row) =>
    columns.map((col) => {
      const raw = typeof col.value === 'function' ? col.value(row) : row[col.value];
      return truncateCell(cellText(raw), col.maxWidth ?? 60);
    }),
  );
  const widths = columns.map((col, i) =>
    Math.max(visibleWidth(col.header), ...cells.map((r) => visibleWidth(r[i] ?? ''))),
  );
  const line = (texts: readonly string[]) =>
    texts
      .map((t, i) => pad(t, widths[i] ?? 0, columns[i]?.align ?? 'left'))
      .join('  ')
      .trimEnd();
  return [
    line(columns.map((c) => c.header)),
    line(widths.map((w) => '-'.repeat(w))),
    ...cells.map((r) => line(r)),
  ].join('\n');
}
