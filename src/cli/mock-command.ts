import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Argument, Command, Option } from 'commander';
import { FerryError } from '../core/errors.ts';
import type { ErpFaultOptions } from '../mocks/erp/erp-faults.ts';
import type { PasswordType } from '../mocks/erp/ws-security.ts';
import type { FaultOptions, RetryAfterForm } from '../mocks/fault-options.ts';
import type { MockDestinationHandle, MockErpHandle, MockSourceHandle } from '../mocks/index.ts';
import type { MockEventsCliOptions } from './mock-events.ts';

/** Which mocks `ferry mock` starts; `events` sends customer events to a webhook instead. */
export type MockWhich = 'source' | 'destination' | 'erp' | 'all' | 'events';

/** The options of `ferry mock` as commander hands them over (strings until checked). */
export interface MockCliOptions {
  host?: string;
  port?: string;
  sourcePort?: string;
  destPort?: string;
  erpPort?: string;
  count?: string;
  seed?: string;
  maxPageSize?: string;
  endStatus?: string;
  serveAtMost?: string;
  churn?: string;
  errorRate?: string;
  rateLimitedRate?: string;
  retryAfter?: string;
  retryAfterSeconds?: string;
  latencyMs?: string;
  capacity?: string;
  rps?: string;
  lostAckRate?: string;
  graphqlErrorRate?: string;
  graphqlPartialRate?: string;
  errorAfterStoreRate?: string;
  redeliverRate?: string;
  redeliverDelayMs?: string;
  tokenTtl?: string;
  tokenFaults?: boolean;
  faultsOn?: string;
  idempotency?: boolean;
  allowDuplicates?: boolean;
  saveRejections?: boolean;
  apiKey?: string;
  clientId?: string;
  clientSecret?: string;
  erpUsername?: string;
  erpPassword?: string;
  passwordType?: string;
  serviceBusyRate?: string;
  internalErrorRate?: string;
  unavailableRate?: string;
  logRequests?: boolean;
  json?: boolean;
}

/** Where `runMock` writes and what stops it. */
export interface MockIo {
  /** Receives stdout text (the export lines or the JSON object). */
  out(text: string): void;
  /** Receives stderr text (status lines). */
  err(text: string): void;
  /** Resolves when the mocks should stop (SIGINT/SIGTERM from the CLI; anything in tests). */
  stopped: Promise<unknown>;
}

/** What `ferry mock` started, for the printed lines and for tests. */
export interface RunningMocks {
  source?: MockSourceHandle;
  destination?: MockDestinationHandle;
  erp?: MockErpHandle;
  env: Record<string, string>;
}

function usage(message: string, details: Record<string, unknown> = {}): FerryError {
  return new FerryError('FERRY_ERR_USAGE', `mock: ${message}`, { details });
}

function numberOption(
  flag: string,
  raw: string | undefined,
  limits: { min: number; max: number; integer?: boolean },
): number | undefined {
  if (raw === undefined) return undefined;
  const value = raw.trim() === '' ? Number.NaN : Number(raw);
  const ok =
    Number.isFinite(value) &&
    value >= limits.min &&
    value <= limits.max &&
    (!limits.integer || Number.isInteger(value));
  if (!ok) {
    const kind = limits.integer ? 'a whole number' : 'a number';
    throw usage(`${flag} must be ${kind} from ${limits.min} to ${limits.max}, got "${raw}"`, {
      option: flag,
    });
  }
  return value;
}

/** Drops undefined values, so options left unset take the mocks' defaults (exactOptionalPropertyTypes). */
function defined<T extends object>(value: T): { [K in keyof T]?: Exclude<T[K], undefined> } {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as {
    [K in keyof T]?: Exclude<T[K], undefined>;
  };
}

const RETRY_AFTER: readonly RetryAfterForm[] = ['seconds', 'http-date', 'mixed'];
const FAULTS_ON = ['all', 'both', 'source', 'destination', 'erp'] as const;
const PASSWORD_TYPES: readonly PasswordType[] = ['text', 'digest', 'both'];

