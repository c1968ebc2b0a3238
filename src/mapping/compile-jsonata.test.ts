import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import jsonata from 'jsonata';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildObjectExpression } from './build-object-expression.ts';
import { type CompiledJsonata, compileJsonata } from './compile-jsonata.ts';
import { JsonataFallback } from './jsonata-fallback.ts';
import { loadMapping } from './load-mapping.ts';
import type { CompiledMapping } from './mapping-types.ts';
import { parseMappingFile } from './parse-mapping-file.ts';

const mappingFile = fileURLToPath(
  new URL('../../examples/customers-to-orders.mapping.yaml', import.meta.url),
);
const spec = parseMappingFile(readFileSync(mappingFile, 'utf8'), mappingFile);
const bindings = { firstMappedAt: '2024-05-01T12:34:56Z' };
// The interpreter's time limit is not what these tests compare: far past what any input needs, so a worker
// starved on a loaded machine never makes the interpreter time out (D1012) where the compiled code answered.
const limits = { timeout: 60_000, stack: 400, sequence: 100_000 };

/** Every expression the flagship evaluates: the key, the checks, each leaf and the combined output tree. */
const flagship: readonly string[] = [
  spec.key.expr,
  ...spec.checks.map((c) => c.expr),
  ...spec.fields.map((f) => f.expr),
  buildObjectExpression(spec.fields).text,
];

/** Hand-written expressions inside the subset, over the fields a, b and c. */
const inSubset: readonly string[] = [
  'a',
  'a.b.c',
  '$.a',
  '$$.a.b',
  '"x" & a & 1',
  'a & b & c',
  '$string(a)',
  '$string(a, true)',
  '$string()',
  '$string([a, 0.1 + 0.2, b])',
  '$string(a.b) & "|" & $string(c)',
  '$trim(a)',
  '$trim(a) = $trim(b)',
  '$replace(a, "b", "c")',
  '$replace(a, " ", "_", 2)',
  '$replace(a, /(\\w)(\\d)?/, "[$2$1$$$0$10$]")',
  '$replace(a, /x*/, "-")',
  '$replace(a, /\\s+/i, " ", 1)',
  '$replace(a, /^\\s+|\\s+$/m, "")',
  '$join([a, b, c], ", ")',
  '$join(a)',
  '$join([a, b][$type($) = "string"], "-")',
  '$type(a) & "/" & $type(b) & "/" & $type(c)',
  '$exists(a.b) and $exists(c)',
  '$lowercase(a) & $uppercase(b)',
  '$length(a)',
  '$number(a)',
  '$number(a) + 1',
  '$substring(a, 1, 2)',
  '$substring(a, -2)',
  '$contains(a, "x") or $contains(b, /^x/i)',
  '$not(a)',
  '$boolean([a, b])',
  '$boolean(a.b)',
  'a = b',
  'a != b',
  'a < b',
  'a >= 1',
  'a > "m"',
  'a and b',
  'a or $not(b)',
  'a ? b : c',
  'a ? b',
  '[a, b]',
  '[a, [b, c]]',
  '[a, b][0]',
  '[a, b][-1]',
  '[a, b, c][$ != null]',
  '[a, b, c][[0, 2]]',
  '[a, b, c][$type($) = "number"][0]',
  '[a.b, c][$ = "x"]',
  '(a)[$ > 1]',
  '{"x": a, "y": {"z": b, "w": c.d}}',
  '( $v := a; $w := $v & b; [$v, $w] )',
  '( $v := a; ( $v := b; $v ) & $v )',
  '-a',
  'a + b * 2',
  'a / b',
  'a % 3',
  'a - 1',
  '$firstMappedAt & "/" & a',
  '$unknownVariable',
  'a.b = null',
  'null',
  'true and false',
  '1.5',
];

