import { Argument, Command, Option } from 'commander';
import { FerryError } from '../core/errors.ts';
import type { FaultOptions, RetryAfterForm } from '../mocks/fault-options.ts';
import type { MockDestinationHandle, MockSourceHandle } from '../mocks/index.ts';

/** Which mocks `ferry mock` starts. */
export type MockWhich = 'source' | 'destination' | 'all';

/** The options of `ferry mock` as commander hands them over (strings until checked). */
export interface MockCliOptions {
  host?: string;
  port?: string;
  sourcePort?: string;
  destPort?: string;
  count?: string;
  seed?: string;
  errorRate?: string;
  rateLimitedRate?: string;
  retryAfter?: string;
  retryAfterSeconds?: string;
  latencyMs?: string;
  rps?: string;
  lostAckRate?: string;
  errorAfterStoreRate?: string;
  tokenTtl?: string;
  tokenFaults?: boolean;
  faultsOn?: string;
  idempotency?: boolean;
  allowDuplicates?: boolean;
  saveRejections?: boolean;
  apiKey?: string;
  clientId?: string;
  clientSecret?: string;
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
const FAULTS_ON = ['both', 'source', 'destination'] as const;

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
    requestsPerSecond: numberOption('--rps', options.rps, { min: 0, max: 10_000_000 }),
    lostAckRate: numberOption('--lost-ack-rate', options.lostAckRate, { min: 0, max: 1 }),
    errorAfterStoreRate: numberOption('--error-after-store-rate', options.errorAfterStoreRate, {
      min: 0,
      max: 1,
    }),
    tokenEndpoint: options.tokenFaults,
  });
}

function shellQuote(value: string): string {
  return /^[A-Za-z0-9_./:@%+=,-]+$/.test(value) ? value : `'${value.replace(/'/g, `'\\''`)}'`;
}

/** Starts the chosen mocks, prints how to reach them, waits for `io.stopped`, then closes them. */
export async function runMock(which: MockWhich, options: MockCliOptions, io: MockIo): Promise<RunningMocks> {
  // Loaded here, not at the top, so `ferry --help` does not pay for fastify.
  const { startMockDestination, startMockSource } = await import('../mocks/index.ts');
  if (!['source', 'destination', 'all'].includes(which))
    throw usage(`expected source, destination or all, got "${which}"`);
  if (which === 'all' && options.port !== undefined)
    throw usage('--port names one server; with "all" use --source-port and --dest-port', {
      option: '--port',
    });
  const faultsOn = options.faultsOn ?? 'both';
  if (!(FAULTS_ON as readonly string[]).includes(faultsOn))
    throw usage(`--faults-on must be one of ${FAULTS_ON.join(', ')}, got "${faultsOn}"`, {
      option: '--faults-on',
    });
  const portLimits = { min: 0, max: 65_535, integer: true };
  const port = numberOption('--port', options.port, portLimits);
  const sourcePort = port ?? numberOption('--source-port', options.sourcePort, portLimits) ?? 0;
  const destPort = port ?? numberOption('--dest-port', options.destPort, portLimits) ?? 0;
  const count = numberOption('--count', options.count, {
    min: 0,
    max: Number.MAX_SAFE_INTEGER,
    integer: true,
  });
  const seed = numberOption('--seed', options.seed, { min: 0, max: 2 ** 32 - 1, integer: true });
  const tokenTtl = numberOption('--token-ttl', options.tokenTtl, { min: 1, max: 31_536_000, integer: true });
  const faults = faultsFromOptions(options);
  const host = options.host ?? '127.0.0.1';
  const logger = options.logRequests ?? false;

  const running: RunningMocks = { env: {} };
  try {
    if (which !== 'destination') {
      running.source = await startMockSource(
        defined({
          host,
          port: sourcePort,
          count,
          seed,
          apiKey: options.apiKey,
          logger,
          faults: faultsOn === 'destination' ? {} : faults,
        }),
      );
      running.env.SOURCE_URL = running.source.url;
      running.env.SOURCE_API_KEY = running.source.apiKey;
    }
    if (which !== 'source') {
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
          faults: faultsOn === 'source' ? {} : faults,
        }),
      );
      running.env.DEST_URL = running.destination.ordersUrl;
      running.env.DEST_TOKEN_URL = running.destination.tokenUrl;
      running.env.DEST_CLIENT_ID = running.destination.clientId;
      running.env.DEST_CLIENT_SECRET = running.destination.clientSecret;
    }
  } catch (error) {
    await Promise.allSettled([running.source?.close(), running.destination?.close()]);
    if (error instanceof FerryError) throw error;
    throw usage(`could not start the mock ${which}: ${(error as Error).message}`, { host });
  }

  if (options.json) {
    io.out(
      `${JSON.stringify({
        source: running.source && {
          url: running.source.url,
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
  await Promise.allSettled([running.source?.close(), running.destination?.close()]);
  io.err(`ferry mock ${which} stopped\n`);
  return running;
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

/** `ferry mock source|destination|all [options]`: runs the bundled mock APIs until SIGINT/SIGTERM. */
export function mockCommand(): Command {
  return new Command('mock')
    .description(
      'Run the bundled mock customer API (source) and/or order API (destination) with seeded faults',
    )
    .addArgument(new Argument('<which>', 'which mock to start').choices(['source', 'destination', 'all']))
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .option('--port <n>', 'port of the one mock started (0 = any free port)')
    .option('--source-port <n>', 'port of the source with "all" (default: any free port)')
    .option('--dest-port <n>', 'port of the destination with "all" (default: any free port)')
    .option('--count <n>', 'customers in the data set', '1000')
    .option('--seed <n>', 'seed of the data set and the fault draws', '42')
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
    .option('--rps <n>', 'rate limit in requests per second (token bucket, 429 past it)')
    .option('--lost-ack-rate <share>', 'destination: share of stored orders whose response is dropped')
    .option(
      '--error-after-store-rate <share>',
      'destination: share of stored orders answered 500 anyway (stored, then the server fails)',
    )
    .option('--token-ttl <seconds>', 'destination: access token lifetime', '3600')
    .option('--token-faults', 'destination: inject errors, 429s and latency at /oauth/token too')
    .addOption(
      new Option('--faults-on <which>', 'with "all": which mock gets the faults')
        .choices(['both', 'source', 'destination'])
        .default('both'),
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
    .option('--log-requests', 'log every request (pino) to stdout')
    .option('--json', 'print one JSON object instead of export lines')
    .addHelpText(
      'after',
      '\nExamples:\n  eval "$(npx ferry mock all &)"  # not recommended: prefer two terminals\n' +
        '  npx ferry mock all --count 5000 --error-rate 0.1 --rate-limited-rate 0.05 --lost-ack-rate 0.02 --token-ttl 2\n' +
        '  npx ferry mock destination --no-idempotency --allow-duplicates --port 4020\n',
    )
    .action(async (which: MockWhich, options: MockCliOptions) => {
      await runMock(which, options, {
        out: (text) => process.stdout.write(text),
        err: (text) => process.stderr.write(text),
        stopped: untilSignal(),
      });
    });
}
