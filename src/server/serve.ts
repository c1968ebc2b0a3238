import Fastify, { type FastifyInstance } from 'fastify';
import { createSharedTokens } from '../auth/shared-tokens.ts';
import { FerryError } from '../core/errors.ts';
import type { Ledger } from '../core/ledger-types.ts';
import type { ConfigEnv } from '../integration/resolve-integration.ts';
import type { Logger } from '../observability/logger.ts';
import { createMetrics, type Metrics } from '../observability/metrics.ts';
import { openCluster } from '../runtime/cluster-run.ts';
import { createEventNotifier, type EventNotifier } from '../runtime/ledger-inbox.ts';
import { type LedgerLocation, locateLedger } from '../runtime/locate-ledger.ts';
import { openLedger } from '../runtime/open-ledger.ts';
import { createIntegrationRunner, type IntegrationRunner } from './integration-runner.ts';
import {
  formatLoadProblems,
  type LoadedIntegration,
  type LoadProblem,
  loadIntegrations,
} from './load-integrations.ts';
import { assertSafeAccess } from './operations/access.ts';
import type { IntegrationControl, OperationsAccess, OperatorUser } from './operations/operations-types.ts';
import { registerOperations } from './operations/register-operations.ts';
import { createScheduleClock } from './schedule-clock.ts';
import { createServeControl } from './serve-control.ts';
import { createServeInbox } from './serve-inbox.ts';
import { createServerMetrics, type InboxFigures, type ServerMetrics } from './server-metrics.ts';
import { webhookRoutes } from './webhook-routes.ts';

/** How `ferry serve` is started. */
export interface ServeOptions {
  /** Integration files and folders of them. */
  readonly paths: readonly string[];
  /** --state: the ledger directory; else FERRY_STATE, else the one every integration names. */
  readonly state?: string;
  /** @default '127.0.0.1' */
  readonly host?: string;
  /** 0 for any free port. @default 8080 */
  readonly port?: number;
  readonly env: ConfigEnv;
  readonly logger: Logger;
  /** How long runs may settle what is in flight once asked to stop. @default 10000 */
  readonly graceMs?: number;
  /**
   * The token of the operations API and the dashboard (`Authorization: Bearer`, or the sign-in page).
   * With neither it nor users, they need no sign-in, and listening beyond loopback is refused.
   */
  readonly apiToken?: string;
  /** People who sign in to the dashboard, with scrypt hashes from `ferry hash-password`. */
  readonly users?: readonly OperatorUser[];
  /** Host names besides loopback and `host` that requests may name (a reverse proxy's). */
  readonly allowedHosts?: readonly string[];
  /** Mark the dashboard's cookies Secure: it is reached over TLS (a proxy in front). @default false */
  readonly secureCookies?: boolean;
  /** A ledger to use instead of the SQLite one of the state directory (tests). */
  readonly ledger?: Ledger;
  /** Delay before an integration fed by events retries a failed run; doubles up to 5 minutes. @default 5000 */
  readonly retryBaseMs?: number;
  /** How often processed inbox events past their dedup window are forgotten. @default 1 hour */
  readonly pruneEveryMs?: number;
}

/** A running `ferry serve`. */
export interface Serve {
  /** http://host:port */
  readonly url: string;
  readonly app: FastifyInstance;
  /** Where its ledger is. */
  readonly state: LedgerLocation | undefined;
  /** The integrations served, by name. */
  runners(): readonly IntegrationRunner[];
  /** What the dashboard and the operations API act through, and the events they show. */
  readonly control: IntegrationControl;
  /**
   * Loads every file again and applies them, or keeps the integrations running when any is invalid;
   * resolves to the problems found (none when applied).
   */
  reload(): Promise<readonly LoadProblem[]>;
  /**
   * Stops: webhooks are answered 503 with Retry-After, no run starts, runs going on settle what is in flight
   * for up to the grace period, then the server and the ledger close. Calling it again waits for the same end.
   */
  stop(): Promise<void>;
}

/** Everything that belongs to one served integration besides its runner. */
interface Served {
  readonly runner: IntegrationRunner;
  readonly notifier: EventNotifier | undefined;
}

