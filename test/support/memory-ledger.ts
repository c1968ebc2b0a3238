import { randomUUID } from 'node:crypto';
import type { Checkpoint } from '../../src/core/connector-types.ts';
import { FerryError } from '../../src/core/errors.ts';
import type {
  DeadLetter,
  DeadLetterFilter,
  HighWaterMark,
  InboxEntry,
  Ledger,
  RecordChange,
  RecordRow,
  RecordState,
  RecordUpdate,
  RunRow,
} from '../../src/core/ledger-types.ts';
import { redactSecrets, redactValue } from '../../src/core/secret-registry.ts';

const STATES: ReadonlySet<RecordState> = new Set([
  'pending',
  'in_flight',
  'delivered',
  'skipped',
  'quarantined',
  'failed',
]);

/** What a stored JSON column gives back: secrets masked, undefined as null, a copy the caller cannot touch. */
function stored<T>(value: T): T {
  return value === undefined ? (null as T) : (JSON.parse(JSON.stringify(redactValue(value)) ?? 'null') as T);
}

/** Everything a memory ledger holds; ledgers opened on the same store share it, as processes share a file. */
interface MemoryStore {
  readonly runs: Map<string, RunRow>;
  /** Running runs whose ledger is still open, by the ledger that started them: never crashed. */
  readonly liveRuns: Map<string, object>;
  readonly recordsByIntegration: Map<string, Map<string, RecordRow>>;
  readonly changes: Map<string, RecordChange[]>;
  records: Map<string, RecordRow>;
  readonly letters: DeadLetter[];
  nextLetterId: number;
  readonly checkpointByIntegration: Map<string, Checkpoint | null>;
  readonly highWaterByIntegration: Map<string, HighWaterMark>;
  readonly checkpoints: Checkpoint[];
  /** Every inbox event in seq order, with its state; seq is the position plus one, never reused. */
  readonly inbox: { entry: InboxEntry; state: 'pending' | 'done' | 'stale' }[];
  nextSeq: number;
}

/** The memory ledger, plus what tests look at. */
export type MemoryLedger = Ledger & {
  /** The records of the integration last written. */
  readonly records: Map<string, RecordRow>;
  /** Every checkpoint saved, in order (not the cleared ones). */
  readonly checkpoints: Checkpoint[];
  /**
   * Another ledger on the same store, as a second process would open the same file: closing one without
   * finishing its runs is how a test simulates a killed process.
   */
  reopen(): MemoryLedger;
};

/**
 * An in-memory Ledger for engine tests: the same contract as the SQLite one (the shared contract suite runs
 * against both), kept only as long as the process.
 */
export function createMemoryLedger(): MemoryLedger {
  return openMemoryLedger({
    runs: new Map(),
    liveRuns: new Map(),
    recordsByIntegration: new Map(),
    changes: new Map(),
    records: new Map(),
    letters: [],
    nextLetterId: 1,
    checkpointByIntegration: new Map(),
    highWaterByIntegration: new Map(),
    checkpoints: [],
    inbox: [],
    nextSeq: 1,
  });
}

