import type { z } from 'zod';
import type { AuthConfig } from '../config/auth-schema.ts';
import type { CircuitBreakerConfig } from '../config/circuit-breaker-schema.ts';
import type { ConcurrencyConfig } from '../config/concurrency-schema.ts';
import type { RateLimitConfig } from '../config/rate-limit-schema.ts';
import type { RetryConfig } from '../config/retry-schema.ts';
import type { TimeoutsConfig } from '../config/timeouts-schema.ts';
import type { TlsConfig } from '../config/tls-schema.ts';
import type { ConcurrencyLimit } from '../core/concurrency-limit.ts';
import type { InboxReader, SinkConnector, SourceConnector } from '../core/connector-types.ts';
import type { HttpRequest, HttpResponse, ResponseAction, Send } from '../core/http-types.ts';
import type { ResponseRule } from '../http/classify.ts';

/**
 * What a connector's HTTP stack is built from. The runtime composes it in the one fixed order (retry,
 * redirect, breaker, rate limit, auth, classify, transport), observed by the run's metrics and logs.
 */
export interface HttpStackOptions {
  /** Names the endpoint in metrics, logs and messages ("source", "destination"). */
  readonly endpoint: string;
  readonly auth: AuthConfig;
  /** Origins (scheme://host:port) credentials may be sent to; every other origin gets none. */
  readonly origins: readonly string[];
  readonly retry: RetryConfig;
  readonly timeouts: TimeoutsConfig;
  readonly maxResponseBytes: number;
  /** Connections kept open to the origin. */
  readonly connections: number;
  /**
   * A destination's records in flight: fixed, or adaptive (the stack then measures each request's round trip
   * and push-back, and moves the limit). None on a source.
   */
  readonly concurrency?: ConcurrencyConfig;
  /**
   * Which requests' round trips an adaptive concurrency judges: a sink's writes, not its lookups, whose far
   * shorter round trips would read as a falling latency whenever more of them are in flight. Every request
   * still counts as in flight, and a push-back (429, 503, timeout) from any of them. @default every request
   */
  readonly concurrencyMeasures?: (request: HttpRequest) => boolean;
  /** The user's `responses` rules, tried first. */
  readonly rules?: readonly ResponseRule[];
  /**
   * The protocol's own reading of a response, tried after the user's rules and before the status
   * defaults: a SOAP fault or GraphQL errors in a body. undefined leaves the response to the defaults.
   */
  readonly classifyBody?: (response: HttpResponse) => ResponseAction | undefined;
  /** A destination's client-side limiter; none on a source. */
  readonly rateLimit?: RateLimitConfig;
  /** A destination's circuit breaker; none on a source. */
  readonly circuitBreaker?: CircuitBreakerConfig & {
    /** Which answers prove the destination recovered (sends, not lookups). @default every request */
    readonly provesRecovery?: (request: HttpRequest) => boolean;
  };
  readonly tls?: TlsConfig;
  /**
   * Header that makes a POST safe to resend; null when there is none, or when a lookup must judge every
   * resend because the destination may ignore the key.
   */
  readonly idempotencyKeyHeader?: string | null;
  /**
   * Asked before resending a request whose first try may have been stored; the sink looks the record up.
   * Filled in after the sink is made, hence a getter.
   */
  readonly canResend?: () => ((request: HttpRequest) => Promise<boolean>) | undefined;
}

/** A composed HTTP stack. */
export interface HttpStack {
  readonly send: Send;
  /** Starts fetching credentials (a token) without waiting; the runtime calls it as a run starts. */
  prepare(): void;
  /** The limit in force, when the options had a `concurrency`: the sink hands it to the engine. */
  readonly concurrency?: ConcurrencyLimit;
  close(): Promise<void>;
}

/** What the runtime hands a connector's factory. */
export interface ConnectorContext {
  /** The integration's name (the ledger's key for it). */
  readonly integration: string;
  /** Relative paths in the options resolve against it (the integration file's directory). */
  readonly baseDir: string;
  /** options.dangerously_allow_insecure_http. */
  readonly allowInsecureHttp: boolean;
  /** Builds ferry's HTTP stack; the runtime closes it after the run. */
  http(options: HttpStackOptions): HttpStack;
  /** Dot paths of mapped fields marked `compare: false`: a lookup ignores them when comparing. */
  readonly ignoreFields: readonly string[];
  /** --concurrency, when given: wins over the connector's own setting. */
  readonly concurrency?: number;
  /** The integration's inbox of pushed events (webhooks), when the run has a ledger; a dry run has none. */
  readonly inbox?: InboxReader;
}

/** What the reference docs and `ferry connectors show` say about a connector. */
export interface ConnectorDocs {
  /** "CSV file". */
  readonly title: string;
  /** One line for `ferry connectors`. */
  readonly summary: string;
  /** Markdown: what it does, how it keeps the guarantees, what it cannot do. */
  readonly description: string;
  /** A complete YAML block (`source:` or `destination:`), shown as the example. */
  readonly example: string;
}

/**
 * One source type: its id (the `type:` users write), its options schema (without `type`), its docs and
 * its factory. The factory receives the schema's output: no second, hand-written options type.
 */
export interface SourceSpec<Options extends z.ZodObject = z.ZodObject> {
  readonly kind: 'source';
  readonly type: string;
  readonly options: Options;
  readonly docs: ConnectorDocs;
  create(options: z.output<Options>, context: ConnectorContext): SourceConnector | Promise<SourceConnector>;
}

/** What `ferry validate` tells a destination of a mapping: the output fields it writes. */
export interface MappingOutline {
  readonly fields: readonly {
    /** Dot path in the mapped value (`Order.Customer.Email`). */
    readonly path: string;
    /** The expression may give nothing for some records (`cond ? value` without an else), leaving it out. */
    readonly mayBeAbsent: boolean;
  }[];
}

/** One thing a mapping gets wrong about what a destination takes. */
export interface MappingCheckProblem {
  /** Dot path of the mapping's output field it is about (or of the object that lacks an element). */
  readonly field: string;
  /** An error fails `ferry validate`; a warning does under `--strict`; a note only informs. */
  readonly severity: 'error' | 'warning' | 'note';
  readonly message: string;
}

/** One destination type, as SourceSpec. */
export interface SinkSpec<Options extends z.ZodObject = z.ZodObject> {
  readonly kind: 'sink';
  readonly type: string;
  readonly options: Options;
  readonly docs: ConnectorDocs;
  create(options: z.output<Options>, context: ConnectorContext): SinkConnector | Promise<SinkConnector>;
  /**
   * Checks a mapping against what the destination declares it takes (a WSDL operation's input), for
   * `ferry validate`: it may read a description the options name (a WSDL), never send a record. Throws a
   * FerryError when the description cannot be read.
   */
  checkMapping?(
    options: z.output<Options>,
    mapping: MappingOutline,
    context: ConnectorContext,
  ): Promise<readonly MappingCheckProblem[]>;
}

/** Declares a source type; list it in registry.ts. */
export function defineSource<Options extends z.ZodObject>(
  spec: Omit<SourceSpec<Options>, 'kind'>,
): SourceSpec<Options> {
  return { kind: 'source', ...spec };
}

/** Declares a destination type; list it in registry.ts. */
export function defineSink<Options extends z.ZodObject>(
  spec: Omit<SinkSpec<Options>, 'kind'>,
): SinkSpec<Options> {
  return { kind: 'sink', ...spec };
}
