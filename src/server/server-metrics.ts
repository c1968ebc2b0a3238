import { Counter, Gauge, type Registry } from 'prom-client';
import { boundedLabel } from '../observability/metrics.ts';

/** What started a run under `ferry serve`; `replay` is an operator's replay of dead letters. */
export type Trigger = 'schedule' | 'events' | 'manual' | 'start' | 'retry' | 'replay';

/** What became of an event offered at POST /hooks/<name>. */
export type HookOutcome =
  | 'accepted'
  | 'duplicate'
  | 'stale'
  | 'ignored'
  | 'refused_signature'
  | 'refused_size'
  | 'refused_json'
  | 'refused_id'
  | 'full'
  | 'stopping'
  | 'not_found'
  | 'error';

/** The inbox of one integration, as a scrape sees it. */
export interface InboxFigures {
  readonly integration: string;
  readonly pending: number;
  /** Age of the oldest pending event, in seconds; 0 when none waits. */
  readonly oldestPendingSeconds: number;
}

/** The scheduler's and the inbox's own figures, beside every run's metrics. */
export interface ServerMetrics {
  runStarted(integration: string, trigger: Trigger): void;
  /** `status` is the run's status, or `error` when it could not run at all. */
  runFinished(integration: string, trigger: Trigger, status: string): void;
  tickSkipped(integration: string): void;
  nextRunAt(integration: string, at: number | null): void;
  hook(integration: string, outcome: HookOutcome): void;
  reload(outcome: 'applied' | 'refused'): void;
  integrations(count: number): void;
  /** Forgets the gauges of an integration no longer served. */
  forget(integration: string): void;
}

/**
 * Registers ferry serve's own metrics on the registry that also holds the runs' metrics. The inbox gauges
 * are read from the ledger when scraped, so they are right whichever process or run changed the inbox.
 */
export function createServerMetrics(
  registry: Registry,
  options: { readonly inbox: () => Promise<readonly InboxFigures[]>; readonly maxIntegrations?: number },
): ServerMetrics {
  const label = boundedLabel(options.maxIntegrations ?? 256);
  const registers = [registry];
  const runs = new Counter({
    name: 'ferry_scheduler_runs_total',
    help: 'Runs ferry serve started, by integration, what started them (schedule, events, manual, start, retry, replay) and how they ended.',
    labelNames: ['integration', 'trigger', 'status'],
    registers,
  });
  const running = new Gauge({
    name: 'ferry_scheduler_running',
    help: '1 while a run of the integration goes on.',
    labelNames: ['integration'],
    registers,
  });
  const skipped = new Counter({
    name: 'ferry_scheduler_ticks_skipped_total',
    help: 'Schedule ticks that came while a run of the integration went on (skipped, not queued).',
    labelNames: ['integration'],
    registers,
  });
  const nextRun = new Gauge({
    name: 'ferry_scheduler_next_run_timestamp_seconds',
    help: 'When the next scheduled tick of the integration is due (before jitter), in seconds since the epoch.',
    labelNames: ['integration'],
    registers,
  });
  const hooks = new Counter({
    name: 'ferry_webhook_requests_total',
    help: 'Events offered at POST /hooks/<integration>, by outcome (accepted, duplicate, stale, ignored, refused_signature, refused_size, refused_json, refused_id, full, stopping, not_found, error); not_found under integration "unknown", whatever name was asked for.',
    labelNames: ['integration', 'outcome'],
    registers,
  });
  const reloads = new Counter({
    name: 'ferry_config_reloads_total',
    help: 'SIGHUP reloads, applied or refused (an invalid config keeps the one running).',
    labelNames: ['outcome'],
    registers,
  });
  const loaded = new Gauge({
    name: 'ferry_integrations_loaded',
    help: 'Integrations ferry serve runs.',
    registers,
  });
  let inboxRead: Promise<readonly InboxFigures[]> | undefined;
  // One read of the ledger per scrape serves both gauges.
  const figures = () => {
    inboxRead ??= options.inbox().finally(() => {
      inboxRead = undefined;
    });
    return inboxRead;
  };
  new Gauge({
    name: 'ferry_inbox_pending_events',
    help: "Events stored in the integration's inbox and not processed yet.",
    labelNames: ['integration'],
    registers,
    async collect() {
      this.reset();
      for (const f of await figures()) this.set({ integration: label(f.integration) }, f.pending);
    },
  });
  new Gauge({
    name: 'ferry_inbox_oldest_pending_seconds',
    help: "Age of the oldest event waiting in the integration's inbox (0 when none waits).",
    labelNames: ['integration'],
    registers,
    async collect() {
      this.reset();
      for (const f of await figures())
        this.set({ integration: label(f.integration) }, f.oldestPendingSeconds);
    },
  });
  reloads.inc({ outcome: 'applied' }, 0);
  reloads.inc({ outcome: 'refused' }, 0);

  return {
    runStarted(integration) {
      running.set({ integration: label(integration) }, 1);
    },
    runFinished(integration, trigger, status) {
      running.set({ integration: label(integration) }, 0);
      runs.inc({ integration: label(integration), trigger, status });
    },
    tickSkipped(integration) {
      skipped.inc({ integration: label(integration) });
    },
    nextRunAt(integration, at) {
      if (at === null) nextRun.remove({ integration: label(integration) });
      else nextRun.set({ integration: label(integration) }, at / 1000);
    },
    hook(integration, outcome) {
      hooks.inc({ integration: label(integration), outcome });
    },
    reload(outcome) {
      reloads.inc({ outcome });
    },
    integrations(count) {
      loaded.set(count);
    },
    forget(integration) {
      running.remove({ integration: label(integration) });
      nextRun.remove({ integration: label(integration) });
    },
  };
}
