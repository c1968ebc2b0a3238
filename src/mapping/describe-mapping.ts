import type { CompiledMapping } from './mapping-types.ts';

/** Renders a mapping's output fields as a Markdown table (destination field | expression | doc), plus its key and checks. */
export function describeMapping(
  mapping: Pick<CompiledMapping, 'keyExpr' | 'fields' | 'checks'> & { deletedExpr?: string | null },
): string {
  const lines = ['| destination field | expression | doc |', '| --- | --- | --- |'];
  for (const field of mapping.fields) {
    const doc = field.compare
      ? (field.doc ?? '')
      : `${field.doc ?? ''} Not compared when reconciling.`.trim();
    lines.push(`| \`${field.path}\` | ${code(field.expr)} | ${cell(doc)} |`);
  }
  lines.push('', `Record key: ${code(mapping.keyExpr)}`);
  if (mapping.deletedExpr) lines.push('', `Deleted at the source when: ${code(mapping.deletedExpr)}`);
  if (mapping.checks.length > 0) {
    lines.push('', '| input check | fields | code | message |', '| --- | --- | --- | --- |');
    for (const check of mapping.checks) {
      const fields = check.fields.map((f) => `\`${f}\``).join(', ');
      lines.push(`| ${code(check.expr)} | ${fields} | \`${check.code}\` | ${cell(check.message)} |`);
    }
  }
  return `${lines.join('\n')}\n`;
}

/** Table cells are one line, and a pipe ends a cell even inside a code span unless escaped. */
function cell(text: string): string {
  return text
    .replace(/\s*\n\s*/g, ' ')
    .replace(/\|/g, '\\|')
    .trim();
}

/** A code span that survives backticks inside the expression (JSONata quotes odd field names with them). */
function code(expr: string): string {
  const text = cell(expr);
  const longestRun = Math.max(0, ...(text.match(/`+/g) ?? []).map((run) => run.length));
  const fence = '`'.repeat(longestRun + 1);
  const pad = longestRun > 0 ? ' ' : '';
  return `${fence}${pad}${text}${pad}${fence}`;
}
