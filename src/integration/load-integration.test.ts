import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { flagshipPlaceholderEnv } from '../../test/support/flagship-env.ts';
import { hasErrorCode } from '../core/errors.ts';
import { loadIntegration } from './load-integration.ts';

const example = (name: string) => fileURLToPath(new URL(`../../examples/${name}`, import.meta.url));
const env = flagshipPlaceholderEnv;

describe('loadIntegration', () => {
  it('resolves the TypeScript flagship to the same integration as the YAML one', async () => {
    const fromYaml = await loadIntegration(example('customers-to-orders.yaml'), env);
    const fromCode = await loadIntegration(example('customers-to-orders.ts'), env);
    const { file: _a, ...yaml } = fromYaml;
    const { file: _b, ...code } = fromCode;
    expect(code).toEqual(yaml);
  });

  it('applies the same checks to code as to YAML: a missing variable is named', async () => {
    const { DEST_CLIENT_SECRET: _, ...partial } = env;
    const error = await loadIntegration(example('customers-to-orders.ts'), partial).catch((e: unknown) => e);
    expect(hasErrorCode(error, 'FERRY_ERR_CONFIG_ENV_MISSING')).toBe(true);
    expect((error as Error).message).toContain('DEST_CLIENT_SECRET');
  });

  it('says what is wrong with a module that does not export an integration', async () => {
    const error = await loadIntegration(
      fileURLToPath(new URL('../cli/exit-codes.ts', import.meta.url)),
      env,
    ).catch((e: unknown) => e);
    expect(hasErrorCode(error, 'FERRY_ERR_CONFIG_INVALID')).toBe(true);
    expect((error as Error).message).toMatch(/default export/);
  });
});
