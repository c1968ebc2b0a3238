import { readFile } from 'node:fs/promises';
import type { ServerResponse } from 'node:http';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { customerAt } from '../../src/mocks/customer-data.ts';
import { type MockDestinationHandle, startMockDestination } from '../../src/mocks/mock-destination.ts';
import { runFerry } from '../support/ferry-cli.ts';
import {
  distinctiveSecret,
  type Listener,
  removeDir,
  startListener,
  tempDir,
  terminalUnsafe,
} from './security-support.ts';

/**
 * A source that turns hostile on its second page. Each hostile answer must end the run with exit 3 and
 * one clear line on stderr naming what was wrong, no stack trace and no hang; the ledger must stay
 * consistent, shown by a rerun against the same source turned good: it resumes and completes with no
 * order stored twice.
 */

const config = fileURLToPath(new URL('./fixtures/hostile-source.yaml', import.meta.url));
const apiKey = distinctiveSecret('apikey');
const clientId = 'ferry-hostile-client';
const clientSecret = distinctiveSecret('clientsecret');
const PAGE = 8;

type Hostile = (res: ServerResponse) => void;

const cases: ReadonlyArray<{ name: string; answer: Hostile; expected: RegExp }> = [
  {
    name: 'a body over max_response_bytes (64KB)',
    answer: (res) => {
      const records = Array.from({ length: 400 }, (_, i) => customerAt(7, PAGE + i));
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(records));
    },
    expected: /exceeded the limit of 65536 bytes \[FERRY_ERR_HTTP_RESPONSE_TOO_LARGE\]/,
  },
  {
    name: 'a body over the limit with no Content-Length (chunked)',
    answer: (res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('[');
      for (let i = 0; i < 400; i++) res.write(`${i ? ',' : ''}${JSON.stringify(customerAt(7, PAGE + i))}`);
      res.end(']');
    },
    expected: /exceeded the limit of 65536 bytes \[FERRY_ERR_HTTP_RESPONSE_TOO_LARGE\]/,
  },
  {
    name: 'a wrong content type (text/html)',
    answer: (res) => {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      res.end('<html><body>Please log in</body></html>');
    },
    expected: /JSON content type.*text\/html.*\[FERRY_ERR_HTTP_BAD_RESPONSE\]/,
  },
  {
    name: 'malformed JSON',
    answer: (res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('[{"customer_id": 9, "name": \'single quotes\'}]');
    },
    expected: /malformed or truncated JSON.*\[FERRY_ERR_HTTP_BAD_RESPONSE\]/,
  },
  {
    name: 'malformed JSON carrying terminal escapes and a forged line',
    answer: (res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(`[1,\n\u001b[2K\rferry: run completed, every record delivered [FORGED]\n]`);
    },
    expected: /malformed or truncated JSON.*\[FERRY_ERR_HTTP_BAD_RESPONSE\]/,
  },
  {
    name: 'truncated JSON (a complete response that stops mid-document)',
    answer: (res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify([customerAt(7, PAGE), customerAt(7, PAGE + 1)]).slice(0, 150));
    },
    expected: /malformed or truncated JSON.*\[FERRY_ERR_HTTP_BAD_RESPONSE\]/,
  },
  {
    name: 'a connection dropped mid-body (fewer bytes than Content-Length)',
    answer: (res) => {
      const body = JSON.stringify([customerAt(7, PAGE), customerAt(7, PAGE + 1)]);
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': String(body.length) });
      res.write(body.slice(0, 100));
      setTimeout(() => res.destroy(), 20);
    },
    expected: /other side closed.*\[FERRY_ERR_(RETRIES_EXHAUSTED|HTTP_TRANSIENT)\]/,
  },
  {
    name: '10,000-deep nesting',
    answer: (res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(`${'['.repeat(10_000)}${']'.repeat(10_000)}`);
    },
    expected: /nested 10000 levels deep.*\[FERRY_ERR_HTTP_BAD_RESPONSE\]/,
  },
  {
    name: 'a slow drip of bytes (one byte every 300ms, body timeout 2s)',
    answer: (res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      const body = JSON.stringify([customerAt(7, PAGE)]);
      let i = 0;
      const timer = setInterval(() => {
        if (res.destroyed || i >= body.length) {
          clearInterval(timer);
          if (!res.destroyed) res.end();
          return;
        }
        res.write(body[i++]!);
      }, 300);
      res.on('close', () => clearInterval(timer));
    },
    expected: /body timeout \(body not complete within 2s\).*\[FERRY_ERR_[A-Z_]+\]/,
  },
  {
    name: 'headers that never come (headers timeout 2s)',
    answer: (res) => {
      // Never answers; the socket is closed when the test's server closes.
      res.on('close', () => undefined);
    },
    expected: /headers timeout.*\[FERRY_ERR_[A-Z_]+\]/,
  },
];

let destination: MockDestinationHandle;
const dirs: string[] = [];