function openMemoryLedger(store: MemoryStore): MemoryLedger {
  const {
    runs,
    liveRuns,
    recordsByIntegration,
    changes,
    letters,
    checkpointByIntegration,
    highWaterByIntegration,
    checkpoints,
  } = store;
  const self = {};
  let closed = false;
  const now = () => new Date().toISOString();

  function assertOpen(): void {
    if (closed) throw new FerryError('FERRY_ERR_STATE', 'the memory ledger is closed');
  }

  function recordsOf(integration: string): Map<string, RecordRow> {
    let found = recordsByIntegration.get(integration);
    if (found === undefined) {
      found = new Map();
      recordsByIntegration.set(integration, found);
    }
    return found;
  }

  /** Applies updates the way the SQLite upsert does: unset fields keep their stored value. */
  function write(integration: string, runId: string, updates: readonly RecordUpdate[]): void {
    assertOpen();
    const bad = updates.find((u) => !STATES.has(u.state));
    if (bad) throw new FerryError('FERRY_ERR_STATE', `no record state "${bad.state}" (key ${bad.key})`);
    const table = recordsOf(integration);
    store.records = table;
    for (const u of updates) {
      const old = table.get(u.key);
      const row: RecordRow = {
        key: u.key,
        state: u.state,
        attempts: u.attempts ?? old?.attempts ?? 0,
        firstMappedAt: old?.firstMappedAt ?? u.firstMappedAt ?? null,
        bodyHash: u.bodyHash ?? old?.bodyHash ?? null,
        lastError:
          u.lastError === undefined
            ? (old?.lastError ?? null)
            : u.lastError === null
              ? null
              : redactSecrets(u.lastError),
        keyGeneration: u.keyGeneration ?? old?.keyGeneration ?? 0,
        refused: u.refused === undefined ? (old?.refused ?? null) : u.refused,
        deliveredHash: u.deliveredHash === undefined ? (old?.deliveredHash ?? null) : u.deliveredHash,
        runId,
        updatedAt: now(),
      };
      table.set(u.key, row);
      const failed = row.state === 'failed' || row.state === 'quarantined';
      const id = `${integration}\u0000${u.key}`;
      const history = changes.get(id) ?? [];
      history.push({
        runId,
        state: row.state,
        attempts: row.attempts,
        bodyHash: row.bodyHash,
        reason: failed ? row.lastError : null,
        at: row.updatedAt,
      });
      changes.set(id, history);
    }
  }

  function hasOpenLetter(integration: string, key: string): boolean {
    return letters.some((l) => l.integration === integration && l.key === key && l.resolvedAt === null);
  }

  function matching(options: DeadLetterFilter): DeadLetter[] {
    return letters
      .filter(
        (l) =>
          (options.integration === undefined || l.integration === options.integration) &&
          (options.state === undefined || l.state === options.state) &&
          (options.includeResolved === true || l.resolvedAt === null) &&
          (options.runId === undefined || l.runId === options.runId) &&
          (options.reason === undefined || l.reasons.some((r) => r.code === options.reason)) &&
          (options.field === undefined || l.reasons.some((r) => r.field === options.field)),
      )
      .reverse();
  }

  /** Newest first: by start, then the later started. */
  function newestFirst(rows: Iterable<RunRow>): RunRow[] {
    const ordered = [...rows].reverse();
    return ordered.sort((a, b) => (a.startedAt < b.startedAt ? 1 : a.startedAt > b.startedAt ? -1 : 0));
  }

  return {
    get records() {
      return store.records;
    },
    checkpoints,
    reopen: () => openMemoryLedger(store),
    async startRun(integration, startedAt) {
      assertOpen();
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
      liveRuns.set(run.id, self);
      return run;
    },
    async markCrashedRuns(integration) {
      assertOpen();
      const ids: string[] = [];
      for (const run of runs.values()) {
        if (run.integration === integration && run.status === 'running' && !liveRuns.has(run.id)) {
          runs.set(run.id, { ...run, status: 'crashed', endedAt: run.startedAt });
          ids.push(run.id);
        }
      }
      return ids;
    },
    async finishRun(runId, status, counts, report) {
      assertOpen();
      const run = runs.get(runId);
      if (run === undefined) throw new FerryError('FERRY_ERR_STATE', `finishing run ${runId}: no such run`);
      runs.set(runId, { ...run, status, counts: { ...counts }, report: stored(report), endedAt: now() });
      liveRuns.delete(runId);
    },
    async getRun(id) {
      assertOpen();
      return runs.get(id);
    },
    async listRuns(options = {}) {
      assertOpen();
      let rows = newestFirst(
        [...runs.values()].filter(
          (r) =>
            (options.integration === undefined || r.integration === options.integration) &&
            (options.status === undefined || r.status === options.status),
        ),
      );
      if (options.beforeId !== undefined) {
        const all = newestFirst(runs.values());
        const at = all.findIndex((r) => r.id === options.beforeId);
        const after = new Set(at === -1 ? [] : all.slice(at + 1).map((r) => r.id));
        rows = rows.filter((r) => after.has(r.id));
      }
      return options.limit === undefined ? rows : rows.slice(0, Math.max(0, Math.trunc(options.limit)));
    },
    async findRunsByIdPrefix(prefix, limit = 10) {
      assertOpen();
      return newestFirst([...runs.values()].filter((r) => r.id.startsWith(prefix.toLowerCase()))).slice(
        0,
        Math.max(0, Math.trunc(limit)),
      );
    },
    async getCheckpoint(integration) {
      assertOpen();
      return checkpointByIntegration.get(integration) ?? null;
    },
    async hasReadToEnd(integration) {
      assertOpen();
      return checkpointByIntegration.has(integration) && checkpointByIntegration.get(integration) === null;
    },
    async saveCheckpoint(integration, checkpoint, _runId, highWater) {
      assertOpen();
      const kept = stored(checkpoint);
      checkpointByIntegration.set(integration, kept);
      if (highWater !== undefined) highWaterByIntegration.set(integration, stored(highWater));
      if (kept) checkpoints.push(kept);
    },
    async getHighWaterMark(integration) {
      assertOpen();
      const found = highWaterByIntegration.get(integration);
      return found === undefined ? null : stored(found);
    },
    async getRecords(integration, keys) {
      assertOpen();
      const table = recordsOf(integration);
      const found = new Map<string, RecordRow>();
      for (const key of keys) {
        const row = table.get(key);
        if (row) found.set(key, { ...row, openDeadLetter: hasOpenLetter(integration, key) });
      }
      return found;
    },
    async listInFlight(integration) {
      assertOpen();
      return [...recordsOf(integration).values()]
        .filter((r) => r.state === 'in_flight')
        .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    },
    async recordHistory(key, options = {}) {
      assertOpen();
      const integrations =
        options.integration === undefined ? [...recordsByIntegration.keys()].sort() : [options.integration];
      return integrations.flatMap((integration) => {
        const record = recordsByIntegration.get(integration)?.get(key);
        if (!record) return [];
        return [
          {
            integration,
            record,
            changes: [...(changes.get(`${integration}\u0000${key}`) ?? [])],
            deadLetters: letters.filter((l) => l.integration === integration && l.key === key),
          },
        ];
      });
    },
    async update(integration, runId, updates) {
      write(integration, runId, updates);
    },
    async updateNow(integration, runId, updates) {
      write(integration, runId, updates);
    },
    async flush() {
      assertOpen();
    },
    async addDeadLetter(letter) {
      assertOpen();
      letters.push({
        id: store.nextLetterId++,
        integration: letter.integration,
        key: letter.key,
        runId: letter.runId,
        state: letter.state,
        record: stored(letter.record),
        body: stored(letter.body),
        reasons: stored(letter.reasons) ?? [],
        createdAt: now(),
        resolvedAt: null,
      });
    },
    async listDeadLetters(options = {}) {
      assertOpen();
      const { beforeId, limit } = options;
      const rows = matching(options).filter((l) => beforeId === undefined || l.id < beforeId);
      return limit === undefined ? rows : rows.slice(0, Math.max(0, Math.trunc(limit)));
    },
    async countDeadLetters(options = {}) {
      assertOpen();
      return matching(options).length;
    },
    async getDeadLetter(id) {
      assertOpen();
      return letters.find((l) => l.id === id);
    },
    async resolveDeadLetter(id, at) {
      assertOpen();
      const i = letters.findIndex((l) => l.id === id);
      if (i < 0) throw new FerryError('FERRY_ERR_USAGE', `there is no dead letter with id ${id}`);
      letters[i] = { ...letters[i]!, resolvedAt: at };
    },
    async purgeDeadLetters(options) {
      if (options.integration === undefined && options.ids === undefined) {
        throw new FerryError('FERRY_ERR_USAGE', 'purging dead letters needs an integration or a list of ids');
      }
      assertOpen();
      const ids = options.ids === undefined ? undefined : new Set(options.ids);
      let purged = 0;
      for (let i = letters.length - 1; i >= 0; i--) {
        const l = letters[i]!;
        if (options.integration !== undefined && l.integration !== options.integration) continue;
        if (ids !== undefined && !ids.has(l.id)) continue;
        letters.splice(i, 1);
        purged++;
      }
      return purged;
    },
    async inboxAdd(event, options) {
      assertOpen();
      const { inbox } = store;
      const mine = inbox.filter((e) => e.entry.integration === event.integration);
      if (mine.some((e) => e.entry.eventId === event.eventId)) return { outcome: 'duplicate' };
      const { key, version } = event;
      const ordered = key !== null && version !== null;
      const keep = (state: 'pending' | 'stale', payload: unknown) => {
        const seq = store.nextSeq++;
        inbox.push({ entry: { ...event, payload, seq }, state });
        return seq;
      };
      if (ordered) {
        const later = mine.some(
          (e) => e.entry.key === key && e.entry.version !== null && e.entry.version > version,
        );
        if (later) return { outcome: 'stale', seq: keep('stale', null) };
      }
      if (mine.filter((e) => e.state === 'pending').length >= options.maxPending) return { outcome: 'full' };
      return { outcome: 'accepted', seq: keep('pending', stored(event.payload)) };
    },
    async inboxRead(integration, afterSeq, limit) {
      assertOpen();
      return store.inbox
        .filter((e) => e.entry.integration === integration && e.state === 'pending' && e.entry.seq > afterSeq)
        .slice(0, Math.max(0, Math.trunc(limit)))
        .map((e) => stored(e.entry));
    },
    async inboxAcknowledge(integration, upToSeq) {
      assertOpen();
      for (const e of store.inbox) {
        if (e.entry.integration === integration && e.state === 'pending' && e.entry.seq <= upToSeq) {
          e.state = 'done';
          e.entry = { ...e.entry, payload: null };
        }
      }
    },
    async inboxStats(integration) {
      assertOpen();
      const pending = store.inbox.filter((e) => e.entry.integration === integration && e.state === 'pending');
      return {
        pending: pending.length,
        oldestPendingAt: pending.map((e) => e.entry.receivedAt).sort()[0] ?? null,
      };
    },
    async inboxPrune(integration, before) {
      assertOpen();
      let pruned = 0;
      for (let i = store.inbox.length - 1; i >= 0; i--) {
        const e = store.inbox[i]!;
        if (e.entry.integration !== integration || e.state === 'pending' || e.entry.receivedAt >= before)
          continue;
        store.inbox.splice(i, 1);
        pruned++;
      }
      return pruned;
    },
    async close() {
      closed = true;
      for (const [runId, owner] of liveRuns) if (owner === self) liveRuns.delete(runId);
    },
  };
}
