import type { DatabaseSync } from 'node:sqlite';
import { FerryError } from '../core/errors.ts';

const RECORD_STATES = ['pending', 'in_flight', 'delivered', 'skipped', 'quarantined', 'failed'] as const;

/**
 * `column = 'a' OR column = 'b' OR ...`: a CHECK spelled `column IN (...)` with more than two values makes
 * SQLite fill a temporary index with the list every time a statement writes the column.
 */
function oneOf(column: string, values: readonly string[]): string {
  return values.map((value) => `${column} = '${value}'`).join(' OR ');
}

const RUN_STATUSES = `'running', 'completed', 'completed_with_errors', 'aborted', 'interrupted', 'crashed'`;

/**
 * Forward-only schema migrations; entry i takes the database from user_version i to i + 1.
 * Never edit a released entry: append a new one.
 */
export const migrations: readonly string[] = [
  `
  CREATE TABLE runs (
    id TEXT PRIMARY KEY NOT NULL,
    integration TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN (${RUN_STATUSES})),
    started_at TEXT NOT NULL,
    ended_at TEXT,
    -- last time a batch of this run was written: the end time given to a run found crashed
    last_active_at TEXT,
    pid INTEGER,
    counts TEXT NOT NULL DEFAULT '{}',
    report TEXT
  ) STRICT;
  CREATE INDEX runs_by_integration ON runs (integration, started_at);
  CREATE INDEX runs_by_status ON runs (status);

  CREATE TABLE checkpoints (
    integration TEXT PRIMARY KEY NOT NULL,
    checkpoint TEXT,
    run_id TEXT REFERENCES runs (id),
    updated_at TEXT NOT NULL
  ) STRICT;

  CREATE TABLE records (
    integration TEXT NOT NULL,
    key TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN (${RECORD_STATES.map((state) => `'${state}'`).join(', ')})),
    attempts INTEGER NOT NULL DEFAULT 0,
    first_mapped_at TEXT,
    body_hash TEXT,
    last_error TEXT,
    run_id TEXT NOT NULL REFERENCES runs (id),
    updated_at TEXT NOT NULL,
    PRIMARY KEY (integration, key)
  ) STRICT, WITHOUT ROWID;
  CREATE INDEX records_by_state ON records (integration, state);

  CREATE TABLE dead_letters (
    id INTEGER PRIMARY KEY,
    integration TEXT NOT NULL,
    key TEXT NOT NULL,
    run_id TEXT NOT NULL REFERENCES runs (id),
    state TEXT NOT NULL CHECK (state IN ('quarantined', 'failed')),
    record TEXT,
    body TEXT,
    reasons TEXT NOT NULL,
    created_at TEXT NOT NULL,
    resolved_at TEXT
  ) STRICT;
  CREATE INDEX dead_letters_by_integration ON dead_letters (integration, resolved_at);
  `,
  // Every record changes state at least twice (in_flight, then final), and an index on (integration, state)
  // moved each record's entry on every change. Only in_flight records are ever looked up by state (to
  // reconcile after a crash), so a partial index holding just them costs one insert and one delete per record.
  `
  DROP INDEX records_by_state;
  CREATE INDEX records_in_flight ON records (integration, key) WHERE state = 'in_flight';
  `,
  // The records CHECK as a chain of comparisons instead of IN (see oneOf): the IN list was refilled on every
  // upsert, two per record, and took a third of the ledger's cost per record. SQLite cannot alter a CHECK,
  // so the table is rebuilt (its only index goes with it and is created again).
  `
  CREATE TABLE records_new (
    integration TEXT NOT NULL,
    key TEXT NOT NULL,
    state TEXT NOT NULL CHECK (${oneOf('state', RECORD_STATES)}),
    attempts INTEGER NOT NULL DEFAULT 0,
    first_mapped_at TEXT,
    body_hash TEXT,
    last_error TEXT,
    run_id TEXT NOT NULL REFERENCES runs (id),
    updated_at TEXT NOT NULL,
    PRIMARY KEY (integration, key)
  ) STRICT, WITHOUT ROWID;
  INSERT INTO records_new SELECT integration, key, state, attempts, first_mapped_at, body_hash, last_error, run_id, updated_at
    FROM records;
  DROP TABLE records;
  ALTER TABLE records_new RENAME TO records;
  CREATE INDEX records_in_flight ON records (integration, key) WHERE state = 'in_flight';
  `,
  // Records stored in the order ferry first wrote them (a rowid table, the key in a unique index) instead of in
  // key order. With keys that arrive in random order (UUIDs, most APIs' opaque ids) each record's mark and
  // final state dirtied random pages of the table and of the in-flight index in two commits, several times
  // the cost of keys in order. Now a new record takes one random page, of the key index (docs/performance.md
  // has the figures). The in-flight index holds row ids, which grow as records are marked.
  `
  CREATE TABLE records_new (
    id INTEGER PRIMARY KEY,
    integration TEXT NOT NULL,
    key TEXT NOT NULL,
    state TEXT NOT NULL CHECK (${oneOf('state', RECORD_STATES)}),
    attempts INTEGER NOT NULL DEFAULT 0,
    first_mapped_at TEXT,
    body_hash TEXT,
    last_error TEXT,
    run_id TEXT NOT NULL REFERENCES runs (id),
    updated_at TEXT NOT NULL,
    UNIQUE (integration, key)
  ) STRICT;
  INSERT INTO records_new (integration, key, state, attempts, first_mapped_at, body_hash, last_error, run_id, updated_at)
    SELECT integration, key, state, attempts, first_mapped_at, body_hash, last_error, run_id, updated_at
    FROM records;
  DROP TABLE records;
  ALTER TABLE records_new RENAME TO records;
  CREATE INDEX records_in_flight ON records (integration) WHERE state = 'in_flight';
  `,
  // A record's history across runs, for `ferry records show`: one append-only row per state the ledger
  // stores for it, written by triggers in the transaction that stores the state, so no write path can skip
  // it. Rows point at records.id, which grows as records are first written, so a run's new rows land at the
  // end of the index. The reason is kept only with the state it explains (last_error outlives it). Records
  // stored before this version get one row: their state then. A migration that rebuilds `records` must
  // create the triggers again. Self-contained: it needs only the records table of version 4.
  `
  CREATE TABLE record_history (
    id INTEGER PRIMARY KEY,
    record_id INTEGER NOT NULL,
    run_id TEXT NOT NULL,
    state TEXT NOT NULL,
    attempts INTEGER NOT NULL,
    body_hash TEXT,
    reason TEXT,
    at TEXT NOT NULL
  ) STRICT;
  INSERT INTO record_history (record_id, run_id, state, attempts, body_hash, reason, at)
    SELECT id, run_id, state, attempts, body_hash,
      CASE WHEN state = 'failed' OR state = 'quarantined' THEN last_error END, updated_at
    FROM records ORDER BY id;
  CREATE INDEX record_history_by_record ON record_history (record_id);
  CREATE TRIGGER record_history_on_insert AFTER INSERT ON records BEGIN
    INSERT INTO record_history (record_id, run_id, state, attempts, body_hash, reason, at)
    VALUES (NEW.id, NEW.run_id, NEW.state, NEW.attempts, NEW.body_hash,
      CASE WHEN NEW.state = 'failed' OR NEW.state = 'quarantined' THEN NEW.last_error END, NEW.updated_at);
  END;
  CREATE TRIGGER record_history_on_update AFTER UPDATE ON records BEGIN
    INSERT INTO record_history (record_id, run_id, state, attempts, body_hash, reason, at)
    VALUES (NEW.id, NEW.run_id, NEW.state, NEW.attempts, NEW.body_hash,
      CASE WHEN NEW.state = 'failed' OR NEW.state = 'quarantined' THEN NEW.last_error END, NEW.updated_at);
  END;
  CREATE INDEX dead_letters_by_key ON dead_letters (integration, key);
  `,
  // A record whose body changed after the destination refused it is sent under a new idempotency key
  // (key_generation), and only after a refusal (last_status), never after an answer that may have stored it.
  // Reading a page asks whether each record still has an open dead letter, by key.
  `
  ALTER TABLE records ADD COLUMN key_generation INTEGER NOT NULL DEFAULT 0;
  ALTER TABLE records ADD COLUMN last_status INTEGER;
  CREATE INDEX dead_letters_open_by_key ON dead_letters (integration, key) WHERE resolved_at IS NULL;
  `,
  // Whether the destination refused a record is its sink's judgement (a 4xx, a validation fault), not an
  // HTTP status the engine interprets: it is stored as such. last_status stays for older ferry versions.
  `
  ALTER TABLE records ADD COLUMN refused INTEGER;
  UPDATE records SET refused = CASE
    WHEN last_status BETWEEN 400 AND 499 AND last_status NOT IN (408, 409, 429) THEN 1 ELSE 0 END
    WHERE last_status IS NOT NULL;
  `,
  // Syncs update and delete what they delivered: a record remembers the version the destination holds
  // (delivered_hash), apart from the body of its last attempt (body_hash), and an incremental read keeps its
  // high-water mark with the checkpoint, in the same row so both change in one write. Before this version a
  // record was only ever created, so a delivered one holds what it last sent. Filling the column is no state
  // change: the history trigger is dropped around it (and created again exactly as version 5 made it).
  `
  ALTER TABLE records ADD COLUMN delivered_hash TEXT;
  DROP TRIGGER record_history_on_update;
  UPDATE records SET delivered_hash = body_hash WHERE state = 'delivered' OR state = 'skipped';
  CREATE TRIGGER record_history_on_update AFTER UPDATE ON records BEGIN
    INSERT INTO record_history (record_id, run_id, state, attempts, body_hash, reason, at)
    VALUES (NEW.id, NEW.run_id, NEW.state, NEW.attempts, NEW.body_hash,
      CASE WHEN NEW.state = 'failed' OR NEW.state = 'quarantined' THEN NEW.last_error END, NEW.updated_at);
  END;
  ALTER TABLE checkpoints ADD COLUMN high_water TEXT;
  `,
  // The inbox of pushed events (webhooks): each stored before the sender is answered, read by runs in seq
  // order, deduplicated by the sender's event id per integration. AUTOINCREMENT: a run's checkpoint names a
  // seq, which must never be given again after the newest events were pruned. A processed event keeps its
  // id (for deduplication) but not its payload. Only pending events are read or counted, hence the partial
  // index; events of one key are compared by version when one arrives.
  `
  CREATE TABLE inbox (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    integration TEXT NOT NULL,
    event_id TEXT NOT NULL,
    key TEXT,
    version REAL,
    payload TEXT,
    state TEXT NOT NULL CHECK (${oneOf('state', ['pending', 'done', 'stale'])}),
    received_at TEXT NOT NULL,
    UNIQUE (integration, event_id)
  ) STRICT;
  CREATE INDEX inbox_pending ON inbox (integration, seq) WHERE state = 'pending';
  CREATE INDEX inbox_by_key ON inbox (integration, key, version) WHERE key IS NOT NULL;
  CREATE INDEX inbox_by_age ON inbox (integration, received_at) WHERE state != 'pending';
  `,
];