beforeAll(async () => {
  destination = await startMockDestination({ clientId, clientSecret });
});

afterAll(async () => {
  await destination.close();
  for (const dir of dirs) await removeDir(dir);
});

/** A source whose page 1 is always good; page 2 is `hostile` until `good()` is called, then good too. */
async function twoPageSource(hostile: Hostile | ((res: ServerResponse) => void)) {
  let turnedGood = false;
  const source: Listener = await startListener((req, res) => {
    if (req.headers['x-api-key'] !== apiKey) {
      res.writeHead(401, { 'content-type': 'application/json' });
      res.end('{"error":"bad key"}');
      return;
    }
    const page = new URL(req.url, 'http://x').searchParams.get('page') ?? '1';
    if (page === '1') {
      const records = Array.from({ length: PAGE }, (_, i) => customerAt(7, i));
      res.writeHead(200, {
        'content-type': 'application/json',
        link: `<${source.origin}/customers?page=2>; rel="next"`,
      });
      res.end(JSON.stringify(records));
    } else if (!turnedGood) {
      hostile(res);
    } else {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(Array.from({ length: PAGE }, (_, i) => customerAt(7, PAGE + i))));
    }
  });
  return { source, good: () => (turnedGood = true) };
}

async function ferry(sourceUrl: string, dir: string) {
  const result = await runFerry(
    ['run', config, '--state', `${dir}/state`, '--report', `${dir}/report.json`, '--log-format', 'json'],
    {
      env: {
        SOURCE_URL: sourceUrl,
        SOURCE_API_KEY: apiKey,
        DEST_URL: destination.ordersUrl,
        DEST_TOKEN_URL: destination.tokenUrl,
        DEST_CLIENT_ID: clientId,
        DEST_CLIENT_SECRET: clientSecret,
      },
    },
  );
  const report = JSON.parse(await readFile(`${dir}/report.json`, 'utf8')) as {
    status: string;
    counts: Record<string, number>;
  };
  return { ...result, report };
}

/** The lines a person reads: ferry's own `ferry: ...` lines, not the JSON log lines. */
/** The messages of the `run aborted` lines: off a terminal stderr is JSON lines only. */
function errorLines(stderr: string): string[] {
  return stderr
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => (JSON.parse(line) as { msg: string }).msg)
    .filter((msg) => msg.startsWith('run aborted:'));
}