/** Values that tend to show where two implementations part: number formatting, whitespace, Unicode, shapes. */
const edges: readonly unknown[] = [
  'x',
  'xyz',
  'm',
  '',
  ' ',
  '  Mary\t\n Ann\u00a0 ',
  '\u3000van   der Berg ',
  '\r\nline\r',
  'Jose\u0301',
  '李小龍 🐉',
  'a1b2 c3',
  ' 12 ',
  '12',
  '-3.5e2',
  '0x1F',
  'abc0o7xyz',
  'NaN',
  '1e400',
  '$1',
  0,
  -0,
  1,
  -1,
  3,
  123.456,
  0.1 + 0.2,
  1e21,
  1e-7,
  2 ** 53 + 2,
  true,
  false,
  null,
  undefined,
  [],
  ['x'],
  [1, 2],
  ['x', 'y', 'z'],
  [[1], 'x'],
  {},
  { b: 'x', c: 1 },
  { b: { c: 'deep' } },
  { b: [1, 2] },
  { d: ' d ' },
  [{ b: 'x', c: 1 }, { b: 'y' }],
];

function inputsFor(): Record<string, unknown>[] {
  const inputs: Record<string, unknown>[] = [{}];
  const n = edges.length;
  for (let i = 0; i < n; i++) {
    const pick = (k: number) => edges[(i + k) % n];
    inputs.push({ a: pick(0), b: pick(1), c: pick(3) });
    inputs.push({ a: pick(0), b: pick(0), c: pick(0) });
    inputs.push({ a: { b: pick(0), c: pick(5) }, b: pick(7), c: { d: pick(2) } });
    const sparse: Record<string, unknown> = { a: pick(0) };
    if (i % 2 === 0) sparse.c = pick(11);
    inputs.push(sparse);
  }
  return inputs;
}

type Outcome = { readonly ok: true; readonly value: unknown } | { readonly ok: false; readonly code: string };

async function interpret(expr: string, input: unknown): Promise<Outcome> {
  try {
    return { ok: true, value: await jsonata(expr, limits).evaluate(input, bindings) };
  } catch (error) {
    return { ok: false, code: String((error as { code?: unknown }).code ?? (error as Error).name) };
  }
}

/** The compiled result, or null when it deliberately fell back; any other error fails the test. */
function runCompiled(compiled: CompiledJsonata, input: unknown): { value: unknown } | null {
  try {
    return { value: compiled(input, bindings) };
  } catch (error) {
    if (error instanceof JsonataFallback) return null;
    throw error;
  }
}

/** Drops JSONata's sequence flags and null prototypes, keeping undefined-valued keys and -0 visible. */
function plain(value: unknown): unknown {
  if (Array.isArray(value)) return Array.from(value, plain);
  if (typeof value === 'object' && value !== null) {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value)) {
      const item = plain((value as Record<string, unknown>)[key]);
      Object.defineProperty(out, key, { value: item, enumerable: true, writable: true, configurable: true });
    }
    return out;
  }
  return value;
}

/** Compares one evaluation; returns whether the compiled code answered by itself. */
async function expectSame(expr: string, compiled: CompiledJsonata, input: unknown): Promise<boolean> {
  const reference = await interpret(expr, input);
  const mine = runCompiled(compiled, input);
  const where = `${expr} on ${JSON.stringify(input)}`;
  if (!reference.ok) {
    // An error is always the interpreter's to raise, with its own code and position.
    expect(mine, `${where} should fall back: JSONata raises ${reference.code}`).toBeNull();
    return false;
  }
  if (mine === null) return false;
  expect(plain(mine.value), where).toStrictEqual(plain(reference.value));
  return true;
}

function mustCompile(expr: string): CompiledJsonata {
  const compiled = compileJsonata(expr);
  if (compiled === null) throw new Error(`expected ${expr} to be inside the compiled subset`);
  return compiled;
}

