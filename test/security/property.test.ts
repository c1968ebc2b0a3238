import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createRestSource } from '../../src/connectors/rest/rest-source.ts';
import type {
  Checkpoint,
  DeliveryOutcome,
  OutgoingRecord,
  SinkConnector,
  SourcePage,
} from '../../src/core/connector-types.ts';
import { errorCodes } from '../../src/core/error-codes.ts';
import { FerryError } from '../../src/core/errors.ts';
import type { HttpResponse, Send } from '../../src/core/http-types.ts';
import type { FinalState } from '../../src/engine/engine-types.ts';
import { runIntegration } from '../../src/engine/run-integration.ts';
import { readJson } from '../../src/http/read-json.ts';
import { loadMapping } from '../../src/mapping/load-mapping.ts';
import type { CompiledMapping } from '../../src/mapping/mapping-types.ts';
import { customerAt } from '../../src/mocks/customer-data.ts';
import { createMemoryLedger } from '../support/memory-ledger.ts';
import { notOneLine } from './security-support.ts';

/**
 * Property-based tests of the input side: random and hostile response bodies through readJson and the
 * REST source's record extraction, and random hostile records through the engine with the real flagship
 * mapping. Nothing may throw but a FerryError with a known code, every record must end in exactly one
 * state with reasons, and Object.prototype must stay clean. (The mapping alone is covered by
 * src/mapping/apply-properties.test.ts.)
 */

const mappingFile = fileURLToPath(
  new URL('../../examples/customers-to-orders.mapping.yaml', import.meta.url),
);
const DANGEROUS = ['__proto__', 'constructor', 'prototype'];

let mapping: CompiledMapping;
beforeAll(async () => {
  mapping = await loadMapping(mappingFile);
});

function expectPrototypeClean(): void {
  const probe: Record<string, unknown> = {};
  for (const name of ['polluted', 'isAdmin', 'customer_id', 'email'])
    expect(probe[name], `Object.prototype.${name}`).toBeUndefined();
  expect(Object.getOwnPropertyNames(Object.prototype).sort()).toEqual(cleanPrototype);
  expect(Object.getPrototypeOf(probe)).toBe(Object.prototype);
}
const cleanPrototype = Object.getOwnPropertyNames(Object.prototype).sort();

afterEach(() => {
  expectPrototypeClean();
});

function expectFerryError(error: unknown, codes?: readonly string[]): asserts error is FerryError {
  expect(error, String(error)).toBeInstanceOf(FerryError);
  const code = (error as FerryError).code;
  expect(Object.hasOwn(errorCodes, code), code).toBe(true);
  if (codes) expect(codes).toContain(code);
  // One line a person can read: no newline or other control character from the peer, bounded length.
  expect(notOneLine((error as FerryError).message), JSON.stringify((error as FerryError).message)).toBe(
    false,
  );
  expect((error as FerryError).message.length).toBeLessThan(2000);
}

/** Every own key at any depth; a dangerous one means the parser let it through. */
function ownKeysDeep(value: unknown, out: string[] = [], depth = 0): string[] {
  if (depth > 200 || value === null || typeof value !== 'object') return out;
  for (const key of Object.getOwnPropertyNames(value)) {
    out.push(key);
    ownKeysDeep((value as Record<string, unknown>)[key], out, depth + 1);
  }
  return out;
}

function response(body: string | Uint8Array, contentType: string | undefined, link?: string): HttpResponse {
  const headers: Record<string, string> = {};
  if (contentType !== undefined) headers['content-type'] = contentType;
  if (link !== undefined) headers.link = link;
  return { status: 200, headers, body: Buffer.from(body), url: 'http://127.0.0.1:9/customers' };
}

// ---- arbitraries -----------------------------------------------------------------------------------

const jsonTypes = fc.constantFrom(
  'application/json',
  'application/json; charset=utf-8',
  'application/problem+json',
  'application/vnd.api+json',
  'APPLICATION/JSON',
);
const wrongTypes = fc.oneof(
  fc.constantFrom(
    undefined,
    'text/html',
    'text/plain',
    'application/jsonx',
    'text/json',
    'application/xml',
    '',
  ),
  fc.string({ maxLength: 40 }),
);