/**
 * Starts `ferry serve`: loads and validates every integration (refusing to start, with every problem
 * listed, when any is invalid), opens the ledger, resumes what a stop or a crash left unfinished, starts
 * the schedules and listens for webhooks, health checks, metrics and the API.
 */
export async function startServe(options: ServeOptions): Promise<Serve> {
  const { logger, env } = options;
  const graceMs = options.graceMs ?? 10_000;
  const host = options.host ?? '127.0.0.1';
  const access: OperationsAccess = {
    host,
    ...(options.apiToken === undefined ? {} : { token: options.apiToken }),
    ...(options.users && options.users.length > 0 ? { users: options.users } : {}),
    ...(options.allowedHosts ? { allowedHosts: options.allowedHosts } : {}),
    ...(options.secureCookies ? { secureCookies: true } : {}),
  };
  // Before anything is opened: an unsafe binding is a usage error, not a half-started server.
  assertSafeAccess(access);
  const first = await loadIntegrations(options.paths, env);
  if (!first.ok) throw refusal(first.problems, 'ferry serve cannot start');

  let state: LedgerLocation | undefined;
  let ledger: Ledger;
  if (options.ledger) {
    ledger = options.ledger;
  } else {
    state = await stateOf(first.integrations, options.state, env);
    const opened = await openLedger(state);
    try {
      // One process per SQLite state directory: a `ferry run` or a second serve on it is refused, not
      // interleaved. A PostgreSQL ledger locks each integration's run on its own, in startRun.
      if ('acquireRunLock' in opened && typeof opened.acquireRunLock === 'function') opened.acquireRunLock();
    } catch (error) {
      await opened.close();
      throw error;
    }
    ledger = opened;
    if (opened.created)
      logger.warn({ ledger: state.display }, `no ledger found at ${state.display}: starting a new one`);
  }

  // On PostgreSQL the runs share their pages with `ferry worker` processes through the work queue.
  let cluster: Awaited<ReturnType<typeof openCluster>>;
  try {
    cluster = options.ledger
      ? undefined
      : await openCluster(ledger, (error) =>
          logger.warn({ error }, 'the work queue cannot reach PostgreSQL; retrying'),
        );
  } catch (error) {
    await ledger.close();
    throw error;
  }

  const metrics: Metrics = createMetrics({ perIntegration: true });
  const served = new Map<string, Served>();
  let stopping = false;
  const serverMetrics: ServerMetrics = createServerMetrics(metrics.registry, {
    inbox: () => inboxFigures(ledger, [...served.values()]),
  });
  const runners = () => [...served.values()].map((entry) => entry.runner);
  const control = createServeControl({ runners, logger });
  const inbox = createServeInbox({ ledger, runners });
  const context = {
    ledger,
    logger,
    runMetrics: (name: string) => metrics.forIntegration(name),
    serverMetrics,
    sharedTokens: createSharedTokens(),
    onEvent: control.runnerEvent,
    ...(cluster ? { cluster } : {}),
    ...(options.retryBaseMs === undefined ? {} : { retryBaseMs: options.retryBaseMs }),
  };

  const add = (loaded: LoadedIntegration): Served => {
    const notifier = loaded.webhook ? createEventNotifier() : undefined;
    const entry: Served = {
      runner: createIntegrationRunner(loaded, context, notifier),
      notifier,
    };
    served.set(loaded.config.name, entry);
    metrics.forIntegration(loaded.config.name);
    return entry;
  };

  const app = Fastify({ logger: false, forceCloseConnections: true });
  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/readyz', async (_request, reply) => {
    const problems: string[] = [];
    if (stopping) problems.push('stopping');
    try {
      await ledger.listRuns({ limit: 1 });
    } catch (error) {
      problems.push(`ledger unreachable: ${error instanceof Error ? error.message : String(error)}`);
    }
    if (problems.length > 0) return reply.code(503).send({ status: 'not_ready', problems });
    return { status: 'ready', integrations: served.size };
  });
  app.get('/metrics', async (_request, reply) => {
    const text = await metrics.registry.metrics();
    return reply.type(metrics.registry.contentType).send(text);
  });
  await app.register(webhookRoutes, {
    ledger,
    logger,
    metrics: {
      ...serverMetrics,
      hook: (name, outcome) => {
        serverMetrics.hook(name, outcome);
        inbox.count(name, outcome);
      },
    },
    lookup: (name: string) => served.get(name)?.runner.loaded,
    stopping: () => stopping,
    accepted: (name: string) => {
      const entry = served.get(name);
      entry?.notifier?.notify();
      entry?.runner.trigger('events');
    },
  });
  // The dashboard and the operations API, in a scope of their own: their Host allow-list, sign-in, CSRF
  // and CSP guard them, not webhooks, health checks or metrics.
  await registerOperations(app, { ledger, control, inbox, access, logger });

  for (const loaded of first.integrations) add(loaded);
  serverMetrics.integrations(served.size);

  let url: string;
  try {
    url = await app.listen({ host, port: options.port ?? 8080 });
  } catch (error) {
    await cluster?.close();
    if (!options.ledger) await ledger.close();
    const { code } = error as { code?: string };
    throw new FerryError(
      'FERRY_ERR_USAGE',
      `cannot listen on ${host}:${options.port ?? 8080}: ${code ?? String(error)}`,
      { cause: error },
    );
  }

  const prune = async () => {
    for (const { runner } of served.values()) {
      const webhook = runner.loaded.webhook;
      if (!webhook) continue;
      const before = new Date(Date.now() - webhook.options.dedup_window).toISOString();
      try {
        const forgotten = await ledger.inboxPrune(runner.name, before);
        if (forgotten > 0)
          logger.info({ integration: runner.name, forgotten }, 'forgot processed webhook events');
      } catch (error) {
        logger.error({ err: error, integration: runner.name }, 'pruning the inbox failed');
      }
    }
  };
  const pruneTimer = setInterval(() => void prune(), options.pruneEveryMs ?? 3_600_000);
  pruneTimer.unref();
  await prune();

  for (const entry of served.values()) {
    await startUp(entry, ledger, logger);
    entry.runner.startSchedule();
  }
  logger.info(
    { url, integrations: [...served.keys()], ...(state ? { ledger: state.display } : {}) },
    `serving ${served.size} integration${served.size === 1 ? '' : 's'} on ${url}`,
  );
  logger.info({ dashboard: `${url}/` }, `dashboard: ${url}/`);

  let stopped: Promise<void> | undefined;
  let reloading = Promise.resolve<readonly LoadProblem[]>([]);

  const reload = async (): Promise<readonly LoadProblem[]> => {
    const next = await loadIntegrations(options.paths, env);
    if (!next.ok) {
      serverMetrics.reload('refused');
      logger.error(
        { problems: next.problems },
        `reload refused; the integrations loaded before keep running:\n${formatLoadProblems(next.problems)}`,
      );
      return next.problems;
    }
    if (state && !options.state) {
      const nextDir = await stateOf(next.integrations, undefined, env).then(
        (location) => location.display,
        () => undefined,
      );
      if (nextDir !== state.display) {
        const problem: LoadProblem = {
          file: options.paths.join(', '),
          code: 'FERRY_ERR_USAGE',
          message: `the ledger would move from ${state.display}; a reload cannot move it: restart ferry serve`,
        };
        serverMetrics.reload('refused');
        logger.error({ problems: [problem] }, `reload refused: ${problem.message}`);
        return [problem];
      }
    }
    if (stopping) return [];
    const names = new Set(next.integrations.map((loaded) => loaded.config.name));
    for (const [name, entry] of served) {
      if (names.has(name)) continue;
      served.delete(name);
      serverMetrics.forget(name);
      // A removed integration's run settles as at a stop; its webhooks are answered 404 from now on.
      void entry.runner.stop(graceMs);
      logger.info({ integration: name }, 'integration removed by a reload');
    }
    for (const loaded of next.integrations) {
      const entry = served.get(loaded.config.name);
      if (entry) {
        // The run going on keeps its config; the next one takes this. An unchanged schedule keeps its cadence.
        entry.runner.loaded = loaded;
      } else {
        const added = add(loaded);
        logger.info({ integration: loaded.config.name }, 'integration added by a reload');
        await startUp(added, ledger, logger);
        added.runner.startSchedule();
      }
    }
    serverMetrics.integrations(served.size);
    serverMetrics.reload('applied');
    logger.info({ integrations: [...served.keys()] }, `reloaded: serving ${served.size} integrations`);
    return [];
  };

  return {
    url,
    app,
    state,
    runners,
    control,
    reload: () => {
      // One reload at a time, in the order asked.
      reloading = reloading.then(reload, reload);
      return reloading;
    },
    stop: () => {
      stopped ??= (async () => {
        stopping = true;
        clearInterval(pruneTimer);
        logger.info({ graceMs }, `stopping: runs settle what is in flight (up to ${graceMs / 1000}s)`);
        await Promise.allSettled([...served.values()].map((entry) => entry.runner.stop(graceMs)));
        await app.close();
        await cluster?.close();
        if (!options.ledger) await ledger.close();
        logger.info('stopped');
      })();
      return stopped;
    },
  };
}

