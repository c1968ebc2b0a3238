import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startMockDestination } from '../mocks/mock-destination.ts';
import { startMockSource } from '../mocks/mock-source.ts';
import { executeRun } from './execute-run.ts';
import { ExitCode } from './exit-codes.ts';
import { printError } from './print-error.ts';

// `npm run demo`: the flagship against the bundled mocks, with the realistic dirt and a few seeded faults
// (5xx, 429 with Retry-After, lost acknowledgements, short-lived tokens) so every mechanism shows up.
const CUSTOMERS = 2_000;
const flagship = fileURLToPath(new URL('../../examples/customers-to-orders.yaml', import.meta.url));

const source = await startMockSource({ count: CUSTOMERS, seed: 7 });
const destination = await startMockDestination({
  seed: 7,
  tokenTtlSeconds: 2,
  faults: { errorRate: 0.02, rateLimitedRate: 0.002, retryAfter: 'mixed', lostAckRate: 0.01 },
});
const state = await mkdtemp(join(tmpdir(), 'ferry-demo-'));
const env = {
  ...process.env,
  SOURCE_URL: `${source.url}?per_page=100`,
  SOURCE_API_KEY: source.apiKey,
  DEST_URL: destination.ordersUrl,
  DEST_TOKEN_URL: destination.tokenUrl,
  DEST_CLIENT_ID: destination.clientId,
  DEST_CLIENT_SECRET: destination.clientSecret,
};
const say = (text: string) => process.stderr.write(`${text}\n`);
say(`ferry demo: ${CUSTOMERS} customers from the mock customer API (${source.origin}, API key, paginated)`);
say(`           -> orders to the mock order API (${destination.origin}, OAuth 2.0 client credentials)`);
say(
  '           with 2% 5xx, 0.2% 429 with Retry-After, 1% lost acknowledgements\n           and 2-second tokens injected\n',
);

let code: number = ExitCode.aborted;
try {
  code = await executeRun(
    flagship,
    { state, logLevel: 'error', logFormat: 'auto', progress: true, sample: 3, summaryTable: true },
    env,
  );
  const stats = destination.stats();
  say(
    `\nThe order API now holds ${stats.distinctOrderIds} orders (${stats.ordersStored - stats.distinctOrderIds} duplicates); ` +
      `it answered ${stats.rateLimited} 429s, ${stats.injectedErrors} injected errors, dropped ${stats.lostAcks} acknowledgements ` +
      `and issued ${stats.tokensIssued} tokens.`,
  );
  say(`Inspect the quarantined records:  npx ferry dlq list --state ${state}`);
  say(`See the run:                      npx ferry runs list --state ${state}`);
  say('Run it against real APIs:         see "Pointing the flagship at real APIs" in README.md');
} catch (error) {
  printError(error);
} finally {
  await Promise.all([source.close(), destination.close()]);
}
// Quarantined dirty records are the demo working as intended, not a failure of `npm run demo`.
process.exitCode = code === ExitCode.recordsNotDelivered ? ExitCode.ok : code;
