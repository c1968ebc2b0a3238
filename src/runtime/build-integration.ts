import { readFile } from 'node:fs/promises';
import type { SharedTokens } from '../auth/shared-tokens.ts';
import { sinkSpecs, sourceSpecs } from '../connectors/registry.ts';
import type {
  ConnectorContext,
  HttpStack,
  HttpStackOptions,
  SinkSpec,
  SourceSpec,
} from '../connectors/spec.ts';
import type { ConcurrencyLimit } from '../core/concurrency-limit.ts';
import type { InboxReader, SinkConnector, SourceConnector } from '../core/connector-types.ts';
import { FerryError } from '../core/errors.ts';
import type { IntegrationConfig } from '../integration/integration-schema.ts';
import { loadMapping } from '../mapping/load-mapping.ts';
import type { CompiledMapping } from '../mapping/mapping-types.ts';
import type { Logger } from '../observability/logger.ts';
import type { RunObserver as MetricsObserver } from '../observability/run-observer.ts';
import { createHttpStack, type StackEnvironment } from './http-stack.ts';
import { toHttpObserver } from './http-telemetry.ts';

/** An integration wired and ready to run: its mapping and its two connectors. */
export interface BuiltIntegration {
  readonly config: IntegrationConfig;
  readonly mapping: CompiledMapping;
  readonly source: SourceConnector;
  readonly sink: SinkConnector;
  /** Records in flight at once: --concurrency, else the destination's own limit (which may move). */
  readonly concurrency: number | ConcurrencyLimit;
  close(): Promise<void>;
}

/** Overrides from the command line and hooks for observability. */
export interface BuildOptions {
  /** --concurrency wins over the destination's concurrency. */
  readonly concurrency?: number;
  /** Receives HTTP, breaker, limiter and token events (metrics and the run report). */
  readonly observer?: MetricsObserver;
  /** Retries, rate-limit waits and network errors are logged here, with endpoint and attempt. */
  readonly logger?: () => Logger;
  /**
   * One try per request, no breaker or limiter: for `ferry check`, which reports a failure at once instead
   * of riding it out. @default false
   */
  readonly tryOnce?: boolean;
  /** The integration's inbox of pushed events, for a webhook source; none in a dry run or a check. */
  readonly inbox?: InboxReader;
  /** Token caches shared by the runs of a long-lived process (ferry serve). */
  readonly sharedTokens?: SharedTokens;
  /** The destination's pace and breaker as a cluster shares them (see StackEnvironment.shared). */
  readonly shared?: StackEnvironment['shared'];
}

const DEFAULT_CONCURRENCY = 16;

/** Builds the mapping and the registered connectors an integration names. */
export async function buildIntegration(
  config: IntegrationConfig,
  options: BuildOptions = {},
): Promise<BuiltIntegration> {
  const mapping = await loadMapping(config.mappingPath);
  const ca = config.options.caFile ? await readCaFile(config.options.caFile) : undefined;
  const observer = options.observer;
  const stacks: HttpStack[] = [];
  const context: ConnectorContext = {
    integration: config.name,
    baseDir: config.baseDir,
    allowInsecureHttp: config.options.dangerouslyAllowInsecureHttp,
    ignoreFields: mapping.fields.filter((f) => !f.compare).map((f) => f.path),
    ...(options.concurrency === undefined ? {} : { concurrency: options.concurrency }),
    ...(options.inbox === undefined ? {} : { inbox: options.inbox }),
    http(requested) {
      const stackOptions = options.tryOnce ? singleTry(requested) : requested;
      const stack = createHttpStack(stackOptions, {
        observer: toHttpObserver(observer, options.logger),
        allowInsecureHttp: config.options.dangerouslyAllowInsecureHttp,
        baseDir: config.baseDir,
        ...(ca ? { ca } : {}),
        ...(options.sharedTokens ? { sharedTokens: options.sharedTokens } : {}),
        ...(options.shared ? { shared: options.shared } : {}),
        ...(observer ? { onTokenRefresh: (reason) => observer.tokenRefresh({ reason }) } : {}),
      });
      stacks.push(stack);
      return stack;
    },
  };
  const close = async () => {
    await Promise.allSettled(stacks.map((stack) => stack.close()));
  };
  try {
    const source = await specOf(sourceSpecs, config.source.type, 'source').create(
      config.source.options,
      context,
    );
    const sink = await specOf(sinkSpecs, config.destination.type, 'destination').create(
      config.destination.options,
      context,
    );
    return {
      config,
      mapping,
      source,
      sink,
      concurrency: options.concurrency ?? sink.concurrency ?? DEFAULT_CONCURRENCY,
      close: async () => {
        await Promise.allSettled([source.close(), sink.close()]);
        await close();
      },
    };
  } catch (error) {
    await close();
    throw error;
  }
}

function singleTry(options: HttpStackOptions): HttpStackOptions {
  const { circuitBreaker: _breaker, rateLimit: _limiter, ...rest } = options;
  return { ...rest, retry: { ...options.retry, maxAttempts: 1 } };
}

/** The registered spec of a type; the schema admitted only registered types, so a miss is a bug. */
function specOf<Spec extends SourceSpec | SinkSpec>(
  specs: readonly Spec[],
  type: string,
  side: string,
): Spec {
  const spec = specs.find((s) => s.type === type);
  if (!spec) throw new FerryError('FERRY_ERR_INTERNAL', `no ${side} connector of type ${type} is registered`);
  return spec;
}

async function readCaFile(path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (cause) {
    throw new FerryError('FERRY_ERR_CONFIG_NOT_FOUND', `cannot read options.ca_file ${path}`, { cause });
  }
}
