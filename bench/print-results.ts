/**
 * Prints the table of a results file again: `npx node bench/print-results.ts bench/results/<file>.json
 * [--markdown]`.
 */
import { readFileSync } from 'node:fs';
import { formatMarkdownTable, formatTable } from './print-table.ts';
import { type BenchResults, buildRows, type ScenarioLoad } from './results-rows.ts';

const [file, flag] = process.argv.slice(2);
if (file === undefined) throw new Error('usage: bench/print-results.ts RESULTS.json [--markdown]');
const { results } = JSON.parse(readFileSync(file, 'utf8')) as {
  results: Partial<BenchResults> & { loads?: Partial<Record<keyof BenchResults, ScenarioLoad>> };
};
const rows = buildRows(results, results.loads ?? {});
process.stdout.write(`${flag === '--markdown' ? formatMarkdownTable(rows) : formatTable(rows)}\n`);