/**
 * What an integration does when serve starts: resume a run a stop or a crash left unfinished, take the
 * events waiting in its inbox, or run once when its schedule was due while serve was down (on_start: run).
 */
async function startUp(entry: Served, ledger: Ledger, logger: Logger): Promise<void> {
  const { runner } = entry;
  const { config, webhook } = runner.loaded;
  const [last] = await ledger.listRuns({ integration: config.name, limit: 1 });
  if (last && (last.status === 'running' || last.status === 'crashed' || last.status === 'interrupted')) {
    logger.info({ integration: config.name, runId: last.id, status: last.status }, 'resuming the last run');
    runner.trigger('start');
    return;
  }
  if (webhook && (await ledger.inboxStats(config.name)).pending > 0) {
    runner.trigger('events');
    return;
  }
  const schedule = config.schedule;
  if (schedule?.onStart === 'run') {
    const due = !last || createScheduleClock(schedule).dueBetween(Date.parse(last.startedAt), Date.now());
    if (due) runner.trigger('start');
  }
}

/** The inbox figures of every integration with a webhook source, for a scrape. */
async function inboxFigures(ledger: Ledger, entries: readonly Served[]): Promise<InboxFigures[]> {
  const now = Date.now();
  const out: InboxFigures[] = [];
  for (const { runner } of entries) {
    if (!runner.loaded.webhook) continue;
    const stats = await ledger.inboxStats(runner.name);
    const oldest = stats.oldestPendingAt === null ? now : Date.parse(stats.oldestPendingAt);
    out.push({
      integration: runner.name,
      pending: stats.pending,
      oldestPendingSeconds: Math.max(0, (now - oldest) / 1000),
    });
  }
  return out;
}

