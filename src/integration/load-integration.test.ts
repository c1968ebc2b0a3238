import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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

  it('reads the sync example: incremental on updated_at, updates and deletes at the order URL', async () => {
    const sync = await loadIntegration(example('customers-sync.yaml'), env);
    expect(sync.source.options.incremental).toEqual({
      cursor_field: 'updated_at',
      cursor_type: 'timestamp',
      param: 'updated_since',
      start: '1970-01-01T00:00:00Z',
      lookback: '5s',
    });
    expect(sync.destination.options).toMatchObject({
      on_change: {
        action: 'update',
        method: 'PUT',
        url: `${env.DEST_URL}/{orderId}`,
        fetch_first: true,
        keep: null,
      },
      on_delete: { action: 'delete', url: `${env.DEST_URL}/{orderId}` },
    });
  });

  it('refuses an update without its URL and a start of the wrong kind, naming the keys', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'ferry-sync-config-'));
    try {
      cpSync(fileURLToPath(new URL('../../examples/', import.meta.url)), dir, { recursive: true });
      const yaml = readFileSync(join(dir, 'customers-sync.yaml'), 'utf8');
      const broken = yaml
        .replace(/(on_change:\n(?:.*\n)*?)\s+url: .*\n/, '$1')
        .replace('cursor_type: timestamp', 'cursor_type: number')
        .replace('lookback: 5s', 'lookback: 5');
      writeFileSync(join(dir, 'customers-sync.yaml'), broken);
      const error = await loadIntegration(join(dir, 'customers-sync.yaml'), env).catch((e: unknown) => e);
      expect(hasErrorCode(error, 'FERRY_ERR_CONFIG_INVALID')).toBe(true);
      expect((error as Error).message).toContain('destination.on_change.url');
      expect((error as Error).message).toContain('is required with action: update');
      expect((error as Error).message).toContain('source.incremental.start');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
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
