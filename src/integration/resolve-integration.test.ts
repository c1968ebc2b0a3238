// biome-ignore-all lint/suspicious/noTemplateCurlyInString: ${...} is the config reference syntax under test, not a template
import { afterEach, describe, expect, it } from 'vitest';
import { clearSecretsForTests, REDACTED, redactSecrets } from '../core/secret-registry.ts';
import { rejection, restSides } from './config-test-helpers.ts';
import { defineIntegration, envRef, fileRef } from './define-integration.ts';
import { resolveIntegration } from './resolve-integration.ts';

afterEach(() => clearSecretsForTests());

const integration = defineIntegration({
  version: 1,
  name: 'coded',
  source: {
    type: 'rest',
    url: 'https://c.example.com/customers',
    auth: { type: 'bearer', token: envRef('TOKEN') },
  },
  mapping: './coded.mapping.yaml',
  destination: {
    type: 'rest',
    url: 'https://o.example.com/orders',
    retry: { max_attempts: 3, max_delay: '2s' },
  },
});

describe('resolveIntegration', () => {
  it('validates a code-built integration like a file, resolving references and durations', async () => {
    const config = await resolveIntegration(integration, {
      baseDir: '/app',
      env: { TOKEN: 'coded-token-1' },
    });
    expect(config.file).toBe('<inline>');
    expect(config.mappingPath).toBe('/app/coded.mapping.yaml');
    expect(restSides(config).destination.retry).toMatchObject({ maxAttempts: 3, maxDelayMs: 2000 });
    expect(redactSecrets('coded-token-1')).toBe(REDACTED);
  });

  it('reports schema problems by key path without a line', async () => {
    const error = await rejection(
      resolveIntegration(
        { ...integration, destination: { ...integration.destination, concurrency: -1 } },
        { file: 'coded.ts', baseDir: '/app', env: { TOKEN: 'coded-token-1' } },
      ),
    );
    expect(error.code).toBe('FERRY_ERR_CONFIG_INVALID');
    expect(error.details.errors).toEqual([
      {
        file: 'coded.ts',
        line: null,
        column: null,
        path: 'destination.concurrency',
        message: 'expected a number at least 1, found -1',
      },
    ]);
  });

  it('refuses a secret put in code literally', async () => {
    const error = await rejection(
      resolveIntegration(
        {
          ...integration,
          source: { ...integration.source, auth: { type: 'bearer', token: 'coded-literal-1' } },
        },
        { baseDir: '/app', env: {} },
      ),
    );
    expect(error.code).toBe('FERRY_ERR_CONFIG_LITERAL_SECRET');
    expect(error.message).not.toContain('coded-literal-1');
  });

  it('builds reference strings', () => {
    expect(envRef('A')).toBe('${A}');
    expect(envRef('A', '')).toBe('${A:-}');
    expect(fileRef('/run/secrets/x')).toBe('${file:/run/secrets/x}');
  });
});