/** Checks the fault flags and turns them into FaultOptions (FERRY_ERR_USAGE on a bad value). */
export function faultsFromOptions(options: MockCliOptions): FaultOptions {
  if (options.retryAfter !== undefined && !RETRY_AFTER.includes(options.retryAfter as RetryAfterForm)) {
    throw usage(`--retry-after must be one of ${RETRY_AFTER.join(', ')}, got "${options.retryAfter}"`, {
      option: '--retry-after',
    });
  }
  return defined({
    errorRate: numberOption('--error-rate', options.errorRate, { min: 0, max: 1 }),
    rateLimitedRate: numberOption('--rate-limited-rate', options.rateLimitedRate, { min: 0, max: 1 }),
    retryAfter: options.retryAfter as RetryAfterForm | undefined,
    retryAfterSeconds: numberOption('--retry-after-seconds', options.retryAfterSeconds, {
      min: 0,
      max: 86_400,
      integer: true,
    }),
    latencyMs: numberOption('--latency-ms', options.latencyMs, { min: 0, max: 600_000 }),
    capacity: numberOption('--capacity', options.capacity, { min: 0, max: 100_000, integer: true }),
    requestsPerSecond: numberOption('--rps', options.rps, { min: 0, max: 10_000_000 }),
    lostAckRate: numberOption('--lost-ack-rate', options.lostAckRate, { min: 0, max: 1 }),
    errorAfterStoreRate: numberOption('--error-after-store-rate', options.errorAfterStoreRate, {
      min: 0,
      max: 1,
    }),
    tokenEndpoint: options.tokenFaults,
    graphqlErrorRate: numberOption('--graphql-error-rate', options.graphqlErrorRate, { min: 0, max: 1 }),
    graphqlPartialRate: numberOption('--graphql-partial-rate', options.graphqlPartialRate, {
      min: 0,
      max: 1,
    }),
    redeliverRate: numberOption('--redeliver-rate', options.redeliverRate, { min: 0, max: 1 }),
    redeliverDelayMs: numberOption('--redeliver-delay-ms', options.redeliverDelayMs, {
      min: 0,
      max: 600_000,
    }),
  });
}

/** `--churn 20/s` (or `1200/m`, or a bare number a second) as steps a second. */
export function churnRate(raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  const match = /^\s*(\d+(?:\.\d+)?)\s*(?:\/\s*(s|m|min))?\s*$/i.exec(raw);
  const perSecond = match
    ? Number(match[1]) / (match[2] && match[2].toLowerCase() !== 's' ? 60 : 1)
    : Number.NaN;
  if (!(perSecond >= 0 && perSecond <= 100_000)) {
    throw usage(`--churn must be a rate like 20/s or 600/m (at most 100000/s), got "${raw}"`, {
      option: '--churn',
    });
  }
  return perSecond;
}

/** The ERP mock's faults: its own SOAP fault rates, plus latency, lost acks and Retry-After from `shared`. */
export function erpFaultsFromOptions(options: MockCliOptions, shared: FaultOptions): ErpFaultOptions {
  return defined({
    serviceBusyRate: numberOption('--service-busy-rate', options.serviceBusyRate, { min: 0, max: 1 }),
    internalErrorRate: numberOption('--internal-error-rate', options.internalErrorRate, { min: 0, max: 1 }),
    unavailableRate: numberOption('--unavailable-rate', options.unavailableRate, { min: 0, max: 1 }),
    latencyMs: shared.latencyMs,
    lostAckRate: shared.lostAckRate,
    retryAfter: shared.retryAfter,
    retryAfterSeconds: shared.retryAfterSeconds,
  });
}

