// biome-ignore-all lint/suspicious/noTemplateCurlyInString: ${...} is the config reference syntax under test, not a template
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { FerryError } from '../core/errors.ts';
import { clearSecretsForTests, REDACTED, redactSecrets } from '../core/secret-registry.ts';
import { rejection, restSides } from './config-test-helpers.ts';
import { parseIntegrationConfig } from './parse-integration-config.ts';

const SOURCE_KEY = 'src-key-7f3a9c';
const DEST_SECRET = 'dest-secret-91be44';

const env = {
  SOURCE_URL: 'https://customers.example.com/api/customers',
  SOURCE_API_KEY: SOURCE_KEY,
  DEST_URL: 'https://orders.example.com/api/orders',
  DEST_TOKEN_URL: 'https://auth.example.com/token',
  DEST_CLIENT_ID: 'ferry-client',
  DEST_CLIENT_SECRET: DEST_SECRET,
};

/** A small valid integration; lines are numbered in the comments the tests rely on. */
const minimal = `version: 1
name: demo
source:
  type: rest
  url: \${SOURCE_URL}
  auth:
    type: api_key
    value: \${SOURCE_API_KEY}
mapping: ./demo.mapping.yaml
destination:
  type: rest
  url: \${DEST_URL}
  auth:
    type: oauth2_client_credentials
    token_url: \${DEST_TOKEN_URL}
    client_id: \${DEST_CLIENT_ID}
    client_secret: \${DEST_CLIENT_SECRET}
`;

async function parse(text: string, extraEnv: Record<string, string> = {}) {
  return parseIntegrationConfig(text, {
    file: 'demo.yaml',
    baseDir: '/srv/ferry',
    env: { ...env, ...extraEnv },
  });
}

async function failure(text: string, extraEnv: Record<string, string> = {}): Promise<FerryError> {
  try {
    await parse(text, extraEnv);
  } catch (error) {
    return error as FerryError;
  }
  throw new Error('expected the config to be refused');
}

function expectNoSecrets(error: FerryError): void {
  const everything = `${error.message}\n${JSON.stringify(error.details)}`;
  for (const secret of [SOURCE_KEY, DEST_SECRET, 'literal-secret-value-123']) {
    expect(everything).not.toContain(secret);
  }
}

afterEach(() => clearSecretsForTests());

