import { FerryError } from '../../core/errors.ts';
import type { DeadLetter, DeadLetterFilter, Ledger } from '../../core/ledger-types.ts';
import { selectDeadLetters } from '../../inspection/dead-letters-page.ts';
import type { Logger } from '../../observability/logger.ts';
import type { IntegrationControl, IntegrationStatus, ReplayStatus } from './operations-types.ts';

/** Which dead letters an action takes: these ids, or every letter a filter matches. */
export type DeadLetterSelection = { readonly ids: readonly number[] } | { readonly filter: DeadLetterFilter };

/** What a purge deleted, or with dryRun would. */
export interface PurgeResult {
  readonly dryRun: boolean;
  readonly count: number;
  /** With dryRun: the first ids it would delete. */
  readonly ids: readonly number[];
}

const LISTED_IDS = 100;

/**
 * The operator's actions, the same for the API and the pages, each logged with who asked: run now, pause,
 * resume, stop, replay and purge dead letters.
 */
export function createOperationsActions(deps: {
  readonly ledger: Ledger;
  readonly control: IntegrationControl;
  readonly logger: Pick<Logger, 'info' | 'warn'>;
}) {
  const { ledger, control, logger } = deps;

  const known = (name: string): IntegrationStatus => {
    const status = control.get(name);
    if (!status) throw new FerryError('FERRY_ERR_NOT_FOUND', `no integration ${name} on this server`);
    return status;
  };

  /** The open letters a selection takes, by integration (resolved ones have nothing left to replay). */
  async function openLetters(selection: DeadLetterSelection): Promise<Map<string, DeadLetter[]>> {
    const groups = await selectDeadLetters(ledger, selection);
    for (const [integration, letters] of groups) {
      const open = letters.filter((l) => l.resolvedAt === null);
      if (open.length === 0) groups.delete(integration);
      else groups.set(integration, open);
    }
    return groups;
  }

  return {
    openLetters,

    async runNow(name: string, operator: string): Promise<{ runId: string | null }> {
      known(name);
      const started = await control.runNow(name);
      logger.info(
        { operator, action: 'run_now', integration: name, runId: started.runId },
        'operator started a run',
      );
      return started;
    },

    async pause(name: string, operator: string): Promise<IntegrationStatus> {
      known(name);
      const status = await control.pause(name);
      logger.info({ operator, action: 'pause', integration: name }, 'operator paused a schedule');
      return status;
    },

    async resume(name: string, operator: string): Promise<IntegrationStatus> {
      known(name);
      const status = await control.resume(name);
      logger.info({ operator, action: 'resume', integration: name }, 'operator resumed a schedule');
      return status;
    },

    async stop(name: string, operator: string): Promise<{ runId: string }> {
      known(name);
      const stopped = await control.stop(name);
      logger.info(
        { operator, action: 'stop', integration: name, runId: stopped.runId },
        'operator stopped a run',
      );
      return stopped;
    },

    /** Stops the run with this id, which must be the one going on. */
    async stopRun(runId: string, operator: string): Promise<{ integration: string; runId: string }> {
      const status = control.list().find((s) => s.currentRunId === runId);
      if (!status) throw new FerryError('FERRY_ERR_NOT_FOUND', `run ${runId} is not running on this server`);
      const stopped = await this.stop(status.name, operator);
      return { integration: status.name, runId: stopped.runId };
    },

    /**
     * Starts one replay per integration the selection touches. Every integration is checked to be loaded
     * and idle before any replay starts, so a refusal starts nothing.
     */
    async replay(
      selection: DeadLetterSelection,
      operator: string,
    ): Promise<{ count: number; replays: ReplayStatus[] }> {
      const groups = await openLetters(selection);
      for (const integration of groups.keys()) {
        const status = control.get(integration);
        if (!status) {
          throw new FerryError(
            'FERRY_ERR_NOT_FOUND',
            `the dead letters of ${integration} cannot be replayed here: no integration ${integration} is loaded on this server`,
          );
        }
        if (status.state === 'running' || status.state === 'replaying' || status.state === 'stopping') {
          throw new FerryError('FERRY_ERR_BUSY', `${integration} is ${status.state}; replay when it is idle`);
        }
      }
      const replays: ReplayStatus[] = [];
      let count = 0;
      for (const [integration, letters] of groups) {
        const ids = letters.map((l) => l.id);
        replays.push(await control.replay(integration, ids));
        count += ids.length;
        logger.info(
          { operator, action: 'replay', integration, count: ids.length },
          'operator replayed dead letters',
        );
      }
      return { count, replays };
    },

    async purge(selection: DeadLetterSelection, dryRun: boolean, operator: string): Promise<PurgeResult> {
      const ids = [...(await selectDeadLetters(ledger, selection)).values()].flat().map((l) => l.id);
      if (dryRun) return { dryRun, count: ids.length, ids: ids.slice(0, LISTED_IDS) };
      const count = ids.length === 0 ? 0 : await ledger.purgeDeadLetters({ ids });
      logger.warn({ operator, action: 'purge', count, selection }, 'operator purged dead letters');
      return { dryRun, count, ids: [] };
    },
  };
}

/** The actions of one server. */
export type OperationsActions = ReturnType<typeof createOperationsActions>;