/**
 * The ledger of the served integrations: --state, else FERRY_STATE, else the one each integration's file
 * names (its `state:`, else .ferry/ beside it), which must then be the same for all of them.
 */
async function stateOf(
  integrations: readonly LoadedIntegration[],
  flag: string | undefined,
  env: ConfigEnv,
): Promise<LedgerLocation> {
  if (flag !== undefined || (env.FERRY_STATE !== undefined && env.FERRY_STATE !== '')) {
    return locateLedger({ flag, env });
  }
  const locations = await Promise.all(
    integrations.map(({ config, file }) =>
      locateLedger({
        flag: undefined,
        env: {},
        config: { file, setting: async () => ({ state: config.state, baseDir: config.baseDir }) },
      }),
    ),
  );
  const dirs = [...new Set(locations.map((l) => l.display))];
  if (dirs.length === 1) return locations[0]!;
  throw new FerryError(
    'FERRY_ERR_USAGE',
    `the integrations keep their ledgers in different places (${dirs.join(', ')}); ferry serve keeps one: give --state DIR or set FERRY_STATE`,
  );
}

function refusal(problems: readonly LoadProblem[], headline: string): FerryError {
  const code = problems.every((p) => p.code === 'FERRY_ERR_CONFIG_ENV_MISSING')
    ? 'FERRY_ERR_CONFIG_ENV_MISSING'
    : 'FERRY_ERR_CONFIG_INVALID';
  return new FerryError(
    code,
    `${headline}: ${problems.length} problem${problems.length === 1 ? '' : 's'}\n${formatLoadProblems(problems)}`,
    { details: { problems } },
  );
}
