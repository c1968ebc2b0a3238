import { readFile, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { exitCodeForRun } from '../src/cli/exit-codes.ts';
import { createRestSink } from '../src/connectors/rest/rest-sink.ts';
import type { SourceConnector } from '../src/core/connector-types.ts';
import { FerryError } from '../src/core/errors.ts';
import type { Send } from '../src/core/http-types.ts';
import type { RecordMapper } from '../src/engine/engine-types.ts';
import { runIntegration } from '../src/engine/run-integration.ts';
import { classify } from '../src/http/classify.ts';
import { composeSend } from '../src/http/compose.ts';
import { createCircuitBreaker } from '../src/resilience/circuit-breaker.ts';
import { circuitBreakerInterceptor } from '../src/resilience/circuit-breaker-interceptor.ts';
import { retryInterceptor } from '../src/resilience/retry-interceptor.ts';
import { flagshipConfig, runFerry } from './support/ferry-cli.ts';
import { startFlagshipMocks } from './support/flagship-mocks.ts';
import { createMemoryLedger } from './support/memory-ledger.ts';
import { tempDirs } from './support/temp-dirs.ts';

const records = Array.from({ length: 40 }, (_, i) => ({ id: `c${i + 1}` }));
const source: SourceConnector = {
  async *readPages() {
    yield { pageNumber: 1, url: 'http://src/p1', records, next: null };
  },
  close: async () => {},
};
const mapper: RecordMapper = {
  keyOf: async (r) => ({ ok: true, key: (r as { id: string }).id }),
  apply: async (r) => ({
    ok: true,
    key: (r as { id: string }).id,
    body: { orderId: (r as { id: string }).id },
  }),
};

/** What the transport throws when nothing listens at the destination's port. */
const refused: Send = async (req) => {
  throw new FerryError('FERRY_ERR_HTTP_TRANSIENT', `POST ${req.url}: network error ECONNREFUSED`, {
    details: { url: req.url, networkCode: 'ECONNREFUSED', sent: false },
  });
};

describe('a destination that refuses connections from the start', () => {
  beforeEach(() => {
    vi.useFakeTimers();
    vi.setSystemTime(0);
  });
  afterEach(() => vi.useRealTimers());

  it('ends the run aborted (exit 3) at max_wait_for_first_answer, failing no record', async () => {
    // The flagship's defaults: a breaker with ten minutes of patience, and eight attempts per record.
    const breaker = createCircuitBreaker({
      consecutiveFailures: 10,
      halfOpenAfterMs: 5_000,
      maxPauseMs: 600_000,
      maxWaitForFirstAnswerMs: 10_000,
    });
    const send = composeSend(refused, [
      retryInterceptor({ maxAttempts: 8, maxElapsedMs: 600_000, pausedMs: () => breaker.pausedMs() }),
      circuitBreakerInterceptor(breaker),
    ]);
    const sink = createRestSink({
      url: 'http://127.0.0.1:9/api/v2/orders',
      method: 'POST',
      send,
      idempotencyHeader: 'Idempotency-Key',
      classify: (response) => classify({ response }),
    });
    const ledger = createMemoryLedger();
    let settled = false;
    const run = runIntegration({ integration: 't', source, sink, mapper, ledger, concurrency: 16 }).finally(
      () => {
        settled = true;
      },
    );
    let elapsedMs = 0;
    while (!settled && elapsedMs < 600_000) {
      await vi.advanceTimersByTimeAsync(100);
      elapsedMs += 100;
    }
    const result = await run;
    expect(result.status).toBe('aborted');
    expect(result.error?.code).toBe('FERRY_ERR_DESTINATION_UNREACHABLE');
    expect(exitCodeForRun(result.status)).toBe(3);
    expect(result.counts.failed).toBe(0);
    // The decision came from the first-answer limit, on the fake clock, not from max_pause.
    expect(elapsedMs).toBeLessThanOrEqual(10_500);
    expect(await ledger.listDeadLetters({ integration: 't' })).toHaveLength(0);
  });
});

/** A loopback port nothing listens on: bound by the kernel, then released. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('ferry run against a destination that is not running', () => {
  const dirs = tempDirs('ferry-unreachable-');
  afterEach(() => dirs.removeAll());

  it('exits 3 naming the unreachable destination, with no record failed into the dead-letter store', async () => {
    const mocks = await startFlagshipMocks({ count: 50, perPage: 25 });
    try {
      const dir = await dirs.make();
      const port = await closedPort();
      const config = (await readFile(flagshipConfig, 'utf8'))
        .replace(/^mapping: \.\//m, `mapping: ${join(flagshipConfig, '..')}/`)
        .replace(
          /circuit_breaker: \{[^}]*\}/,
          'circuit_breaker: { half_open_after: 200ms, max_wait_for_first_answer: 1s }',
        );
      const file = join(dir, 'unreachable.yaml');
      await writeFile(file, config);
      const state = join(dir, 'state');
      const env = {
        ...mocks.env,
        DEST_URL: `http://127.0.0.1:${port}/api/v2/orders`,
        DEST_TOKEN_URL: `http://127.0.0.1:${port}/oauth/token`,
      };
      const result = await runFerry(['run', file, '--state', state, '--json'], { env });
      expect(result.code).toBe(3);
      expect(result.stderr).toContain('FERRY_ERR_DESTINATION_UNREACHABLE');
      expect(result.stderr).toContain('no answer since the run started');
      expect(JSON.parse(result.stdout).counts.failed).toBe(0);
      const letters = await runFerry(['dlq', 'list', '--state', state, '--kind', 'failed', '--json']);
      expect(JSON.parse(letters.stdout)).toHaveLength(0);
    } finally {
      await mocks.close();
    }
  });
});