/** A JSON object text with dangerous keys written literally (JSON.parse makes them own properties). */
const pollutingText = fc
  .tuple(
    fc.constantFrom(...DANGEROUS, '__proto__'),
    fc.jsonValue({ maxDepth: 2 }),
    fc.dictionary(fc.string({ maxLength: 8 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 3 }),
    fc.boolean(),
  )
  .map(([key, payload, rest, nested]) => {
    const inner = `{"${key}":{"polluted":"yes","isAdmin":true,"v":${JSON.stringify(payload)}}${Object.entries(
      rest,
    )
      .map(([k, v]) => `,${JSON.stringify(k)}:${JSON.stringify(v)}`)
      .join('')}}`;
    return nested ? `[{"customer_id":1,"address":${inner}},${inner}]` : `[${inner}]`;
  });

/** A \u-escaped spelling of __proto__, which a naive text check would miss. */
const escapedProto = fc
  .jsonValue({ maxDepth: 2 })
  .map((v) => `[{"\\u005f\\u005fproto\\u005f\\u005f":{"polluted":"yes"},"x":${JSON.stringify(v)}}]`);

const deepText = fc
  .tuple(fc.integer({ min: 1, max: 20_000 }), fc.constantFrom('[', '{"a":'), fc.boolean())
  .map(([depth, open, closed]) => {
    const close = open === '[' ? ']' : '}';
    return open.repeat(depth) + (open === '[' ? '' : '1') + (closed ? close.repeat(depth) : '');
  });

const validText = fc.jsonValue({ maxDepth: 6 }).map((v) => JSON.stringify(v));
const truncatedText = fc.tuple(fc.jsonValue({ maxDepth: 4 }), fc.nat()).map(([v, cut]) => {
  const t = JSON.stringify(v);
  return t.slice(0, t.length === 0 ? 0 : cut % t.length);
});
const garbage = fc.oneof(
  fc.string({ maxLength: 200 }),
  fc.uint8Array({ maxLength: 200 }),
  fc.constantFrom('', ' ', 'null', 'NaN', '[1,]', "{'a':1}", '\u0000', '\ufeff[]', '[]garbage', '<html/>'),
);

const hostileBody = fc.oneof(validText, truncatedText, garbage, deepText, pollutingText, escapedProto);

// ---- readJson ---------------------------------------------------------------------------------------

describe('readJson on random and hostile bodies', () => {
  it('returns the parsed value or throws FERRY_ERR_HTTP_BAD_RESPONSE, never anything else', () => {
    fc.assert(
      fc.property(hostileBody, fc.oneof(jsonTypes, wrongTypes), (body, type) => {
        let value: unknown;
        try {
          value = readJson(response(body, type), { context: 'fetching page 1 of customers from' });
        } catch (error) {
          expectFerryError(error, ['FERRY_ERR_HTTP_BAD_RESPONSE']);
          return;
        }
        for (const key of ownKeysDeep(value)) expect(DANGEROUS).not.toContain(key);
        expectPrototypeClean();
      }),
      { numRuns: 400 },
    );
  });

  it('parses every valid, shallow JSON document under a JSON type as JSON.parse does, less dangerous keys', () => {
    // readJson's contract: what JSON.parse gives, with __proto__/constructor/prototype keys dropped.
    const withoutDangerousKeys = (value: unknown): unknown => {
      if (Array.isArray(value)) return value.map(withoutDangerousKeys);
      if (value === null || typeof value !== 'object') return value;
      const out: Record<string, unknown> = {};
      for (const [key, inner] of Object.entries(value)) {
        if (key === '__proto__' || key === 'constructor' || key === 'prototype') continue;
        Object.defineProperty(out, key, {
          value: withoutDangerousKeys(inner),
          enumerable: true,
          writable: true,
        });
      }
      return out;
    };
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 8 }), jsonTypes, (value, type) => {
        const text = JSON.stringify(value);
        const parsed = readJson(response(text, type));
        expect(parsed).toEqual(withoutDangerousKeys(JSON.parse(text)));
      }),
      { numRuns: 300 },
    );
  });

  it('refuses a wrong content type whatever the body', () => {
    fc.assert(
      fc.property(validText, wrongTypes, (body, type) => {
        fc.pre(type === undefined || !/^application\/([\w.+-]+\+)?json\s*(;|$)/i.test(type.trim()));
        expect(() => readJson(response(body, type))).toThrow(FerryError);
      }),
      { numRuns: 200 },
    );
  });

  it('drops dangerous keys at every depth, however they are spelled', () => {
    fc.assert(
      fc.property(fc.oneof(pollutingText, escapedProto), (body) => {
        const value = readJson(response(body, 'application/json'));
        expect(JSON.stringify(value)).not.toContain('polluted');
        for (const key of ownKeysDeep(value)) expect(DANGEROUS).not.toContain(key);
      }),
      { numRuns: 300 },
    );
  });
});

// ---- REST source ------------------------------------------------------------------------------------

