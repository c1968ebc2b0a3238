import { rm } from 'node:fs/promises';
import { relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startMockDestination } from '../mocks/mock-destination.ts';
import { startMockSource } from '../mocks/mock-source.ts';
import { executeRun } from './execute-run.ts';
import { ExitCode } from './exit-codes.ts';
import { printError } from './print-error.ts';

// `npm run demo`: the flagship against the bundled mocks, with the realistic dirt and a few seeded faults
// (5xx, 429 with Retry-After, lost acknowledgements, short-lived tokens) so every mechanism shows up.
const CUSTOMERS = 2_000;
const SEED = 7;
const flagship = fileURLToPath(new URL('../../examples/customers-to-orders.yaml', import.meta.url));

const source = await startMockSource({ count: CUSTOMERS, seed: SEED });
const destination = await startMockDestination({
  seed: SEED,
  tokenTtlSeconds: 2,
  faults: { errorRate: 0.02, rateLimitedRate: 0.002, retryAfter: 'mixed', lostAckRate: 0.01 },
});
// A ledger of the demo's own at a fixed place (.ferry/ is git-ignored), so the dashboard can show it
// afterwards with a command that is always the same; each demo starts it afresh.
const state = resolve('.ferry/demo');
await rm(state, { recursive: true, force: true });
const shown = relative(process.cwd(), state);
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
  say(`Inspect the quarantined records:  npx ferry dlq list --state ${shown}`);
  say(`See the run:                      npx ferry runs list --state ${shown}`);
  say('Run it against real APIs:         see "Pointing the flagship at real APIs" in README.md');
  say('\nSee it in the dashboard, with every example served:');
  say(
    `  1. in a second terminal, the same customers again:  npx ferry mock all --count ${CUSTOMERS} --seed ${SEED}`,
  );
  say(`  2. here, paste the export lines it printed, then:   npx ferry serve examples/ --state ${shown}`);
  say('  3. open the URL it prints (http://127.0.0.1:8080/)');
} catch (error) {
  printError(error);
} finally {
  await Promise.all([source.close(), destination.close()]);
}
// Quarantined dirty records are the demo working as intended, not a failure of `npm run demo`.
process.exitCode = code === ExitCode.recordsNotDelivered ? ExitCode.ok : code;
