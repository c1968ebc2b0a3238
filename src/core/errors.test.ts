import { describe, expect, it } from 'vitest';
import { FerryError } from './errors.ts';

describe('FerryError', () => {
  it('reads an error another copy of the module made (the library beside the CLI bundle) as a FerryError', async () => {
    const path = './errors.ts?another-copy';
    const other = (await import(/* @vite-ignore */ path)) as typeof import('./errors.ts');
    expect(other.FerryError).not.toBe(FerryError);
    expect(new other.FerryError('FERRY_ERR_CONFIG_INVALID', 'bad') instanceof FerryError).toBe(true);
  });

  it('reads nothing else as a FerryError, not even an object with its code', () => {
    expect(new Error('bad') instanceof FerryError).toBe(false);
    expect({ code: 'FERRY_ERR_CONFIG_INVALID', kind: 'config' } instanceof FerryError).toBe(false);
    expect((null as unknown) instanceof FerryError).toBe(false);
    expect(new FerryError('FERRY_ERR_CONFIG_INVALID', 'bad') instanceof Error).toBe(true);
  });
});