/** The schema version this code writes. */
export const SCHEMA_VERSION = migrations.length;

function userVersion(db: DatabaseSync): number {
  const row = db.prepare('PRAGMA user_version').get();
  return Number(row?.user_version ?? 0);
}

/** Brings the schema up to SCHEMA_VERSION, one transaction per step; refuses a newer schema. */
export function migrate(db: DatabaseSync, path: string): void {
  let version = userVersion(db);
  if (version > SCHEMA_VERSION) {
    throw new FerryError(
      'FERRY_ERR_STATE',
      `the ledger ${path} has schema version ${version}, newer than this ferry understands (${SCHEMA_VERSION}); upgrade ferry`,
      { details: { path, version, supported: SCHEMA_VERSION } },
    );
  }
  while (version < SCHEMA_VERSION) {
    db.exec('BEGIN IMMEDIATE');
    try {
      // Re-read inside the write lock: another process may have migrated meanwhile.
      version = userVersion(db);
      if (version < SCHEMA_VERSION) {
        db.exec(migrations[version]!);
        db.exec(`PRAGMA user_version = ${version + 1}`);
      }
      db.exec('COMMIT');
    } catch (error) {
      if (db.isTransaction) db.exec('ROLLBACK');
      throw error;
    }
    version = userVersion(db);
  }
}
