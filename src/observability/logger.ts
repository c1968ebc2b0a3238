import { createRequire } from 'node:module';
import { type LevelWithSilent, type Logger as PinoLogger, pino, stdSerializers } from 'pino';
import { FerryError } from '../core/errors.ts';
import { REDACTED, redactSecrets, redactValue } from '../core/secret-registry.ts';
import { createRedactingStream, type LineSink } from './redacting-stream.ts';

/** pino-pretty, loaded only for a person's terminal: off one (CI, files, the bench) nothing formats lines. */
function prettyFactoryOf(): typeof import('pino-pretty').prettyFactory {
  return (createRequire(import.meta.url)('pino-pretty') as typeof import('pino-pretty')).prettyFactory;
}

/** ferry's logger: pino's, so callers get child loggers and level methods as they know them. */
export type Logger = PinoLogger;

/** Options for createLogger. */
export interface LoggerOptions {
  /** @default 'info' */
  readonly level?: LevelWithSilent;
  /** 'auto' is pretty when the destination is a terminal, JSON lines otherwise. @default 'auto' */
  readonly format?: 'json' | 'pretty' | 'auto';
  /** Where lines go. @default process.stderr (stdout stays free for command output) */
  readonly destination?: LineSink;
  /** A second destination that gets every line as JSON whatever the format (the `--log-file`). */
  readonly copyTo?: LineSink;
  /** Mask emails and phone numbers in every string field. @default false */
  readonly maskPersonalData?: boolean;
  /** Fields every line carries. */
  readonly base?: { readonly runId?: string; readonly integration?: string };
}

/** Header names censored wherever a headers object is logged under a usual name. */
const HEADER_KEYS = [
  'authorization',
  'Authorization',
  'proxy-authorization',
  'Proxy-Authorization',
  'cookie',
  'Cookie',
  'set-cookie',
  'Set-Cookie',
  'x-api-key',
  'X-API-Key',
  'X-Api-Key',
];
/** Credential fields censored at the top level and one level down (`*.token`). */
const CREDENTIAL_KEYS = [
  'access_token',
  'refresh_token',
  'id_token',
  'client_secret',
  'apiKey',
  'api_key',
  'password',
  'token',
];
const HEADER_PARENTS = ['headers', 'req.headers', 'request.headers', 'res.headers', 'response.headers'];

function accessor(key: string): string {
  return /^[A-Za-z_$][\w$]*$/.test(key) ? `.${key}` : `["${key}"]`;
}

/**
 * pino redact paths. Leading `*` wildcards cost pino a lot per line (docs/performance.md), so paths stay
 * explicit and shallow here; the line pass in redacting-stream.ts censors the same keys at any depth and in
 * any case, far more cheaply.
 */
export function redactPaths(): string[] {
  const paths: string[] = [];
  for (const key of [...HEADER_KEYS, ...CREDENTIAL_KEYS]) paths.push(accessor(key).replace(/^\./, ''));
  for (const parent of HEADER_PARENTS) for (const key of HEADER_KEYS) paths.push(parent + accessor(key));
  for (const key of CREDENTIAL_KEYS) paths.push(`*${accessor(key)}`);
  return paths;
}

/** Serialises an error with its code, kind, details, message, stack and cause, every string redacted. */
export function serializeError(error: unknown): unknown {
  if (!(error instanceof Error)) return redactValue(error);
  const { stack, ...rest } = stdSerializers.errWithCause(error);
  // An expected failure (bad input, a refusing peer) is explained by its code and message; a stack with
  // source paths only helps for a bug, so it is kept for internal errors and plain Errors alone.
  const expected = error instanceof FerryError && error.kind !== 'internal';
  return redactValue(expected ? rest : { ...rest, stack });
}

/** Redacts a headers object case-insensitively wherever it is logged as `headers`. */
function serializeHeaders(headers: unknown): unknown {
  if (headers === null || typeof headers !== 'object') return redactValue(headers);
  const out: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(headers)) {
    out[name] = /^(authorization|proxy-authorization|cookie|set-cookie|x-api-key)$/i.test(name)
      ? REDACTED
      : redactValue(value);
  }
  return out;
}

function wantsPretty(format: LoggerOptions['format'], destination: LineSink): boolean {
  if (format === 'pretty') return true;
  if (format === 'json') return false;
  return destination.isTTY === true;
}

/**
 * Creates a logger that writes JSON lines (or pretty lines on a terminal) with secrets masked by
 * pino's path redaction and, as a final pass over every serialised line, by redactSecrets().
 */
export function createLogger(options: LoggerOptions = {}): Logger {
  const destination = options.destination ?? process.stderr;
  const pretty = wantsPretty(options.format ?? 'auto', destination);
  const format = pretty
    ? prettyFactoryOf()({
        colorize: destination.isTTY === true,
        translateTime: 'SYS:HH:MM:ss.l',
        ignore: 'pid,hostname',
        // One line per entry: a person reads them between progress-bar redraws.
        singleLine: true,
      })
    : undefined;
  const stream = createRedactingStream({
    destination,
    maskPersonalData: options.maskPersonalData === true,
    ...(format ? { format } : {}),
    ...(options.copyTo ? { copyTo: options.copyTo } : {}),
  });
  const base: Record<string, unknown> = { pid: process.pid };
  if (options.base?.runId !== undefined) base.runId = options.base.runId;
  if (options.base?.integration !== undefined) base.integration = options.base.integration;
  return pino(
    {
      level: options.level ?? 'info',
      base,
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      redact: { paths: redactPaths(), censor: REDACTED },
      serializers: {
        err: serializeError,
        error: serializeError,
        headers: serializeHeaders,
        url: (url: unknown) => (typeof url === 'string' ? redactSecrets(url) : redactValue(url)),
      },
    },
    stream,
  );
}
