import { randomUUID } from 'node:crypto';
import type { Checkpoint } from '../../src/core/connector-types.ts';
import type {
  DeadLetter,
  Ledger,
  RecordChange,
  RecordRow,
  RecordUpdate,
  RunRow,
  RunStatus,
} from '../../src/core/ledger-types.ts';

/** An in-memory Ledger for engine tests: same contract as the SQLite one, no durability. */
export function createMemoryLedger(): Ledger & {
  records: Map<string, RecordRow>;
  checkpoints: Checkpoint[];
} {
  const runs = new Map<string, RunRow>();
  const records = new Map<string, RecordRow>();
  const changes = new Map<string, RecordChange[]>();
  let lastIntegration = '';
  const letters: DeadLetter[] = [];
  const checkpointByIntegration = new Map<string, Checkpoint | null>();
  const checkpoints: Checkpoint[] = [];
  const now = () => new Date().toISOString();
  /** Applies updates the way the SQLite upsert does: unset fields keep their stored value. */
  function write(integration: string, runId: string, updates: readonly RecordUpdate[]): void {
    lastIntegration = integration;
    for (const u of updates) {
      const old = records.get(u.key);
      const row: RecordRow = {
        key: u.key,
        state: u.state,
        attempts: u.attempts ?? old?.attempts ?? 0,
        firstMappedAt: old?.firstMappedAt ?? u.firstMappedAt ?? null,
        bodyHash: u.bodyHash ?? old?.bodyHash ?? null,
        lastError: u.lastError === undefined ? (old?.lastError ?? null) : u.lastError,
        keyGeneration: u.keyGeneration ?? old?.keyGeneration ?? 0,
        lastStatus: u.lastStatus === undefined ? (old?.lastStatus ?? null) : u.lastStatus,
        runId,
        updatedAt: now(),
      };
      records.set(u.key, row);
      const failed = row.state === 'failed' || row.state === 'quarantined';
      const history = changes.get(u.key) ?? [];
      history.push({
        runId,
        state: row.state,
        attempts: row.attempts,
        bodyHash: row.bodyHash,
        reason: failed ? row.lastError : null,
        at: row.updatedAt,
      });
      changes.set(u.key, history);
    }
  }
  return {
    records,
    checkpoints,
    async startRun(integration, startedAt) {
      const run: RunRow = {
        id: randomUUID(),
        integration,
        status: 'running',
        startedAt,
        endedAt: null,
        counts: {},
        report: null,
      };
      runs.set(run.id, run);
      return run;
    },
    async markCrashedRuns(integration) {
      const ids: string[] = [];
      for (const run of runs.values()) {
        if (run.integration === integration && run.status === 'running') {
          runs.set(run.id, { ...run, status: 'crashed' });
          ids.push(run.id);
        }
      }
      return ids;
    },
    async finishRun(runId, status: RunStatus, counts, report) {
      const run = runs.get(runId)!;
      runs.set(runId, { ...run, status, counts, report, endedAt: now() });
    },
    getRun: async (id) => runs.get(id),
    listRuns: async () => [...runs.values()].reverse(),
    findRunsByIdPrefix: async (prefix) => [...runs.values()].filter((r) => r.id.startsWith(prefix)).reverse(),
    getCheckpoint: async (integration) => checkpointByIntegration.get(integration) ?? null,
    hasReadToEnd: async (integration) =>
      checkpointByIntegration.has(integration) && checkpointByIntegration.get(integration) === null,
    async saveCheckpoint(integration, checkpoint) {
      checkpointByIntegration.set(integration, checkpoint);
      if (checkpoint) checkpoints.push(checkpoint);
    },
    async getRecords(_integration, keys) {
      const found = new Map<string, RecordRow>();
      for (const key of keys) {
        const row = records.get(key);
        const openDeadLetter = letters.some((l) => l.key === key && l.resolvedAt === null);
        if (row) found.set(key, { ...row, openDeadLetter });
      }
      return found;
    },
    listInFlight: async () => [...records.values()].filter((r) => r.state === 'in_flight'),
    async recordHistory(key, options = {}) {
      const record = records.get(key);
      if (!record || (options.integration !== undefined && options.integration !== lastIntegration))
        return [];
      return [
        {
          integration: lastIntegration,
          record,
          changes: changes.get(key) ?? [],
          deadLetters: letters.filter((l) => l.key === key),
        },
      ];
    },
    async update(integration, runId, updates: readonly RecordUpdate[]) {
      write(integration, runId, updates);
    },
    async updateNow(integration, runId, updates) {
      write(integration, runId, updates);
    },
    async flush() {},
    async addDeadLetter(letter) {
      letters.push({ ...letter, id: letters.length + 1, createdAt: now(), resolvedAt: null });
    },
    listDeadLetters: async () => letters.filter((l) => l.resolvedAt === null),
    countDeadLetters: async () => letters.filter((l) => l.resolvedAt === null).length,
    getDeadLetter: async (id) => letters.find((l) => l.id === id),
    async resolveDeadLetter(id, at) {
      const i = letters.findIndex((l) => l.id === id);
      if (i >= 0) letters[i] = { ...letters[i]!, resolvedAt: at };
    },
    purgeDeadLetters: async () => letters.splice(0).length,
    async close() {},
  };
}
