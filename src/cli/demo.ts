import { rm } from 'node:fs/promises';
import { relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startMockErp } from '../mocks/erp/mock-erp.ts';
import { startMockDestination } from '../mocks/mock-destination.ts';
import { startMockSource } from '../mocks/mock-source.ts';
import { executeRun } from './execute-run.ts';
import { ExitCode } from './exit-codes.ts';
import { printError } from './print-error.ts';

// `npm run demo` runs both flagships against the bundled mocks, with the realistic dirt and seeded faults so
// every mechanism shows up; `npm run demo -- rest` or `npm run demo -- soap` runs one of them.
const CUSTOMERS = 2_000;
const SEED = 7;
// A ledger of the demo's own at a fixed place (.ferry/ is git-ignored), shared by both flagships (their
// names differ), so the dashboard can show it afterwards with a command that is always the same; each demo
// starts it afresh.
const state = resolve('.ferry/demo');
const shown = relative(process.cwd(), state);
const example = (name: string) => fileURLToPath(new URL(`../../examples/${name}`, import.meta.url));
const say = (text: string) => process.stderr.write(`${text}\n`);

type Flagship = 'rest' | 'soap';
const FLAGSHIPS: readonly Flagship[] = ['rest', 'soap'];

function chosen(args: readonly string[]): readonly Flagship[] | undefined {
  const wanted = args.filter((arg) => arg !== '--');
  if (wanted.length === 0) return FLAGSHIPS;
  const unknown = wanted.filter((arg) => !FLAGSHIPS.includes(arg as Flagship));
  if (unknown.length > 0) return undefined;
  return FLAGSHIPS.filter((f) => wanted.includes(f));
}

/** The first flagship: customers (REST, API key) to orders (REST, OAuth 2.0 client credentials). */
async function restFlagship(): Promise<number> {
  const source = await startMockSource({ count: CUSTOMERS, seed: SEED });
  const destination = await startMockDestination({
    seed: SEED,
    tokenTtlSeconds: 2,
    faults: { errorRate: 0.02, rateLimitedRate: 0.002, retryAfter: 'mixed', lostAckRate: 0.01 },
  });
  say(
    `ferry demo (REST flagship): ${CUSTOMERS} customers from the mock customer API (${source.origin}, API key, paginated)`,
  );
  say(`           -> orders to the mock order API (${destination.origin}, OAuth 2.0 client credentials)`);
  say(
    '           with 2% 5xx, 0.2% 429 with Retry-After, 1% lost acknowledgements\n           and 2-second tokens injected\n',
  );
  try {
    const code = await executeRun(
      example('customers-to-orders.yaml'),
      { state, logLevel: 'error', logFormat: 'auto', progress: true, sample: 3, summaryTable: true },
      {
        ...process.env,
        SOURCE_URL: `${source.url}?per_page=100`,
        SOURCE_API_KEY: source.apiKey,
        DEST_URL: destination.ordersUrl,
        DEST_TOKEN_URL: destination.tokenUrl,
        DEST_CLIENT_ID: destination.clientId,
        DEST_CLIENT_SECRET: destination.clientSecret,
      },
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
    return code;
  } finally {
    await Promise.all([source.close(), destination.close()]);
  }
}

/** The second flagship: customers (REST, API key) to orders in a SOAP ERP (WS-Security UsernameToken). */
async function soapFlagship(): Promise<number> {
  const source = await startMockSource({ count: CUSTOMERS, seed: SEED });
  const erp = await startMockErp({
    seed: SEED,
    faults: {
      serviceBusyRate: 0.02,
      internalErrorRate: 0.01,
      unavailableRate: 0.01,
      lostAckRate: 0.01,
      retryAfterSeconds: 1,
    },
  });
  say(
    `ferry demo (SOAP flagship): ${CUSTOMERS} customers from the mock customer API (${source.origin}, API key, paginated)`,
  );
  say(`           -> CreateOrder in the mock ERP (${erp.url}, SOAP 1.1, WS-Security UsernameToken digest)`);
  say(
    '           with 2% SERVICE_BUSY and 1% INTERNAL_ERROR faults, 1% 503 with Retry-After and\n' +
      '           1% lost acknowledgements injected; CreateOrder has no idempotency key: GetOrder reconciles\n',
  );
  try {
    const code = await executeRun(
      example('customers-to-soap-orders.yaml'),
      { state, logLevel: 'error', logFormat: 'auto', progress: true, sample: 3, summaryTable: true },
      {
        ...process.env,
        SOURCE_URL: `${source.url}?per_page=100`,
        SOURCE_API_KEY: source.apiKey,
        ERP_URL: erp.url,
        ERP_USERNAME: erp.username,
        ERP_PASSWORD: erp.password,
      },
    );
    const stats = erp.stats();
    const injected = stats.faultsInjected;
    say(
      `\nThe ERP now holds ${stats.ordersStored} orders (${stats.duplicates} duplicates); it answered ` +
        `${injected.serviceBusy} SERVICE_BUSY and ${injected.internalError} INTERNAL_ERROR faults and ${injected.unavailable} 503s, ` +
        `dropped ${injected.lostAcks} acknowledgements (GetOrder found each) and refused ${stats.duplicatesRefused} duplicates.`,
    );
    say(`Inspect the quarantined records:  npx ferry dlq list --state ${shown}`);
    say(`See the run:                      npx ferry runs list --state ${shown}`);
    say('Run it against a real ERP:        see "The SOAP flagship" in README.md');
    return code;
  } finally {
    await Promise.all([source.close(), erp.close()]);
  }
}

const which = chosen(process.argv.slice(2));
let worst: number = ExitCode.ok;
if (which === undefined) {
  say(`usage: npm run demo [-- rest | soap]   (both flagships without an argument)`);
  worst = ExitCode.usage;
} else {
  await rm(state, { recursive: true, force: true });
  for (const [index, flagship] of which.entries()) {
    if (index > 0) say('');
    let code: number = ExitCode.aborted;
    try {
      code = flagship === 'rest' ? await restFlagship() : await soapFlagship();
    } catch (error) {
      printError(error);
    }
    // Quarantined dirty records are the demo working as intended, not a failure of `npm run demo`.
    const shownCode = code === ExitCode.recordsNotDelivered ? ExitCode.ok : code;
    worst = Math.max(worst, shownCode);
  }
  say('\nSee it in the dashboard, with every example served:');
  say(
    `  1. in a second terminal, the same customers again:  npx ferry mock all --count ${CUSTOMERS} --seed ${SEED}`,
  );
  say(`  2. here, paste the export lines it printed, then:   npx ferry serve examples/ --state ${shown}`);
  say('  3. open the URL it prints (http://127.0.0.1:8080/)');
}
process.exitCode = worst;