describe('compileJsonata against the JSONata interpreter', () => {
  it('compiles every expression of the flagship mapping, including the combined output tree', () => {
    for (const expr of flagship) expect(compileJsonata(expr), expr).not.toBeNull();
  });

  it.each(flagship.map((expr) => [expr]))('matches the interpreter on edge inputs: %s', async (expr) => {
    const compiled = mustCompile(expr);
    let answered = 0;
    const customers = inputsFor().map((input) => ({
      customer_id: input.a,
      first_name: input.b,
      last_name: input.c,
      email: input.a,
      phone: input.b,
      address: { street: input.c, zip: input.a },
    }));
    for (const input of customers) if (await expectSame(expr, compiled, input)) answered++;
    // Many edge values are wrong types JSONata refuses (so they must fall back), but falling back on nearly
    // everything would make the comparison vacuous.
    expect(answered).toBeGreaterThan(customers.length / 4);
  });

  it.each(inSubset.map((expr) => [expr]))('matches the interpreter on edge inputs: %s', async (expr) => {
    const compiled = mustCompile(expr);
    for (const input of inputsFor()) await expectSame(expr, compiled, input);
  });

  it('answers most hand-written cases itself rather than falling back', async () => {
    let answered = 0;
    let total = 0;
    for (const expr of inSubset) {
      const compiled = mustCompile(expr);
      for (const input of inputsFor()) {
        total++;
        if (runCompiled(compiled, input) !== null) answered++;
      }
    }
    expect(answered / total).toBeGreaterThan(0.7);
  });

  it('formats numbers the way $string does: 15 significant digits, exponent from 1e21, no negative zero', () => {
    const compiled = mustCompile('$string(a)');
    expect(compiled({ a: 0.1 + 0.2 }, {})).toBe('0.3');
    expect(compiled({ a: 1e21 }, {})).toBe('1e+21');
    expect(compiled({ a: -0 }, {})).toBe('0');
    expect(compiled({ a: 123456789012345680000 }, {})).toBe('123456789012345680000');
  });

  it('collapses only spaces, tabs and newlines in $trim, keeping a no-break space', () => {
    expect(mustCompile('$trim(a)')({ a: ' a \t\n b\u00a0 ' }, {})).toBe('a b\u00a0');
  });

  it('stops matching at the end of the string as JSONata does, instead of falling back on an empty match there', () => {
    expect(mustCompile('$replace(a, /x*$/, "-")')({ a: 'ax' }, {})).toBe('a-');
  });

  it('falls back when a path meets an array before its last step, and keeps a final array as it is', () => {
    const compiled = mustCompile('a.b');
    expect(() => compiled({ a: [{ b: 1 }, { b: 2 }] }, {})).toThrow(JsonataFallback);
    expect(compiled({ a: { b: [1] } }, {})).toEqual([1]);
  });

  it('falls back when a binding shadows a built-in the expression calls', () => {
    const compiled = mustCompile('$string(a)');
    expect(() => compiled({ a: 1 }, { string: 'shadow' })).toThrow(JsonataFallback);
  });

  it('falls back instead of raising the errors JSONata raises', () => {
    expect(() => mustCompile('$number(a)')({ a: 'abc' }, {})).toThrow(JsonataFallback);
    expect(() => mustCompile('$trim(a)')({ a: 5 }, {})).toThrow(JsonataFallback);
    expect(() => mustCompile('a < b')({ a: 1, b: 'x' }, {})).toThrow(JsonataFallback);
    expect(() => mustCompile('$replace(a, /x*/, "-")')({ a: 'abc' }, {})).toThrow(JsonataFallback);
  });
});