const recordsPaths = fc.constantFrom('', 'data', 'data.items', 'results.0');
const links = fc.oneof(
  fc.constant(undefined),
  fc.constant('<http://127.0.0.1:9/customers?page=2>; rel="next"'),
  fc.constant('<http://evil.example:9/steal>; rel="next"'),
  fc.constant('<//evil.example/x>; rel="next"'),
  fc.constant('<javascript:alert(1)>; rel="next"'),
  fc.string({ maxLength: 60 }),
);

describe('REST source record extraction on hostile pages', () => {
  it('yields arrays of records or throws a FerryError with a known code', async () => {
    await fc.assert(
      fc.asyncProperty(
        hostileBody,
        fc.oneof(jsonTypes, wrongTypes),
        recordsPaths,
        links,
        fc.integer({ min: 100, max: 599 }),
        async (body, type, recordsPath, link, status) => {
          const sent: string[] = [];
          const send: Send = async (req) => {
            sent.push(req.url);
            // Page 1 is the hostile one; any later page is an empty, well-formed array.
            if (sent.length === 1) return { ...response(body, type, link), status, url: req.url };
            return { ...response('[]', 'application/json'), url: req.url };
          };
          const source = createRestSource({ url: 'http://127.0.0.1:9/customers', send, recordsPath });
          const pages: SourcePage[] = [];
          try {
            for await (const page of source.readPages({ from: null, signal: new AbortController().signal })) {
              pages.push(page);
              if (pages.length > 5) break;
            }
          } catch (error) {
            expectFerryError(error);
          }
          for (const page of pages) {
            expect(Array.isArray(page.records)).toBe(true);
            for (const key of ownKeysDeep(page.records)) expect(DANGEROUS).not.toContain(key);
          }
          // A pagination link never takes the source to another origin.
          for (const url of sent) expect(new URL(url).origin).toBe('http://127.0.0.1:9');
          expectPrototypeClean();
        },
      ),
      { numRuns: 300 },
    );
  });
});

// ---- engine with the real flagship mapping ----------------------------------------------------------

/** Anything a hostile JSON source could hand over as a record (after parsing). */
const hostileValue = fc.oneof(
  fc.jsonValue({ maxDepth: 3 }),
  fc.string({ maxLength: 5000 }),
  fc.constantFrom(
    '',
    ' ',
    '\u0000',
    '__proto__',
    'constructor',
    'toString',
    '$eval',
    '{{x}}',
    "'; DROP TABLE",
  ),
  fc.double(),
  fc.constantFrom(Number.MAX_SAFE_INTEGER + 2, -0, 1e308),
);
const customerField = fc.constantFrom(
  'customer_id',
  'first_name',
  'last_name',
  'email',
  'phone',
  'address',
  'status',
  'created_at',
  'toString',
  'valueOf',
  'hasOwnProperty',
);

const sourceRecord = fc.oneof(
  // A valid customer from the mocks' data set (some of which are seeded dirty).
  { weight: 4, arbitrary: fc.nat({ max: 80 }).map((i) => customerAt(11, i) as unknown) },
  // A customer with one field replaced or removed.
  {
    weight: 4,
    arbitrary: fc
      .tuple(fc.nat({ max: 80 }), customerField, fc.option(hostileValue, { nil: undefined }))
      .map(([i, field, value]) => {
        const c = { ...(customerAt(11, i) as unknown as Record<string, unknown>) };
        if (value === undefined) delete c[field];
        else c[field] = value;
        return c as unknown;
      }),
  },
  // Own __proto__ / constructor keys, as a parser without guards would produce.
  {
    weight: 1,
    arbitrary: fc
      .nat({ max: 5000 })
      .map(
        (i) =>
          JSON.parse(
            `{"__proto__":{"polluted":"yes"},"constructor":{"prototype":{"polluted":"yes"}},${JSON.stringify(customerAt(11, i)).slice(1)}`,
          ) as unknown,
      ),
  },
  // Not a customer at all.
  { weight: 2, arbitrary: hostileValue as fc.Arbitrary<unknown> },
);

/** Splits records into pages of the given sizes (cycled). */
function paginate(records: readonly unknown[], sizes: readonly number[]): SourcePage[] {
  const pages: SourcePage[] = [];
  let i = 0;
  while (i < records.length) {
    const size = sizes[pages.length % sizes.length]!;
    const n = pages.length + 1;
    const end = Math.min(records.length, i + size);
    pages.push({
      label: `page ${n}`,
      records: records.slice(i, end),
      next: end < records.length ? { page: n + 1 } : null,
    });
    i = end;
  }
  return pages;
}

const FINAL: readonly FinalState[] = ['delivered', 'skipped', 'quarantined', 'failed'];