function shellQuote(value: string): string {
  return /^[A-Za-z0-9_./:@%+=,-]+$/.test(value) ? value : `'${value.replace(/'/g, `'\\''`)}'`;
}

/** Starts the chosen mocks, prints how to reach them, waits for `io.stopped`, then closes them. */
export async function runMock(which: MockWhich, options: MockCliOptions, io: MockIo): Promise<RunningMocks> {
  // Loaded here, not at the top, so `ferry --help` does not pay for fastify.
  const { startMockDestination, startMockErp, startMockSource } = await import('../mocks/index.ts');
  if (!['source', 'destination', 'erp', 'all'].includes(which))
    throw usage(`expected source, destination, erp or all, got "${which}"`);
  if (which === 'all' && options.port !== undefined)
    throw usage('--port names one server; with "all" use --source-port, --dest-port and --erp-port', {
      option: '--port',
    });
  const faultsOn = options.faultsOn ?? 'all';
  if (!(FAULTS_ON as readonly string[]).includes(faultsOn))
    throw usage(`--faults-on must be one of ${FAULTS_ON.join(', ')}, got "${faultsOn}"`, {
      option: '--faults-on',
    });
  const portLimits = { min: 0, max: 65_535, integer: true };
  const port = numberOption('--port', options.port, portLimits);
  const sourcePort = port ?? numberOption('--source-port', options.sourcePort, portLimits) ?? 0;
  const destPort = port ?? numberOption('--dest-port', options.destPort, portLimits) ?? 0;
  const erpPort = port ?? numberOption('--erp-port', options.erpPort, portLimits) ?? 0;
  const passwordType = (options.passwordType ?? 'both') as PasswordType;
  if (!PASSWORD_TYPES.includes(passwordType))
    throw usage(`--password-type must be one of ${PASSWORD_TYPES.join(', ')}, got "${passwordType}"`, {
      option: '--password-type',
    });
  const count = numberOption('--count', options.count, {
    min: 0,
    max: Number.MAX_SAFE_INTEGER,
    integer: true,
  });
  const seed = numberOption('--seed', options.seed, { min: 0, max: 2 ** 32 - 1, integer: true });
  const maxPageSize = numberOption('--max-page-size', options.maxPageSize, {
    min: 1,
    max: 1000,
    integer: true,
  });
  const endStatus = numberOption('--end-status', options.endStatus, { min: 400, max: 599, integer: true });
  const serveAtMost = numberOption('--serve-at-most', options.serveAtMost, {
    min: 0,
    max: Number.MAX_SAFE_INTEGER,
    integer: true,
  });
  const tokenTtl = numberOption('--token-ttl', options.tokenTtl, { min: 1, max: 31_536_000, integer: true });
  const churn = churnRate(options.churn);
  const faults = faultsFromOptions(options);
  const faulted = (server: 'source' | 'destination' | 'erp') =>
    faultsOn === 'all' || faultsOn === server || (faultsOn === 'both' && server !== 'erp');
  // --faults-on decides who gets the shared fault flags; the ERP-only rates always go to the ERP.
  const erpFaults = erpFaultsFromOptions(options, faulted('erp') ? faults : {});
  const host = options.host ?? '127.0.0.1';
  const logger = options.logRequests ?? false;

  const running: RunningMocks = { env: {} };
  try {
    if (which === 'source' || which === 'all') {
      running.source = await startMockSource(
        defined({
          host,
          port: sourcePort,
          count,
          seed,
          apiKey: options.apiKey,
          maxPageSize,
          endStatus,
          serveAtMost,
          ...(churn ? { churn: { perSecond: churn } } : {}),
          logger,
          faults: faulted('source') ? faults : {},
        }),
      );
      running.env.SOURCE_URL = running.source.url;
      running.env.SOURCE_GRAPHQL_URL = running.source.graphqlUrl;
      running.env.SOURCE_XML_URL = running.source.xmlUrl;
      running.env.SOURCE_FILE = running.source.csvUrl;
      running.env.SOURCE_API_KEY = running.source.apiKey;
    }
    if (which === 'destination' || which === 'all') {
      running.destination = await startMockDestination(
        defined({
          host,
          port: destPort,
          seed,
          clientId: options.clientId,
          clientSecret: options.clientSecret,
          tokenTtlSeconds: tokenTtl,
          honourIdempotency: options.idempotency ?? true,
          allowDuplicates: options.allowDuplicates ?? false,
          saveRejections: options.saveRejections ?? false,
          logger,
          faults: faulted('destination') ? faults : {},
        }),
      );
      running.env.DEST_URL = running.destination.ordersUrl;
      running.env.DEST_TOKEN_URL = running.destination.tokenUrl;
      running.env.DEST_CLIENT_ID = running.destination.clientId;
      running.env.DEST_CLIENT_SECRET = running.destination.clientSecret;
    }
    if (which === 'erp' || which === 'all') {
      running.erp = await startMockErp(
        defined({
          host,
          port: erpPort,
          seed,
          username: options.erpUsername,
          password: options.erpPassword,
          passwordType,
          logger,
          faults: erpFaults,
        }),
      );
      running.env.ERP_URL = running.erp.url;
      running.env.ERP_USERNAME = running.erp.username;
      running.env.ERP_PASSWORD = running.erp.password;
    }
    if (which === 'all') {
      // With these, every file of examples/ finds its variables: `ferry serve examples/` starts on them.
      // The webhook secret is random like the mocks' credentials; `ferry mock events` signs with it.
      running.env.WEBHOOK_SECRET = `whsec_${randomBytes(24).toString('base64')}`;
      running.env.DEST_FILE = join(
        tmpdir(),
        `ferry-mock-orders-${running.destination!.origin.split(':').at(-1)}.csv`,
      );
    }
  } catch (error) {
    await closeAll(running);
    if (error instanceof FerryError) throw error;
    throw usage(`could not start the mock ${which}: ${(error as Error).message}`, { host });
  }

  if (options.json) {
    io.out(
      `${JSON.stringify({
        source: running.source && {
          url: running.source.url,
          graphqlUrl: running.source.graphqlUrl,
          xmlUrl: running.source.xmlUrl,
          origin: running.source.origin,
          apiKey: running.source.apiKey,
        },
        destination: running.destination && {
          ordersUrl: running.destination.ordersUrl,
          tokenUrl: running.destination.tokenUrl,
          origin: running.destination.origin,
          clientId: running.destination.clientId,
          clientSecret: running.destination.clientSecret,
        },
        erp: running.erp && {
          url: running.erp.url,
          wsdlUrl: running.erp.wsdlUrl,
          origin: running.erp.origin,
          username: running.erp.username,
          password: running.erp.password,
        },
        env: running.env,
      })}\n`,
    );
  } else {
    io.out(
      Object.entries(running.env)
        .map(([name, value]) => `export ${name}=${shellQuote(value)}\n`)
        .join(''),
    );
  }
  io.err(`ferry mock ${which} running; stop with Ctrl-C (SIGINT) or SIGTERM\n`);
  await io.stopped;
  await closeAll(running);
  io.err(`ferry mock ${which} stopped\n`);
  return running;
}

async function closeAll(running: RunningMocks): Promise<void> {
  await Promise.allSettled([running.source?.close(), running.destination?.close(), running.erp?.close()]);
}

function untilSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const onSignal = (signal: NodeJS.Signals) => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      resolve(signal);
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
}

/** `ferry mock source|destination|erp|all [options]`: runs the bundled mock APIs until SIGINT/SIGTERM. */
export function mockCommand(): Command {
  return new Command('mock')
    .description(
      'Run the bundled mock customer API (source: REST and GraphQL), order API (destination) and/or SOAP ERP (erp) with seeded faults',
    )
    .addArgument(
      new Argument('<which>', 'which mock to start, or events to send customer events to a webhook').choices([
        'source',
        'destination',
        'erp',
        'all',
        'events',
      ]),
    )
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .option('--port <n>', 'port of the one mock started (0 = any free port)')
    .option('--source-port <n>', 'port of the source with "all" (default: any free port)')
    .option('--dest-port <n>', 'port of the destination with "all" (default: any free port)')
    .option('--erp-port <n>', 'port of the ERP with "all" (default: any free port)')
    .option('--count <n>', 'customers in the data set', '1000')
    .option('--url <url>', 'events: the webhook to send to (http://HOST:PORT/hooks/<integration>)')
    .option('--secret <whsec>', 'events: the Standard Webhooks secret to sign with (default: WEBHOOK_SECRET)')
    .option('--rate <rate>', 'events: new events per second, e.g. 50/s or 3000/m', '50/s')
    .option('--events <n>', 'events: stop after n new events (default: until --duration or Ctrl-C)')
    .option('--duration <duration>', 'events: stop making new events after this long, e.g. 60s')
    .option('--duplicates <share>', 'events: share of events delivered twice (0 to 1)')
    .option('--out-of-order <share>', 'events: share of events delivered after later ones (0 to 1)')
    .option(
      '--forged <share>',
      'events: share of events followed by a forgery, which must be refused (0 to 1)',
    )
    .option('--seed <n>', 'seed of the data set and the fault draws', '42')
    .option('--max-page-size <n>', 'source: serve at most n records a page, whatever was asked for')
    .option('--end-status <status>', 'source: answer a page past the end with this status (404: DRF style)')
    .option('--serve-at-most <n>', 'source: page only the first n customers while X-Total-Count says --count')
    .option(
      '--churn <rate>',
      'source: change, add and delete customers at this rate while it runs (20/s), seeded by --seed',
    )
    .option('--error-rate <share>', 'share of requests answered 500/503 (0 to 1)')
    .option('--rate-limited-rate <share>', 'share of requests answered 429 with Retry-After (0 to 1)')
    .addOption(
      new Option('--retry-after <form>', 'form of Retry-After on 429s').choices([
        'seconds',
        'http-date',
        'mixed',
      ]),
    )
    .option('--retry-after-seconds <n>', 'seconds an injected 429 asks to wait', '1')
    .option('--latency-ms <n>', 'latency added to each faulted request')
    .option(
      '--capacity <n>',
      'destination: orders requests served at once; past n they queue (latency grows), past 2n they get 503',
    )
    .option('--service-busy-rate <share>', 'erp: share of requests answered with a SERVICE_BUSY fault')
    .option('--internal-error-rate <share>', 'erp: share of requests answered with an INTERNAL_ERROR fault')
    .option('--unavailable-rate <share>', 'erp: share of requests answered 503 with Retry-After')
    .option('--rps <n>', 'rate limit in requests per second (token bucket, 429 past it)')
    .option('--lost-ack-rate <share>', 'destination, erp: share of stored orders whose response is dropped')
    .option(
      '--graphql-error-rate <share>',
      'source: share of GraphQL requests answered 200 with data null and a retryable error',
    )
    .option(
      '--graphql-partial-rate <share>',
      'source: share of GraphQL requests answered 200 with one customer null and an error at its path',
    )
    .option(
      '--error-after-store-rate <share>',
      'destination: share of stored orders answered 500 anyway (stored, then the server fails)',
    )
    .option(
      '--redeliver-rate <share>',
      'destination: share of PUTs and DELETEs delivered a second time, later (a delayed duplicate)',
    )
    .option('--redeliver-delay-ms <n>', 'destination: how much later a redelivered write arrives', '200')
    .option('--token-ttl <seconds>', 'destination: access token lifetime', '3600')
    .option('--token-faults', 'destination: inject errors, 429s and latency at /oauth/token too')
    .addOption(
      new Option(
        '--faults-on <which>',
        'with "all": which mock gets the faults (both = source and destination)',
      )
        .choices([...FAULTS_ON])
        .default('all'),
    )
    .option('--no-idempotency', 'destination: ignore Idempotency-Key headers')
    .option('--allow-duplicates', 'destination: store a repeated orderId again instead of answering 409')
    .option(
      '--save-rejections',
      'destination: keep a 400 under its Idempotency-Key too, refusing the key with any other body',
    )
    .option('--api-key <key>', 'source API key (default: random)')
    .option('--client-id <id>', 'destination OAuth client id (default: random)')
    .option('--client-secret <secret>', 'destination OAuth client secret (default: random)')
    .option('--erp-username <name>', 'erp UsernameToken username (default: random)')
    .option('--erp-password <secret>', 'erp UsernameToken password (default: random)')
    .addOption(
      new Option('--password-type <type>', 'erp: UsernameToken password forms accepted')
        .choices([...PASSWORD_TYPES])
        .default('both'),
    )
    .option('--log-requests', 'log every request (pino) to stdout')
    .option('--json', 'print one JSON object instead of export lines')
    .addHelpText(
      'after',
      '\nExamples:\n  eval "$(npx ferry mock all &)"  # not recommended: prefer two terminals\n' +
        '  npx ferry mock all --count 5000 --error-rate 0.1 --rate-limited-rate 0.05 --lost-ack-rate 0.02 --token-ttl 2\n' +
        '  npx ferry mock destination --no-idempotency --allow-duplicates --port 4020\n' +
        '  npx ferry mock source --graphql-error-rate 0.05 --graphql-partial-rate 0.05\n' +
        '  npx ferry mock source --churn 20/s --port 4010   # customers change while a sync runs\n' +
        '  npx ferry mock erp --port 4030 --password-type digest --service-busy-rate 0.05 --lost-ack-rate 0.02\n' +
        '  npx ferry mock events --url http://127.0.0.1:8080/hooks/customer-events-to-orders --secret "$WEBHOOK_SECRET" --rate 50/s --duplicates 0.1 --out-of-order 0.1 --forged 0.05\n',
    )
    .action(async (which: MockWhich, options: MockCliOptions & MockEventsCliOptions) => {
      if (which === 'events') {
        const { runMockEvents } = await import('./mock-events.ts');
        await runMockEvents(options, {
          out: (text) => process.stdout.write(text),
          err: (text) => process.stderr.write(text),
          stopped: untilSignal(),
        });
        return;
      }
      await runMock(which, options, {
        out: (text) => process.stdout.write(text),
        err: (text) => process.stderr.write(text),
        stopped: untilSignal(),
      });
    });
}
