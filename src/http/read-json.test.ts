import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import type { HttpResponse } from '../core/http-types.ts';
import { clearSecretsForTests, registerSecret } from '../core/secret-registry.ts';
import { parseUntrustedJson, readJson } from './read-json.ts';

const res = (body: string, contentType: string | null = 'application/json'): HttpResponse => ({
  status: 200,
  headers: contentType === null ? {} : { 'content-type': contentType },
  body: Buffer.from(body),
  url: 'https://api.example.com/customers?page=2&api_key=hunter2secret',
});

afterEach(() => clearSecretsForTests());

describe('readJson', () => {
  it('parses JSON with a JSON-ish content type', () => {
    expect(readJson(res('{"a":[1,2]}'))).toEqual({ a: [1, 2] });
    expect(readJson(res('[1]', 'application/problem+json; charset=utf-8'))).toEqual([1]);
    expect(readJson(res('{"x":1}', 'Application/JSON;charset=UTF-8'))).toEqual({ x: 1 });
  });

  it('refuses another content type and says what it received', () => {
    expect(() => readJson(res('<html>', 'text/html'))).toThrow(/received "text\/html"/);
    expect(() => readJson(res('{}', null))).toThrow(/no Content-Type/);
    expect(() => readJson(res('{}', 'application/jsonp'))).toThrow(/expected a JSON content type/);
  });

  it('refuses truncated and malformed JSON with the URL redacted', () => {
    try {
      readJson(res('{"a": [1, 2'), { context: 'fetching page 2 of customers' });
      expect.unreachable();
    } catch (error) {
      expect(error).toMatchObject({ code: 'FERRY_ERR_HTTP_BAD_RESPONSE' });
      const message = (error as Error).message;
      expect(message).toMatch(/^fetching page 2 of customers https:\/\/api\.example\.com\/customers/);
      expect(message).toMatch(/malformed or truncated JSON/);
      expect(message).not.toContain('hunter2secret');
    }
    expect(() => readJson(res(''))).toThrow(/empty body/);
    expect(() => readJson(res('{"a":1}}'))).toThrow(/malformed/);
  });

  it('redacts registered secrets from the URL', () => {
    registerSecret('tok-abc-123');
    const r = { ...res('nope'), url: 'https://api.example.com/tok-abc-123/x' };
    expect(() => readJson(r)).toThrow(/\[REDACTED\]/);
  });

  it('refuses 10k-deep nesting without overflowing the stack', () => {
    const deep = `${'['.repeat(10_000)}${']'.repeat(10_000)}`;
    expect(() => readJson(res(deep))).toThrow(/nested 10000 levels deep, more than the limit of 64/);
    expect(readJson(res(`${'['.repeat(64)}${']'.repeat(64)}`))).toBeInstanceOf(Array);
    expect(() => readJson(res(`${'['.repeat(6)}${']'.repeat(6)}`), { maxDepth: 5 })).toThrow(/nested 6/);
  });

  it('does not count brackets inside strings as nesting', () => {
    expect(readJson(res(JSON.stringify({ s: '[[[[[[{{{{\\"' })), { maxDepth: 1 })).toEqual({
      s: '[[[[[[{{{{\\"',
    });
  });

  it('measures nesting outside strings exactly as a character-by-character scan does, whatever the text', () => {
    // The scan as first written: a backslash in a string skips the next character, a quote ends it.
    const reference = (text: string): number => {
      let depth = 0;
      let deepest = 0;
      let inString = false;
      for (let i = 0; i < text.length; i++) {
        const c = text[i];
        if (inString) {
          if (c === '\\') i++;
          else if (c === '"') inString = false;
        } else if (c === '"') inString = true;
        else if (c === '[' || c === '{') deepest = Math.max(deepest, ++depth);
        else if (c === ']' || c === '}') depth--;
      }
      return deepest;
    };
    const reported = (text: string): number => {
      try {
        readJson(res(text), { maxDepth: 0 });
      } catch (error) {
        const match = /nested (\d+) levels deep/.exec((error as Error).message);
        if (match) return Number(match[1]);
      }
      return 0;
    };
    const piece = fc.constantFrom('"', '\\', '\\"', '\\\\', '[', ']', '{', '}', 'a', ',', ':', ' ');
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 40 }), (pieces) => {
        const text = pieces.join('');
        expect(reported(text)).toBe(reference(text));
      }),
      { numRuns: 3000 },
    );
  });

  it('strips __proto__, constructor and prototype keys so nothing is polluted', () => {
    const hostile =
      '{"__proto__":{"polluted":"yes"},"a":{"constructor":{"prototype":{"polluted":"yes"}}},"\\u005f_proto__":{"polluted":"yes"},"ok":1}';
    const parsed = readJson(res(hostile)) as Record<string, unknown>;
    const merged = Object.assign({}, parsed, parsed.a as object);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect((merged as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.hasOwn(parsed, '__proto__')).toBe(false);
    expect(parsed.a).toEqual({});
    expect(parsed.ok).toBe(1);
  });
});

describe('untrusted JSON from outside (webhook bodies)', () => {
  it('parses JSON, drops polluting keys, and says what is wrong with the rest', () => {
    expect(parseUntrustedJson('{"a":1,"__proto__":{"x":1}}')).toEqual({ ok: true, value: { a: 1 } });
    expect(parseUntrustedJson('not json')).toEqual({ ok: false, problem: 'the body is not JSON' });
    expect(parseUntrustedJson('  ')).toEqual({ ok: false, problem: 'the body is empty' });
    expect(parseUntrustedJson(`${'['.repeat(65)}${']'.repeat(65)}`)).toEqual({
      ok: false,
      problem: 'the body is nested more than 64 levels deep',
    });
  });
});