describe('the engine with the flagship mapping on random hostile records', () => {
  it('settles every record in exactly one state with reasons, sends each key once, and a rerun sends nothing new', async () => {
    const seen: Record<FinalState, number> = { delivered: 0, skipped: 0, quarantined: 0, failed: 0 };
    await fc.assert(
      fc.asyncProperty(
        fc.array(sourceRecord, { maxLength: 40, size: 'max' }),
        fc.array(fc.integer({ min: 1, max: 12 }), { minLength: 1, maxLength: 4 }),
        fc.array(fc.constantFrom<'ok' | 'reject'>('ok', 'ok', 'ok', 'reject'), {
          minLength: 1,
          maxLength: 8,
        }),
        fc.integer({ min: 1, max: 8 }),
        async (records, sizes, outcomes, concurrency) => {
          const ledger = createMemoryLedger();
          const sentKeys: string[] = [];
          const sink: SinkConnector = {
            async send(record: OutgoingRecord): Promise<DeliveryOutcome> {
              sentKeys.push(record.key);
              JSON.stringify(record.value); // the value serialises
              const outcome = outcomes[sentKeys.length % outcomes.length];
              return outcome === 'ok'
                ? { state: 'delivered', attempts: 1 }
                : {
                    state: 'failed',
                    attempts: 1,
                    reasons: [
                      { code: 'destination_422', message: '422 from the destination' },
                      { code: 'destination_field', field: 'email', message: 'taken' },
                    ],
                    refused: true,
                  };
            },
            close: async () => {},
          };
          const pages = paginate(records, sizes);
          const source = {
            async *readPages({ from }: { from: Checkpoint | null }) {
              yield* pages.slice(typeof from?.page === 'number' ? from.page - 1 : 0);
            },
            close: async () => {},
          };
          const settled: Array<{ state: FinalState; reasons?: readonly unknown[] }> = [];
          const run = () =>
            runIntegration({
              integration: 'property',
              source,
              sink,
              mapper: mapping,
              ledger,
              concurrency,
              observer: { onRecordSettled: (e) => settled.push(e) },
            });

          const first = await run();
          expect(first.error, first.error?.message).toBeUndefined();
          expect(['completed', 'completed_with_errors']).toContain(first.status);
          const c = first.counts;
          for (const state of FINAL) seen[state] += c[state];
          expect(c.read).toBe(records.length);
          expect(c.delivered + c.skipped + c.quarantined + c.failed).toBe(c.read);
          expect(settled).toHaveLength(records.length);
          for (const event of settled) {
            expect(FINAL).toContain(event.state);
            if (event.state === 'quarantined' || event.state === 'failed') {
              expect(event.reasons?.length, JSON.stringify(event)).toBeGreaterThan(0);
              for (const reason of event.reasons ?? [])
                expect(typeof (reason as { message?: unknown }).message).toBe('string');
            }
          }
          expect(new Set(sentKeys).size).toBe(sentKeys.length);
          expect(sentKeys.length).toBe(c.delivered + c.failed);
          // Every record left quarantined or failed has a dead letter (identical keyless records share one).
          const letters = await ledger.listDeadLetters({ limit: 1_000_000 });
          expect(letters.length).toBeLessThanOrEqual(c.quarantined + c.failed);
          const notDelivered = [...ledger.records.values()].filter(
            (r) => r.state === 'quarantined' || r.state === 'failed',
          );
          expect(new Set(letters.map((l) => l.key))).toEqual(new Set(notDelivered.map((r) => r.key)));
          for (const letter of letters) expect(letter.reasons.length).toBeGreaterThan(0);

          // Rerun over the same source: what was delivered is skipped, never sent again.
          const sentBefore = new Set(sentKeys.slice());
          const delivered = [...ledger.records.values()]
            .filter((r) => r.state === 'delivered')
            .map((r) => r.key);
          settled.length = 0;
          const second = await run();
          expect(second.error).toBeUndefined();
          expect(second.counts.read).toBe(records.length);
          for (const key of delivered) expect(sentKeys.filter((k) => k === key)).toHaveLength(1);
          expect(second.counts.skipped).toBeGreaterThanOrEqual(delivered.length);
          expect(sentKeys.length - sentBefore.size).toBeLessThanOrEqual(c.failed);
          expectPrototypeClean();
        },
      ),
      { numRuns: 60 },
    );
    // The generators reached every outcome, so the properties above were tested on each path.
    for (const state of FINAL) expect(seen[state], state).toBeGreaterThan(0);
    console.info('engine property: record states over all runs', seen);
  }, 120_000);
});