describe('hostile source responses end in a clear error and a safe state', () => {
  it.each(cases)(
    '$name: exit 3, one clear line, no stack, rerun completes',
    async ({ answer, expected }) => {
      destination.reset();
      const dir = await tempDir('hostile');
      dirs.push(dir);
      const { source, good } = await twoPageSource(answer);
      try {
        const hostile = await ferry(`${source.origin}/customers`, dir);
        expect(hostile.code, hostile.stderr).toBe(3);
        const lines = errorLines(hostile.stderr);
        expect(lines, hostile.stderr).toHaveLength(1);
        // Off a terminal, even an aborted run writes JSON lines only.
        expect(
          hostile.stderr
            .trim()
            .split('\n')
            .filter((line) => !line.startsWith('{"')),
        ).toEqual([]);
        expect(lines[0]).toMatch(/\[FERRY_ERR_[A-Z_]+\]$/);
        expect(lines[0]).toMatch(expected);
        expect(lines[0]).toContain('page 2');
        // No stack trace printed: no "    at ..." line. (The JSON `run aborted` log line does carry the
        // error's stack as an escaped string field, by the logger's design; see docs/observability.md.)
        expect(hostile.stderr).not.toMatch(/^\s+at /m);
        expect(hostile.stderr).not.toContain(apiKey);
        // Whatever the source sent, no control character of its reaches the terminal (no escapes, no
        // forged lines).
        expect(terminalUnsafe(hostile.stderr), JSON.stringify(hostile.stderr.slice(-600))).toBe(false);
        expect(hostile.stderr).not.toContain('[FORGED]\n');
        expect(hostile.report.status).toBe('aborted');
        const firstRun = hostile.report.counts;

        good();
        const rerun = await ferry(`${source.origin}/customers`, dir);
        expect([0, 1], rerun.stderr).toContain(rerun.code);
        expect(rerun.report.status).not.toBe('aborted');
        const stats = destination.stats();
        expect(stats.duplicates).toBe(0);
        // Every one of the 16 records is accounted for across the two runs, none delivered twice.
        const delivered = (firstRun.delivered ?? 0) + (rerun.report.counts.delivered ?? 0);
        expect(delivered).toBe(stats.distinctOrderIds);
        expect(
          stats.distinctOrderIds + (rerun.report.counts.quarantined ?? 0) + (firstRun.quarantined ?? 0),
        ).toBeGreaterThanOrEqual(2 * PAGE - 1);
      } finally {
        await source.close();
      }
    },
    60_000,
  );

  it('an error status whose body carries terminal escapes: one clean line, no escape reaches stderr', async () => {
    const dir = await tempDir('status');
    dirs.push(dir);
    const { source } = await twoPageSource((res) => {
      res.writeHead(404, { 'content-type': 'text/plain' });
      res.end('gone\u001b[2K\r\u001b]0;owned\u0007\nferry: run completed [FORGED]\n');
    });
    try {
      const result = await ferry(`${source.origin}/customers`, dir);
      expect(result.code, result.stderr).not.toBe(0);
      const lines = errorLines(result.stderr);
      expect(lines, result.stderr).toHaveLength(1);
      expect(lines[0]).toMatch(/404 Not Found.*\[FERRY_ERR_HTTP_STATUS\]$/);
      expect(terminalUnsafe(result.stderr), JSON.stringify(result.stderr.slice(-600))).toBe(false);
      expect(result.stderr).not.toMatch(/^\s+at /m);
    } finally {
      await source.close();
    }
  }, 60_000);

  it('a destination whose 422 body carries terminal escapes: records fail with reasons, no escape reaches stderr', async () => {
    const dir = await tempDir('dest422');
    dirs.push(dir);
    const { source } = await twoPageSource((res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('[]');
    });
    const hostileDestination = await startListener((_req, res) => {
      res.writeHead(422, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({
          error: 'x\u001b[2J\nferry: forged',
          errors: [
            { field: 'email\u001b]0;t\u0007', message: '\u001b[31mowned\nferry: run completed [FORGED]' },
          ],
        }),
      );
    });
    try {
      const result = await runFerry(
        ['run', config, '--state', `${dir}/state`, '--report', `${dir}/report.json`, '--log-format', 'json'],
        {
          env: {
            SOURCE_URL: `${source.origin}/customers`,
            SOURCE_API_KEY: apiKey,
            DEST_URL: `${hostileDestination.origin}/api/v2/orders`,
            DEST_TOKEN_URL: destination.tokenUrl,
            DEST_CLIENT_ID: clientId,
            DEST_CLIENT_SECRET: clientSecret,
          },
        },
      );
      expect(result.code, result.stderr).toBe(1);
      expect(terminalUnsafe(result.stderr), JSON.stringify(result.stderr.slice(-800))).toBe(false);
      expect(result.stderr.split('\n').filter((l) => l.startsWith('ferry:'))).toEqual([]);
      const report = JSON.parse(await readFile(`${dir}/report.json`, 'utf8')) as {
        counts: Record<string, number>;
      };
      expect(report.counts.failed).toBeGreaterThan(0);
      expect(report.counts.delivered).toBe(0);
    } finally {
      await Promise.all([source.close(), hostileDestination.close()]);
    }
  }, 60_000);

  it('records with __proto__ and constructor keys pollute nothing and each ends delivered or quarantined', async () => {
    destination.reset();
    const dir = await tempDir('proto');
    dirs.push(dir);
    const evil = (i: number): string => {
      const customer = JSON.stringify(customerAt(7, PAGE + i)).slice(1, -1);
      // Written as raw JSON text: a JS object literal would set the prototype instead of a key.
      return `{"__proto__":{"polluted":"yes","customer_id":"evil-${i}","isAdmin":true},"constructor":{"prototype":{"polluted":"yes"}},${customer},"address2":{"__proto__":{"polluted":"yes"}},"prototype":{"polluted":"yes"}}`;
    };
    const { source } = await twoPageSource((res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(`[${Array.from({ length: PAGE }, (_, i) => evil(i)).join(',')}]`);
    });
    try {
      const result = await ferry(`${source.origin}/customers`, dir);
      expect([0, 1], result.stderr).toContain(result.code);
      expect(result.stderr).not.toMatch(/^\s+at /m);
      expect(result.stderr).not.toContain('"err"');
      const c = result.report.counts;
      expect(c.read).toBe(2 * PAGE);
      expect((c.delivered ?? 0) + (c.quarantined ?? 0) + (c.skipped ?? 0) + (c.failed ?? 0)).toBe(c.read);
      // The hostile keys were dropped on parsing: the orders keep their own ids and carry no injected field.
      const orders = JSON.stringify(destination.orders());
      expect(orders).not.toContain('polluted');
      expect(orders).not.toContain('evil-');
      expect(orders).not.toContain('isAdmin');
      expect(destination.stats().distinctOrderIds).toBe(c.delivered);
      // Quarantined ones have reasons.
      const list = await runFerry(['dlq', 'list', '--state', `${dir}/state`, '--json']);
      const letters = JSON.parse(list.stdout) as Array<{ reasons: unknown[] }>;
      expect(letters).toHaveLength((c.quarantined ?? 0) + (c.failed ?? 0));
      for (const letter of letters) expect(letter.reasons.length).toBeGreaterThan(0);
    } finally {
      await source.close();
    }
  }, 60_000);
});