describe('parseIntegrationConfig', () => {
  it('fills every default from the schema', async () => {
    const config = await parse(minimal);
    expect(restSides(config).source.pagination).toEqual({ type: 'auto', maxPages: 100_000 });
    expect(restSides(config).source.auth).toEqual({
      type: 'api_key',
      in: 'header',
      name: 'X-API-Key',
      value: SOURCE_KEY,
    });
    expect(restSides(config).source.timeouts).toEqual({
      connectMs: 10_000,
      headersMs: 30_000,
      bodyMs: 60_000,
    });
    expect(restSides(config).source.maxResponseBytes).toBe(50 * 1024 * 1024);
    expect(restSides(config).source.retry).toEqual({
      maxAttempts: 6,
      maxElapsedMs: 300_000,
      baseDelayMs: 250,
      maxDelayMs: 30_000,
      maxRetryAfterMs: 300_000,
    });
    expect(restSides(config).source.recordsPath).toBe('');
    expect(restSides(config).source.totalPath).toBeUndefined();
    expect(restSides(config).source.onTotalMismatch).toBe('fail');
    expect(restSides(config).source.responses).toEqual([]);
    expect(restSides(config).destination.method).toBe('POST');
    expect(restSides(config).destination.idempotency).toEqual({ header: 'Idempotency-Key' });
    expect(restSides(config).destination.lookup).toBeUndefined();
    expect(restSides(config).destination.concurrency).toEqual({
      adaptive: true,
      initial: 16,
      min: 1,
      max: 256,
    });
    expect(restSides(config).destination.connections).toBe(256);
    expect(restSides(config).destination.rateLimit).toEqual({ requestsPerSecond: 0, adaptive: true });
    expect(restSides(config).destination.retry.maxAttempts).toBe(8);
    expect(restSides(config).destination.retry.maxDelayMs).toBe(60_000);
    expect(restSides(config).destination.circuitBreaker).toEqual({
      consecutiveFailures: 10,
      halfOpenAfterMs: 5000,
      maxPauseMs: 600_000,
      maxWaitForFirstAnswerMs: 10_000,
    });
    expect(restSides(config).destination.timeouts.bodyMs).toBe(30_000);
    expect(restSides(config).destination.maxResponseBytes).toBe(1024 * 1024);
    expect(restSides(config).destination.responses).toEqual([]);
    expect(restSides(config).destination.auth).toMatchObject({
      type: 'oauth2_client_credentials',
      clientAuth: 'client_secret_basic',
      privateKeyAlg: 'RS256',
      refreshSkewMs: 30_000,
    });
    expect(config.options).toEqual({
      dangerouslyAllowInsecureHttp: false,
      dangerouslyAllowLiteralSecrets: false,
      maxQuarantineRatio: 0.5,
      quarantineSample: 100,
    });
    expect(config.mappingPath).toBe('/srv/ferry/demo.mapping.yaml');
    expect(config.file).toBe('demo.yaml');
  });

  it('reads source response rules, a total path and the mismatch policy, and refuses destination-only actions', async () => {
    const text = minimal.replace(
      'mapping:',
      [
        '  total_path: count',
        '  on_total_mismatch: warn',
        '  responses:',
        '    - { status: 404, body_contains: "Invalid page", action: end_of_data }',
        'mapping:',
      ].join('\n'),
    );
    const config = await parse(text);
    expect(restSides(config).source.totalPath).toBe('count');
    expect(restSides(config).source.onTotalMismatch).toBe('warn');
    expect(restSides(config).source.responses).toEqual([
      { status: 404, bodyContains: 'Invalid page', action: 'end_of_data' },
    ]);
    await expect(
      parse(minimal.replace('mapping:', '  responses: [{ status: 409, action: conflict }]\nmapping:')),
    ).rejects.toThrow(/source\.responses\[0\]\.action/);
  });

  it('turns an empty optional such as ${DEST_SCOPE:-} into undefined', async () => {
    const config = await parse(`${minimal}    scope: \${DEST_SCOPE:-}\n`);
    expect(restSides(config).destination.auth).not.toHaveProperty('scope');
    const scoped = await parse(`${minimal}    scope: \${DEST_SCOPE:-}\n`, { DEST_SCOPE: 'orders:write' });
    expect(restSides(scoped).destination.auth).toMatchObject({ scope: 'orders:write' });
  });

  it('converts durations and sizes written in the file', async () => {
    const text = minimal.replace(
      'mapping:',
      '  timeouts: { connect: 500ms, headers: 2m, body: 1h }\n  max_response_bytes: 512kb\nmapping:',
    );
    const config = await parse(text);
    expect(restSides(config).source.timeouts).toEqual({
      connectMs: 500,
      headersMs: 120_000,
      bodyMs: 3_600_000,
    });
    expect(restSides(config).source.maxResponseBytes).toBe(512 * 1024);
  });

  it('reads a fixed concurrency, also from a ${VAR}, and an adaptive one with its bounds', async () => {
    const fixed = await parse(`${minimal}  concurrency: \${DEST_CONCURRENCY}\n`, { DEST_CONCURRENCY: '12' });
    expect(restSides(fixed).destination.concurrency).toEqual({ adaptive: false, limit: 12 });
    expect(restSides(fixed).destination.connections).toBe(12);
    const adaptive = await parse(`${minimal}  concurrency: { max: 64 }\n`);
    expect(restSides(adaptive).destination.concurrency).toEqual({
      adaptive: true,
      initial: 16,
      min: 1,
      max: 64,
    });
  });

  it('refuses adaptive bounds that contradict each other, naming the key', async () => {
    const error = await failure(`${minimal}  concurrency: { initial: 300, max: 256 }\n`);
    expect(error.message).toContain(
      'destination.concurrency.initial: must lie between min (1) and max (256)',
    );
  });

  it('keeps $${ as a literal ${', async () => {
    const config = await parse(minimal.replace('mapping: ./demo', () => 'mapping: ./$${x}demo'));
    expect(config.mappingPath).toBe('/srv/ferry/${x}demo.mapping.yaml');
  });

  it('names file, line, column, key path, expectation and finding for a wrong type', async () => {
    const error = await failure(`${minimal}  concurrency: lots\n`);
    expect(error.code).toBe('FERRY_ERR_CONFIG_INVALID');
    expect(error.message).toContain(
      'demo.yaml:18:3 destination.concurrency: expected a number (fixed), or an object { adaptive: true, initial, min, max }, found "lots"',
    );
    expect(error.details.errors).toEqual([
      {
        file: 'demo.yaml',
        line: 18,
        column: 3,
        path: 'destination.concurrency',
        message:
          'expected a number (fixed), or an object { adaptive: true, initial, min, max }, found "lots"',
      },
    ]);
  });

  it('reports an unknown key at its position with a did-you-mean suggestion', async () => {
    const error = await failure(`${minimal}  retry:\n    max_attempt: 3\n`);
    expect(error.code).toBe('FERRY_ERR_CONFIG_INVALID');
    expect(error.message).toContain(
      'demo.yaml:19:5 destination.retry.max_attempt: unknown key "max_attempt"',
    );
    expect(error.message).toContain('did you mean "max_attempts"?');
  });

  it('reports a bad duration with what a duration looks like', async () => {
    const error = await failure(`${minimal}  circuit_breaker:\n    half_open_after: soon\n`);
    expect(error.message).toContain(
      'demo.yaml:19:5 destination.circuit_breaker.half_open_after: expected a duration like "500ms", "30s" or "5m", found "soon"',
    );
  });

  it('collects every schema problem into one error', async () => {
    const text = `${minimal}  concurrency: 0\n  methd: PUT\noptions:\n  dangerously_allow_insecure_http: yes\n`;
    const error = await failure(text);
    const errors = error.details.errors as { path: string; line: number }[];
    expect(errors.map((e) => e.path)).toEqual([
      'destination.concurrency',
      'destination.methd',
      'options.dangerously_allow_insecure_http',
    ]);
    expect(error.message.split('\n')).toHaveLength(4);
  });

  it('says which auth types exist when the type is unknown', async () => {
    const error = await failure(minimal.replace('type: api_key', 'type: apikey'));
    expect(error.message).toContain(
      'demo.yaml:7:5 source.auth.type: expected one of "api_key", "bearer", "basic", "oauth2_client_credentials", "jwt_bearer", "none", found "apikey"; did you mean "api_key"?',
    );
  });

  it('names every unset variable at once, with where each is used', async () => {
    const error = await rejection(
      parseIntegrationConfig(minimal, {
        file: 'demo.yaml',
        baseDir: '/srv',
        env: {},
      }),
    );
    expect(error.code).toBe('FERRY_ERR_CONFIG_ENV_MISSING');
    for (const name of Object.keys(env)) expect(error.message).toContain(name);
    expect(error.message).toContain(
      'demo.yaml:17:20 destination.auth.client_secret: environment variable DEST_CLIENT_SECRET',
    );
    expect((error.details.errors as unknown[]).length).toBe(6);
  });

  it('refuses a literal secret, naming the variable to use and never the value', async () => {
    const error = await failure(minimal.replace('${DEST_CLIENT_SECRET}', 'literal-secret-value-123'));
    expect(error.code).toBe('FERRY_ERR_CONFIG_LITERAL_SECRET');
    expect(error.message).toContain(
      'destination.auth.client_secret at demo.yaml:17:5 is written literally; reference it as ${DEST_CLIENT_SECRET} or ${file:/run/secrets/...}',
    );
    expectNoSecrets(error);
  });

  it('refuses a secret that is only partly a reference or has a literal default', async () => {
    const partly = await failure(minimal.replace('${SOURCE_API_KEY}', 'prefix-${SOURCE_API_KEY}'));
    expect(partly.code).toBe('FERRY_ERR_CONFIG_LITERAL_SECRET');
    expect(partly.message).toContain('source.auth.value at demo.yaml:8:5 is written literally');
    const fallback = await failure(
      minimal.replace('${SOURCE_API_KEY}', '${SOURCE_API_KEY:-literal-secret-value-123}'),
    );
    expect(fallback.message).toContain('has a literal default');
    expectNoSecrets(fallback);
  });

  it('treats credential headers as secrets too', async () => {
    const error = await failure(`${minimal}  headers:\n    Authorization: Bearer literal-secret-value-123\n`);
    expect(error.code).toBe('FERRY_ERR_CONFIG_LITERAL_SECRET');
    expect(error.message).toContain('destination.headers.Authorization at demo.yaml:19:5');
    expectNoSecrets(error);
  });

  it('accepts a literal secret with options.dangerously_allow_literal_secrets and masks it afterwards', async () => {
    const text = `${minimal.replace('${DEST_CLIENT_SECRET}', 'literal-secret-value-123')}options:\n  dangerously_allow_literal_secrets: true\n`;
    const config = await parse(text);
    expect(restSides(config).destination.auth).toMatchObject({ clientSecret: 'literal-secret-value-123' });
    expect(config.options.dangerouslyAllowLiteralSecrets).toBe(true);
    expect(redactSecrets('sent literal-secret-value-123')).toBe(`sent ${REDACTED}`);
  });

  it('registers secrets from the environment so redactSecrets masks them', async () => {
    await parse(minimal);
    expect(redactSecrets(`key=${SOURCE_KEY} secret=${DEST_SECRET}`)).toBe(
      `key=${REDACTED} secret=${REDACTED}`,
    );
    // Non-secret values stay readable.
    expect(redactSecrets('ferry-client')).toBe('ferry-client');
  });

  it('never shows a secret value, even when a secret variable lands in a non-secret field', async () => {
    const error = await failure(`${minimal}  concurrency: \${DEST_CLIENT_SECRET}\n`);
    expect(error.code).toBe('FERRY_ERR_CONFIG_INVALID');
    expect(error.message).toContain(
      `destination.concurrency: DEST_CLIENT_SECRET gives "${REDACTED}" (written as \${DEST_CLIENT_SECRET}); expected a number`,
    );
    expectNoSecrets(error);
  });

  it('describes a wrong secret by its type only', async () => {
    const bearer = minimal.replace(
      'type: api_key\n    value: ${SOURCE_API_KEY}',
      'type: bearer\n    token: ${SOURCE_TOKEN:-}',
    );
    const error = await failure(bearer, { SOURCE_TOKEN: '' });
    expect(error.message).toContain(
      'source.auth.token: expected a non-empty string, found a string (value hidden)',
    );
  });

  it('sends no API key when the file lets its variable default to nothing', async () => {
    const config = await parse(minimal.replace('${SOURCE_API_KEY}', '${SOURCE_API_KEY:-}'), {
      SOURCE_API_KEY: '',
    });
    expect(restSides(config).source.auth).toEqual({ type: 'none' });
    expect(config.references['source.auth.value']).toEqual(['SOURCE_API_KEY']);
  });

  describe('${file:...} references', () => {
    let dir: string;
    beforeAll(async () => {
      dir = await mkdtemp(join(tmpdir(), 'ferry-config-'));
      await writeFile(join(dir, 'client-secret'), 'file-secret-5d2c81\n');
    });
    afterAll(async () => {
      await rm(dir, { recursive: true, force: true });
    });

    it('reads the file relative to the config, trims the newline and registers the secret', async () => {
      const text = minimal.replace('${DEST_CLIENT_SECRET}', '${file:./client-secret}');
      const config = await parseIntegrationConfig(text, { file: join(dir, 'demo.yaml'), env });
      expect(restSides(config).destination.auth).toMatchObject({ clientSecret: 'file-secret-5d2c81' });
      expect(redactSecrets('token file-secret-5d2c81 used')).toBe(`token ${REDACTED} used`);
    });

    it('reports an unreadable file with its path and line', async () => {
      const text = minimal.replace('${DEST_CLIENT_SECRET}', '${file:./nope}');
      const error = await rejection(parseIntegrationConfig(text, { file: join(dir, 'demo.yaml'), env }));
      expect(error.code).toBe('FERRY_ERR_CONFIG_NOT_FOUND');
      expect(error.message).toContain(':17:20 destination.auth.client_secret: cannot read ${file:./nope}');
      expect(error.message).toContain('ENOENT');
    });
  });

  describe('URL rules', () => {
    it('accepts plain http to loopback hosts', async () => {
      for (const host of ['127.0.0.1:8080', '127.3.4.5', 'localhost:3000', '[::1]:9000']) {
        const config = await parse(minimal, { SOURCE_URL: `http://${host}/customers` });
        expect(restSides(config).source.url).toBe(`http://${host}/customers`);
      }
    });

    it('refuses plain http to other hosts, listing each', async () => {
      const error = await failure(minimal, {
        SOURCE_URL: 'http://customers.example.com/api',
        DEST_TOKEN_URL: 'http://10.0.0.5/token',
      });
      expect(error.code).toBe('FERRY_ERR_CONFIG_INSECURE_URL');
      expect(error.message).toContain(
        'demo.yaml:5:3 source.url: uses plain http:// to customers.example.com',
      );
      expect(error.message).toContain(
        'demo.yaml:15:5 destination.auth.token_url: uses plain http:// to 10.0.0.5',
      );
      expect(error.details.errors).toHaveLength(2);
    });

    it('allows plain http anywhere with options.dangerously_allow_insecure_http', async () => {
      const config = await parse(`${minimal}options:\n  dangerously_allow_insecure_http: true\n`, {
        DEST_URL: 'http://orders.internal/api',
      });
      expect(restSides(config).destination.url).toBe('http://orders.internal/api');
    });

    it('refuses non-http schemes as schema errors', async () => {
      const error = await failure(minimal, { DEST_URL: 'ftp://orders.example.com/' });
      expect(error.code).toBe('FERRY_ERR_CONFIG_INVALID');
      expect(error.message).toContain('destination.url: expected an absolute http:// or https:// URL');
    });
  });

  it('reports YAML syntax errors with line and column', async () => {
    const error = await failure('version: 1\nname: [unclosed\nsource: {}\n');
    expect(error.code).toBe('FERRY_ERR_CONFIG_SYNTAX');
    expect(error.message).toMatch(/demo\.yaml:\d+:\d+/);
    expect((error.details.errors as { line: number }[])[0]?.line).toBeGreaterThan(1);
  });

  it('keeps an injected value a plain string (no YAML injection through the environment)', async () => {
    const config = await parse(minimal, { DEST_CLIENT_ID: 'x\nconcurrency: 999' });
    expect(restSides(config).destination.concurrency).toMatchObject({ adaptive: true });
    expect(restSides(config).destination.auth).toMatchObject({ clientId: 'x\nconcurrency: 999' });
  });
});