describe('compileJsonata outside the subset', () => {
  it.each([
    ['a path step with an index', 'a[0]'],
    ['a predicate on a later step', 'a.b[$ = 1]'],
    ['keep-array brackets', 'a[]'],
    ['a lambda', 'function($x) { $x }'],
    ['a higher-order function', '$map(a, function($x) { $x })'],
    ['the apply operator', 'a ~> $string()'],
    ['a built-in outside the list', '$sum(a)'],
    ['the clock', '$now()'],
    ['a function as a path step', 'a.$string()'],
    ['a group-by', 'a{"x": b}'],
    ['a range', '[1..3]'],
    ['the in operator', 'a in b'],
    ['a bind outside a block', '$x := 1'],
    ['a built-in as a value', '$string'],
    ['a rebound built-in', '($string := 1; $string)'],
    ['descendants', '**.a'],
    ['a wildcard', 'a.*'],
    ['a parent', 'a.%.b'],
    ['a sort', 'a^(b)'],
    ['a positional variable', 'a#$i'],
    ['a context variable', 'a@$x'],
    ['a context-shifted call', '$substring(a)'],
    ['a context-shifted $replace', '$replace("a", "b")'],
    ['a __proto__ key', '{"__proto__": 1}'],
    ['a computed key', '{a: 1}'],
    ['a duplicate key', '{"x": 1, "x": 2}'],
    ['a bare regex', '/re/'],
    ['a regex where no pattern goes', '$string(/re/)'],
    ['too many arguments', '$trim(a, b)'],
    ['a required argument missing', '$exists()'],
    ['a transform', '| a | {"b": 1} |'],
    ['$eval', '$eval("1")'],
    ['$match', '$match(a, /x/)'],
    ['a syntax error', 'a +'],
  ])('returns null for %s', (_label, expr) => {
    expect(compileJsonata(expr)).toBeNull();
  });
});

/** Customer-shaped records whose every field is optional and may be any JSON-ish value. */
const wild = fc.oneof(
  fc.string(),
  fc.constantFrom(' ', '\t\n', '\u00a0', ' Ada  Lovelace ', 'e\u0301', '🐉', ' a@b.co '),
  fc.integer(),
  fc.double(),
  fc.constant(null),
  fc.array(fc.oneof(fc.string(), fc.integer()), { maxLength: 3 }),
  fc.dictionary(fc.string(), fc.oneof(fc.string(), fc.integer()), { maxKeys: 3 }),
);
const customerLike = fc.record(
  {
    customer_id: wild,
    first_name: wild,
    last_name: wild,
    email: wild,
    phone: wild,
    address: fc.oneof(
      fc.record({ street: wild, city: wild, state: wild, zip: wild }, { requiredKeys: [] }),
      wild,
    ),
  },
  { requiredKeys: [] },
);
const anythingShaped = fc.record(
  {
    customer_id: fc.anything(),
    first_name: fc.anything(),
    last_name: fc.anything(),
    phone: fc.anything(),
    email: fc.anything(),
    address: fc.anything(),
  },
  { requiredKeys: [] },
);

describe('the compiled flagship on random records', () => {
  const compiled = flagship.map((expr) => ({ expr, run: mustCompile(expr) }));

  async function sameForAll(input: unknown, tally: { answered: number; total: number }): Promise<void> {
    for (const { expr, run } of compiled) {
      tally.total++;
      if (await expectSame(expr, run, input)) tally.answered++;
    }
  }

  it('equals the interpreter (or falls back) on customer-like records', async () => {
    const tally = { answered: 0, total: 0 };
    await fc.assert(
      fc.asyncProperty(customerLike, (record) => sameForAll(record, tally)),
      { numRuns: 3000 },
    );
    expect(tally.answered / tally.total).toBeGreaterThan(0.5);
  });

  it('equals the interpreter (or falls back) on anything at all', async () => {
    const tally = { answered: 0, total: 0 };
    await fc.assert(
      fc.asyncProperty(fc.oneof(fc.anything(), anythingShaped), (input) => sameForAll(input, tally)),
      { numRuns: 2000 },
    );
    expect(tally.answered).toBeGreaterThan(0);
  });

  describe('through CompiledMapping.apply()', () => {
    let interpreted: CompiledMapping;
    let fast: CompiledMapping;
    beforeAll(async () => {
      interpreted = await loadMapping(mappingFile, { interpretOnly: true });
      fast = await loadMapping(mappingFile);
    });

    it('gives the same MappingResult, bodies and reasons alike, as the interpreter alone', async () => {
      await fc.assert(
        fc.asyncProperty(fc.oneof(customerLike, anythingShaped), async (record) => {
          const expected = await interpreted.apply(record, bindings);
          expect(await fast.apply(record, bindings)).toStrictEqual(expected);
          expect(await fast.keyOf(record)).toStrictEqual(await interpreted.keyOf(record));
        }),
        { numRuns: 1500 },
      );
    });
  });
});
