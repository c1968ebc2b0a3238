import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { describeMapping } from './describe-mapping.ts';
import { loadMapping } from './load-mapping.ts';

const mappingFile = fileURLToPath(
  new URL('../../examples/customers-to-orders.mapping.yaml', import.meta.url),
);
const docFile = fileURLToPath(new URL('../../docs/mapping.md', import.meta.url));

describe('describeMapping', () => {
  it('renders one table row per destination field with its expression and doc', () => {
    const text = describeMapping({
      keyExpr: 'id',
      fields: [
        { path: 'a.b', expr: 'x | y', doc: 'Pipes are escaped.', compare: true },
        { path: 'c', expr: '`odd name`', doc: null, compare: true },
        { path: 'at', expr: '$firstMappedAt', doc: 'When first mapped.', compare: false },
      ],
      checks: [],
    });
    expect(text).toContain('| `a.b` | `x \\| y` | Pipes are escaped. |');
    expect(text).toContain('| `c` | `` `odd name` `` |  |');
    expect(text).toContain('| `at` | `$firstMappedAt` | When first mapped. Not compared when reconciling. |');
    expect(text).toContain('Record key: `id`');
    expect(text).not.toContain('input check');
  });

  it('is embedded, current, in docs/mapping.md for the flagship mapping (run the snippet in the doc to refresh it)', async () => {
    const [doc, mapping] = await Promise.all([readFile(docFile, 'utf8'), loadMapping(mappingFile)]);
    expect(doc).toContain(describeMapping(mapping));
  });
});
