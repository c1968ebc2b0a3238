import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Fastify, { type FastifyInstance } from 'fastify';
import { loadIntegration } from '../../src/integration/load-integration.ts';
import type { FaultOptions } from '../../src/mocks/fault-options.ts';
import { createLogger, type Logger } from '../../src/observability/logger.ts';
import type { InboxView, OperationsAccess } from '../../src/server/operations/operations-types.ts';
import {
  type OperationsOptions,
  registerOperations,
} from '../../src/server/operations/register-operations.ts';
import { openSqliteLedger, type SqliteLedger } from '../../src/state/sqlite-ledger.ts';
import { flagshipConfig } from './ferry-cli.ts';
import { type FlagshipMocks, startFlagshipMocks } from './flagship-mocks.ts';
import { createRunJobControl, type RunJobControl } from './run-job-control.ts';

const examples = fileURLToPath(new URL('../../examples/', import.meta.url));

/** One integration the harness loads: the flagship under a name, its mapping broken or not. */
export interface HarnessIntegration {
  readonly name: string;
  /**
   * Writes the mapping with a bug the destination catches (an empty region, no output schema): every valid
   * order is refused with a 400 and dead-lettered as failed, until `fixMapping` rewrites it.
   */
  readonly broken?: boolean;
}

/** A dashboard served in-process over a real ledger, real runs and the bundled mocks. */
export interface DashboardHarness {
  readonly app: FastifyInstance;
  /** `http://127.0.0.1:<port>` once listening (empty with `listen: false`: use app.inject). */
  readonly url: string;
  readonly ledger: SqliteLedger;
  readonly control: RunJobControl;
  readonly mocks: FlagshipMocks;
  readonly dir: string;
  /** The operator log lines (actions, unmasking) as objects. */
  readonly log: readonly Record<string, unknown>[];
  /** Rewrites the integration's mapping file to the working flagship mapping, as an engineer's fix would. */
  fixMapping(name: string): Promise<void>;
  /** Runs the integration and waits until it ended; resolves to the run id. */
  run(name: string): Promise<string>;
  close(): Promise<void>;
}

/** Options for startDashboard. */
export interface HarnessOptions {
  readonly integrations?: readonly HarnessIntegration[];
  readonly count?: number;
  readonly seed?: number;
  readonly perPage?: number;
  readonly sourceFaults?: FaultOptions;
  readonly destinationFaults?: FaultOptions;
  /** Beyond `host: 127.0.0.1`. */
  readonly access?: Partial<OperationsAccess>;
  /** Listen on 127.0.0.1:0 (browser tests) or not (inject only). @default true */
  readonly listen?: boolean;
  readonly operations?: OperationsOptions;
  /** The webhook inbox, as `ferry serve` will report it. */
  readonly inbox?: InboxView;
}

/**
 * The flagship's mapping with absolute schema paths, to write anywhere; `broken` leaves the region empty
 * and drops the output schema, so the destination refuses every valid order with a 400 (failed).
 */
export async function flagshipMappingText(broken: boolean): Promise<string> {
  let text = (await readFile(join(examples, 'customers-to-orders.mapping.yaml'), 'utf8')).replace(
    /schema: \.\/schemas\//g,
    `schema: ${join(examples, 'schemas')}/`,
  );
  if (broken) {
    text = text
      .replace(/\n {2}schema: \S*order\.schema\.json/, '')
      .replace(/(\n {6}region:\n {8}expr: ).*/, '$1\'""\'');
  }
  return text;
}

/**
 * Starts the bundled mock APIs, writes the integrations into a temporary directory, opens a SQLite ledger
 * there, and serves the dashboard with a control that runs them for real. What `ferry serve` will do,
 * short of schedules and webhooks.
 */
export async function startDashboard(options: HarnessOptions = {}): Promise<DashboardHarness> {
  const integrations = options.integrations ?? [{ name: 'customers-to-orders' }];
  const mocks = await startFlagshipMocks({
    count: options.count ?? 120,
    seed: options.seed ?? 7,
    ...(options.perPage ? { perPage: options.perPage } : {}),
    ...(options.sourceFaults ? { sourceFaults: options.sourceFaults } : {}),
    ...(options.destinationFaults ? { destinationFaults: options.destinationFaults } : {}),
  });
  const dir = await mkdtemp(join(tmpdir(), 'ferry-dashboard-'));
  const flagship = await readFile(flagshipConfig, 'utf8');
  const configs = [];
  for (const integration of integrations) {
    const mapping = join(dir, `${integration.name}.mapping.yaml`);
    await writeFile(mapping, await flagshipMappingText(integration.broken === true));
    const file = join(dir, `${integration.name}.yaml`);
    await writeFile(
      file,
      flagship
        .replace(/^name: .*$/m, `name: ${integration.name}`)
        .replace(/^mapping: .*$/m, `mapping: ${mapping}`),
    );
    configs.push(await loadIntegration(file, { ...mocks.env }));
  }
  const ledger = await openSqliteLedger(join(dir, 'state'));
  const quiet: Logger = createLogger({ level: 'silent' });
  const control = createRunJobControl({ ledger, configs, logger: quiet });
  const log: Record<string, unknown>[] = [];
  // A real logger, redaction included, whose lines the tests read back.
  const logger = createLogger({
    format: 'json',
    destination: { write: (line: string) => log.push(JSON.parse(line) as Record<string, unknown>) },
  });
  const app = Fastify({ logger: false });
  await registerOperations(
    app,
    {
      ledger,
      control,
      logger,
      access: { host: '127.0.0.1', ...options.access },
      ...(options.inbox ? { inbox: options.inbox } : {}),
    },
    options.operations,
  );
  let url = '';
  if (options.listen !== false) {
    await app.listen({ host: '127.0.0.1', port: 0 });
    const address = app.server.address();
    url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  } else {
    await app.ready();
  }
  return {
    app,
    url,
    ledger,
    control,
    mocks,
    dir,
    log,
    async fixMapping(name) {
      await writeFile(join(dir, `${name}.mapping.yaml`), await flagshipMappingText(false));
    },
    async run(name) {
      const { runId } = await control.runNow(name);
      await control.idle(name);
      if (!runId) throw new Error(`the run of ${name} did not start`);
      return runId;
    },
    async close() {
      await control.idle().catch(() => {});
      await app.close();
      await ledger.close();
      await mocks.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
