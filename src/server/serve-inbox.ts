import type { Ledger } from '../core/ledger-types.ts';
import type { IntegrationRunner } from './integration-runner.ts';
import type { InboxSummary, InboxView } from './operations/operations-types.ts';
import type { HookOutcome } from './server-metrics.ts';

/** The webhook inbox as the dashboard shows it, and the counter of what reached `/hooks/<name>`. */
export interface ServeInbox extends InboxView {
  /** Counts a delivery's outcome (the webhook routes report each one). */
  count(integration: string, outcome: HookOutcome): void;
}

/**
 * The inbox of every integration with a webhook source: what waits, from the ledger (right whichever
 * process changed it), and what was received, processed and refused since this server started.
 */
export function createServeInbox(options: {
  readonly ledger: Ledger;
  readonly runners: () => readonly IntegrationRunner[];
}): ServeInbox {
  const since = new Date().toISOString();
  const received = new Map<string, number>();
  const refused = new Map<string, Record<string, number>>();

  return {
    count(integration, outcome) {
      if (outcome === 'not_found') return;
      if (outcome === 'accepted') {
        received.set(integration, (received.get(integration) ?? 0) + 1);
        return;
      }
      const reasons = refused.get(integration) ?? {};
      const reason = outcome.replace(/^refused_/, '');
      reasons[reason] = (reasons[reason] ?? 0) + 1;
      refused.set(integration, reasons);
    },
    async summary(): Promise<InboxSummary[]> {
      const webhooks = options.runners().filter((runner) => runner.loaded.webhook);
      return Promise.all(
        webhooks.map(async (runner) => {
          const stats = await options.ledger.inboxStats(runner.name);
          return {
            integration: runner.name,
            pending: stats.pending,
            oldestPendingAt: stats.oldestPendingAt,
            received: received.get(runner.name) ?? 0,
            processed: runner.eventsProcessed(),
            refused: { ...refused.get(runner.name) },
            since,
          };
        }),
      );
    },
  };
}
