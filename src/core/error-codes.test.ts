import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { errorCodes } from './error-codes.ts';
import { errorKindOf, FerryError, hasErrorCode } from './errors.ts';
import { renderErrorReference } from './render-error-docs.ts';

describe('error codes', () => {
  it('docs/errors.md matches the code table (run `npm run docs` when this fails)', async () => {
    const docs = await readFile(new URL('../../docs/errors.md', import.meta.url), 'utf8');
    expect(docs).toBe(renderErrorReference());
  });

  it('every code follows FERRY_ERR_<AREA>_<WHAT> and has a description', () => {
    for (const [code, spec] of Object.entries(errorCodes)) {
      expect(code).toMatch(/^FERRY_ERR_[A-Z]+(_[A-Z]+)*$/);
      expect(spec.description.length).toBeGreaterThan(10);
    }
  });

  it('a FerryError takes its kind from the table and is matched by code', () => {
    const error = new FerryError('FERRY_ERR_HTTP_RATE_LIMITED', 'posting order: 429');
    expect(error.kind).toBe('rate_limited');
    expect(hasErrorCode(error, 'FERRY_ERR_HTTP_RATE_LIMITED')).toBe(true);
    expect(errorKindOf(error)).toBe('rate_limited');
    expect(errorKindOf(new Error('boom'))).toBe('internal');
  });
});
