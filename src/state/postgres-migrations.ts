import type pg from 'pg';
import { FerryError } from '../core/errors.ts';

const RECORD_STATES = `'pending', 'in_flight', 'delivered', 'skipped', 'quarantined', 'failed'`;
const RUN_STATUSES = `'running', 'completed', 'completed_with_errors', 'aborted', 'interrupted', 'crashed'`;

/**
 * Forward-only migrations of the PostgreSQL ledger; entry i takes the schema from version i to i + 1. Never
 * edit a released entry: append a new one.
 *
 * Times are stored as the RFC 3339 text ferry writes (as in SQLite): the contract hands them back exactly as
 * given, and both ledgers order them the same way. JSON columns are `json`, not `jsonb`: a source record may
 * hold a \u0000 that jsonb refuses, and nothing queries inside them.
 */
export const postgresMigrations: readonly string[] = [
  `
  CREATE TABLE runs (
    id text PRIMARY KEY,
    -- orders runs started in the same millisecond
    seq bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
    integration text NOT NULL,
    status text NOT NULL CHECK (status IN (${RUN_STATUSES})),
    started_at text NOT NULL,
    ended_at text,
    -- last time a batch of this run was written: the end time given to a run found crashed
    last_active_at text,
    host text,
    pid integer,
    counts json NOT NULL DEFAULT '{}',
    report json
  );
  CREATE INDEX runs_by_integration ON runs (integration, started_at, seq);
  CREATE INDEX runs_running ON runs (integration) WHERE status = 'running';

  CREATE TABLE checkpoints (
    integration text PRIMARY KEY,
    checkpoint json,
    run_id text,
    updated_at text NOT NULL
  );

  CREATE TABLE records (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    integration text NOT NULL,
    key text NOT NULL,
    state text NOT NULL CHECK (state IN (${RECORD_STATES})),
    attempts integer NOT NULL DEFAULT 0,
    first_mapped_at text,
    body_hash text,
    last_error text,
    run_id text NOT NULL,
    updated_at text NOT NULL,
    key_generation integer NOT NULL DEFAULT 0,
    refused boolean,
    UNIQUE (integration, key)
  );
  CREATE INDEX records_in_flight ON records (integration, key) WHERE state = 'in_flight';

  -- One append-only row per state stored for a record, written by a trigger so no write path can skip it.
  CREATE TABLE record_history (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    record_id bigint NOT NULL,
    run_id text NOT NULL,
    state text NOT NULL,
    attempts integer NOT NULL,
    body_hash text,
    reason text,
    at text NOT NULL
  );
  CREATE INDEX record_history_by_record ON record_history (record_id, id);
  CREATE FUNCTION ferry_record_history() RETURNS trigger LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
  BEGIN
    INSERT INTO record_history (record_id, run_id, state, attempts, body_hash, reason, at)
    VALUES (NEW.id, NEW.run_id, NEW.state, NEW.attempts, NEW.body_hash,
      CASE WHEN NEW.state IN ('failed', 'quarantined') THEN NEW.last_error END, NEW.updated_at);
    RETURN NULL;
  END $$;
  CREATE TRIGGER record_history AFTER INSERT OR UPDATE ON records
    FOR EACH ROW EXECUTE FUNCTION ferry_record_history();

  CREATE TABLE dead_letters (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    integration text NOT NULL,
    key text NOT NULL,
    run_id text NOT NULL,
    state text NOT NULL CHECK (state IN ('quarantined', 'failed')),
    record json,
    body json,
    reasons json NOT NULL,
    created_at text NOT NULL,
    resolved_at text
  );
  CREATE INDEX dead_letters_by_integration ON dead_letters (integration, id);
  CREATE INDEX dead_letters_by_key ON dead_letters (integration, key);
  CREATE INDEX dead_letters_open_by_key ON dead_letters (integration, key) WHERE resolved_at IS NULL;

  -- Batches already applied: a batch whose COMMIT went out but whose answer was lost (the server restarted)
  -- is sent again, and must not be applied twice.
  CREATE TABLE write_batches (
    id uuid PRIMARY KEY,
    created_at timestamptz NOT NULL DEFAULT now()
  );

  -- Raises FRLCK unless the session with backend pid p_pid holds the run lock of every integration listed
  -- (the key postgres-run-lock.ts takes): a write of a run whose lock session was lost, and perhaps taken
  -- over by another process, is refused in the transaction that would have stored it.
  CREATE FUNCTION ferry_check_run_locks(p_pid integer, p_integrations text[]) RETURNS void
  LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
  BEGIN
    IF p_pid IS NULL OR p_integrations IS NULL THEN
      RETURN;
    END IF;
    IF EXISTS (
      SELECT 1 FROM unnest(p_integrations) AS l(integration)
      WHERE NOT EXISTS (
        SELECT 1 FROM pg_locks
        WHERE locktype = 'advisory' AND granted AND pid = p_pid AND objsubid = 1
          AND ((classid::bigint << 32) | objid::bigint)
            = hashtextextended('ferry:run:' || current_schema() || ':' || l.integration, 0))
    ) THEN
      RAISE EXCEPTION 'the run lock is no longer held by session %', p_pid USING ERRCODE = 'FRLCK';
    END IF;
  END $$;

  -- One batch of the group commit in one call (one round trip, one transaction): record updates in the order
  -- given, one upsert each (unset fields keep their value, as in the SQLite ledger), then dead letters.
  CREATE FUNCTION ferry_write_batch(p_batch uuid, p_at text, p_records json, p_letters json, p_runs text[],
    p_lock_pid integer, p_locked text[])
  RETURNS boolean LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
  DECLARE
    u record;
  BEGIN
    PERFORM ferry_check_run_locks(p_lock_pid, p_locked);
    INSERT INTO write_batches (id) VALUES (p_batch) ON CONFLICT DO NOTHING;
    IF NOT FOUND THEN
      RETURN false;
    END IF;
    FOR u IN
      SELECT * FROM ROWS FROM (json_to_recordset(p_records) AS (
        i text, r text, k text, s text, a integer, f text, h text, e text, es boolean, g integer, rf boolean,
        rfs boolean)) WITH ORDINALITY AS x
      ORDER BY x.ordinality
    LOOP
      INSERT INTO records AS old (integration, key, state, attempts, first_mapped_at, body_hash, last_error,
        run_id, updated_at, key_generation, refused)
      VALUES (u.i, u.k, u.s, coalesce(u.a, 0), u.f, u.h, u.e, u.r, p_at, coalesce(u.g, 0), u.rf)
      ON CONFLICT (integration, key) DO UPDATE SET
        state = excluded.state,
        attempts = coalesce(u.a, old.attempts),
        -- first write wins: orderDate must not move once a record was mapped
        first_mapped_at = coalesce(old.first_mapped_at, excluded.first_mapped_at),
        body_hash = coalesce(u.h, old.body_hash),
        last_error = CASE WHEN u.es THEN u.e ELSE old.last_error END,
        run_id = excluded.run_id,
        updated_at = excluded.updated_at,
        key_generation = coalesce(u.g, old.key_generation),
        refused = CASE WHEN u.rfs THEN u.rf ELSE old.refused END;
    END LOOP;
    INSERT INTO dead_letters (integration, key, run_id, state, record, body, reasons, created_at)
      SELECT x.i, x.k, x.r, x.s, x.rec, x.body, x.reasons, p_at
      FROM ROWS FROM (json_to_recordset(p_letters) AS (
        i text, k text, r text, s text, rec json, body json, reasons json)) WITH ORDINALITY AS x
      ORDER BY x.ordinality;
    UPDATE runs SET last_active_at = p_at WHERE id = ANY (p_runs);
    RETURN true;
  END $$;
  `,
  // What the destination holds of each record (delivered_hash), apart from the body of its last attempt,
  // and the high-water mark an incremental read keeps beside its checkpoint; as SQLite's migration 8.
  `
  ALTER TABLE records ADD COLUMN delivered_hash text;
  UPDATE records SET delivered_hash = body_hash WHERE state = 'delivered' OR state = 'skipped';
  ALTER TABLE checkpoints ADD COLUMN high_water json;
  CREATE OR REPLACE FUNCTION ferry_write_batch(p_batch uuid, p_at text, p_records json, p_letters json, p_runs text[],
    p_lock_pid integer, p_locked text[])
  RETURNS boolean LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
  DECLARE
    u record;
  BEGIN
    PERFORM ferry_check_run_locks(p_lock_pid, p_locked);
    INSERT INTO write_batches (id) VALUES (p_batch) ON CONFLICT DO NOTHING;
    IF NOT FOUND THEN
      RETURN false;
    END IF;
    FOR u IN
      SELECT * FROM ROWS FROM (json_to_recordset(p_records) AS (
        i text, r text, k text, s text, a integer, f text, h text, e text, es boolean, g integer, rf boolean,
        rfs boolean, dh text, dhs boolean)) WITH ORDINALITY AS x
      ORDER BY x.ordinality
    LOOP
      INSERT INTO records AS old (integration, key, state, attempts, first_mapped_at, body_hash, last_error,
        run_id, updated_at, key_generation, refused, delivered_hash)
      VALUES (u.i, u.k, u.s, coalesce(u.a, 0), u.f, u.h, u.e, u.r, p_at, coalesce(u.g, 0), u.rf, u.dh)
      ON CONFLICT (integration, key) DO UPDATE SET
        state = excluded.state,
        attempts = coalesce(u.a, old.attempts),
        -- first write wins: orderDate must not move once a record was mapped
        first_mapped_at = coalesce(old.first_mapped_at, excluded.first_mapped_at),
        body_hash = coalesce(u.h, old.body_hash),
        last_error = CASE WHEN u.es THEN u.e ELSE old.last_error END,
        run_id = excluded.run_id,
        updated_at = excluded.updated_at,
        key_generation = coalesce(u.g, old.key_generation),
        refused = CASE WHEN u.rfs THEN u.rf ELSE old.refused END,
        delivered_hash = CASE WHEN u.dhs THEN u.dh ELSE old.delivered_hash END;
    END LOOP;
    INSERT INTO dead_letters (integration, key, run_id, state, record, body, reasons, created_at)
      SELECT x.i, x.k, x.r, x.s, x.rec, x.body, x.reasons, p_at
      FROM ROWS FROM (json_to_recordset(p_letters) AS (
        i text, k text, r text, s text, rec json, body json, reasons json)) WITH ORDINALITY AS x
      ORDER BY x.ordinality;
    UPDATE runs SET last_active_at = p_at WHERE id = ANY (p_runs);
    RETURN true;
  END $$;
  `,
  // The inbox of pushed events (webhooks), as SQLite's migration 9. An event is offered by one function call,
  // so the duplicate check, the stale check, the pending count and the insert are one transaction; offers of
  // one integration take a transaction-scoped advisory lock, so two servers sharing the ledger cannot both
  // pass the count or both miss a newer version of a key. seq is an identity: never given again.
  `
  CREATE TABLE inbox (
    seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    integration text NOT NULL,
    event_id text NOT NULL,
    key text,
    version double precision,
    payload json,
    state text NOT NULL CHECK (state IN ('pending', 'done', 'stale')),
    received_at text NOT NULL,
    UNIQUE (integration, event_id)
  );
  CREATE INDEX inbox_pending ON inbox (integration, seq) WHERE state = 'pending';
  CREATE INDEX inbox_by_key ON inbox (integration, key, version) WHERE key IS NOT NULL;
  CREATE INDEX inbox_by_age ON inbox (integration, received_at) WHERE state <> 'pending';

  CREATE FUNCTION ferry_inbox_add(
    p_integration text, p_event_id text, p_key text, p_version double precision, p_payload json,
    p_received_at text, p_max_pending integer, OUT outcome text, OUT added_seq bigint
  ) LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
  DECLARE
    newest double precision;
  BEGIN
    PERFORM pg_advisory_xact_lock(hashtextextended('ferry:inbox:' || p_integration, 0));
    IF EXISTS (SELECT 1 FROM inbox i WHERE i.integration = p_integration AND i.event_id = p_event_id) THEN
      outcome := 'duplicate';
      RETURN;
    END IF;
    IF p_key IS NOT NULL AND p_version IS NOT NULL THEN
      SELECT max(i.version) INTO newest FROM inbox i WHERE i.integration = p_integration AND i.key = p_key;
      IF newest IS NOT NULL AND newest > p_version THEN
        INSERT INTO inbox (integration, event_id, key, version, payload, state, received_at)
          VALUES (p_integration, p_event_id, p_key, p_version, NULL, 'stale', p_received_at)
          RETURNING seq INTO added_seq;
        outcome := 'stale';
        RETURN;
      END IF;
    END IF;
    IF (SELECT count(*) FROM inbox i WHERE i.integration = p_integration AND i.state = 'pending')
        >= p_max_pending THEN
      outcome := 'full';
      RETURN;
    END IF;
    INSERT INTO inbox (integration, event_id, key, version, payload, state, received_at)
      VALUES (p_integration, p_event_id, p_key, p_version, p_payload, 'pending', p_received_at)
      RETURNING seq INTO added_seq;
    outcome := 'accepted';
  END $$;
  `,
  // Workers on several machines (docs/scaling.md). A reader stores each page it read, with the checkpoint that
  // follows it, in `pages`, in the transaction that enqueues its job (pg-boss, schema <schema>_queue or
  // ferry_queue); any worker takes the job under a lease (its pg-boss attempt) and writes the page's records
  // fenced by it: ferry_check_lease holds the job row (FOR SHARE) while the write commits, so pg-boss cannot
  // hand the page to another worker between the check and the commit. `cluster_workers` says which workers
  // are alive and which queues they serve.
  `
  CREATE TABLE pages (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    integration text NOT NULL,
    run_id text NOT NULL,
    page_no integer NOT NULL,
    queue text NOT NULL,
    job_id uuid,
    records json NOT NULL,
    next_checkpoint json,
    lookup_unknown boolean NOT NULL,
    compares_repeats boolean NOT NULL,
    state text NOT NULL CHECK (state IN ('queued', 'settled', 'failed', 'cancelled')),
    outcomes json,
    retry_from json,
    error json,
    created_at text NOT NULL,
    finished_at text,
    UNIQUE (run_id, page_no)
  );
  CREATE INDEX pages_unsettled ON pages (integration) WHERE state = 'queued';

  CREATE TABLE cluster_workers (
    id text PRIMARY KEY,
    host text NOT NULL,
    pid integer NOT NULL,
    queues text[] NOT NULL,
    started_at timestamptz NOT NULL DEFAULT now(),
    heartbeat_at timestamptz NOT NULL DEFAULT now()
  );

  -- Raises FLEAS unless the pg-boss job of the lease is still active in the attempt the lease names; the row
  -- stays share-locked until the caller's transaction ends, so expiring or cancelling it waits for the write.
  CREATE FUNCTION ferry_check_lease(p_lease json) RETURNS void
  LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
  DECLARE
    held integer;
  BEGIN
    IF p_lease IS NULL THEN
      RETURN;
    END IF;
    EXECUTE format(
      'SELECT 1 FROM %I.job WHERE name = $1 AND id = $2 AND retry_count = $3 AND state = %L FOR SHARE',
      p_lease->>'schema', 'active')
      INTO held USING p_lease->>'queue', (p_lease->>'job')::uuid, (p_lease->>'attempt')::integer;
    IF held IS NULL THEN
      RAISE EXCEPTION 'the lease of job % (attempt %) is no longer held', p_lease->>'job', p_lease->>'attempt'
        USING ERRCODE = 'FLEAS';
    END IF;
  END $$;

  -- What every process sending to one destination shares (docs/scaling.md): the pace of its requests (a
  -- GCRA schedule, reserved a few sends at a time), a pause everyone keeps after a 429, each process's
  -- share of the destination's concurrency, and the circuit breaker. Times are ms since the epoch by the
  -- server's clock, the one clock every process agrees on.
  CREATE TABLE destination_budgets (
    key text PRIMARY KEY,
    -- requests per second as configured (rate_limit.requests_per_second) and as the destination's
    -- RateLimit headers say; the cluster paces at the lower, NULL while neither is known
    configured double precision,
    learned double precision,
    tat double precision NOT NULL DEFAULT 0,
    paused_until double precision NOT NULL DEFAULT 0
  );

  CREATE FUNCTION ferry_now_ms() RETURNS double precision LANGUAGE sql AS $$
    SELECT extract(epoch FROM clock_timestamp()) * 1000
  $$;

  -- Reserves p_count sends: the first may leave wait_ms from now, the others interval_ms apart after it.
  -- interval_ms is 0 while the cluster knows no limit (then only a pause holds sends back).
  CREATE FUNCTION ferry_rate_reserve(p_key text, p_count integer, p_headroom double precision,
    OUT wait_ms double precision, OUT interval_ms double precision)
  LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
  DECLARE
    b destination_budgets;
    now_ms double precision := ferry_now_ms();
    pace double precision;
    first double precision;
  BEGIN
    SELECT * INTO b FROM destination_budgets WHERE key = p_key FOR UPDATE;
    IF NOT FOUND THEN
      wait_ms := 0;
      interval_ms := 0;
      RETURN;
    END IF;
    pace := least(b.configured, b.learned * p_headroom);
    IF pace IS NULL OR pace <= 0 THEN
      wait_ms := greatest(0, b.paused_until - now_ms);
      interval_ms := 0;
      RETURN;
    END IF;
    interval_ms := 1000 / pace;
    first := greatest(b.tat, now_ms, b.paused_until);
    UPDATE destination_budgets SET tat = first + p_count * interval_ms WHERE key = p_key;
    wait_ms := first - now_ms;
  END $$;

  CREATE TABLE destination_members (
    key text NOT NULL,
    member text NOT NULL,
    wanted integer NOT NULL DEFAULT 0,
    claimed integer NOT NULL DEFAULT 0,
    heartbeat_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (key, member)
  );

  -- A process's share of the destination's concurrency (p_total for the whole cluster): an even share
  -- between the live members that want to send (the first ones in member order get the remainder), never
  -- more than it asks for (p_want; 0 while it has nothing to send), and never more than the others leave
  -- free, so the claims never add up past p_total. A share that shrinks stays claimed as long as the process
  -- still has more requests in flight than it. Members silent for 10 s are dropped.
  CREATE FUNCTION ferry_claim_slots(p_key text, p_member text, p_total integer, p_want integer,
    p_in_flight integer, OUT share integer, OUT claimed integer)
  LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
  DECLARE
    live integer;
    rank integer;
    others integer;
    mine integer;
  BEGIN
    PERFORM pg_advisory_xact_lock(hashtextextended('ferry:slots:' || current_schema() || ':' || p_key, 0));
    DELETE FROM destination_members WHERE key = p_key AND heartbeat_at < now() - interval '10 seconds';
    INSERT INTO destination_members (key, member, wanted) VALUES (p_key, p_member, p_want)
      ON CONFLICT (key, member) DO UPDATE SET heartbeat_at = now(), wanted = excluded.wanted;
    SELECT count(*) FILTER (WHERE wanted > 0), count(*) FILTER (WHERE wanted > 0 AND member < p_member),
        coalesce(sum(m.claimed) FILTER (WHERE member <> p_member), 0)
      INTO live, rank, others FROM destination_members m WHERE key = p_key;
    SELECT m.claimed INTO mine FROM destination_members m WHERE key = p_key AND member = p_member;
    share := CASE WHEN p_want <= 0 THEN 0
      ELSE least(p_want, p_total / live + CASE WHEN rank < p_total % live THEN 1 ELSE 0 END) END;
    IF share < mine THEN
      mine := greatest(share, least(mine, p_in_flight));
    ELSE
      mine := greatest(0, least(share, p_total - others));
    END IF;
    UPDATE destination_members SET claimed = mine WHERE key = p_key AND member = p_member;
    claimed := mine;
  END $$;

  -- The circuit breaker of a destination, shared: opened by whichever process saw it fail, probed by one.
  CREATE TABLE destination_breakers (
    key text PRIMARY KEY,
    open boolean NOT NULL DEFAULT false,
    -- when it last opened, and when the pause began (the first opening since it was last closed)
    opened_at double precision,
    pause_started_at double precision,
    probe_until double precision NOT NULL DEFAULT 0
  );

  DROP FUNCTION ferry_write_batch(uuid, text, json, json, text[], integer, text[]);
  CREATE FUNCTION ferry_write_batch(p_batch uuid, p_at text, p_records json, p_letters json, p_runs text[],
    p_lock_pid integer, p_locked text[], p_lease json)
  RETURNS boolean LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
  DECLARE
    u record;
  BEGIN
    PERFORM ferry_check_run_locks(p_lock_pid, p_locked);
    PERFORM ferry_check_lease(p_lease);
    INSERT INTO write_batches (id) VALUES (p_batch) ON CONFLICT DO NOTHING;
    IF NOT FOUND THEN
      RETURN false;
    END IF;
    FOR u IN
      SELECT * FROM ROWS FROM (json_to_recordset(p_records) AS (
        i text, r text, k text, s text, a integer, f text, h text, e text, es boolean, g integer, rf boolean,
        rfs boolean, dh text, dhs boolean)) WITH ORDINALITY AS x
      ORDER BY x.ordinality
    LOOP
      INSERT INTO records AS old (integration, key, state, attempts, first_mapped_at, body_hash, last_error,
        run_id, updated_at, key_generation, refused, delivered_hash)
      VALUES (u.i, u.k, u.s, coalesce(u.a, 0), u.f, u.h, u.e, u.r, p_at, coalesce(u.g, 0), u.rf, u.dh)
      ON CONFLICT (integration, key) DO UPDATE SET
        state = excluded.state,
        attempts = coalesce(u.a, old.attempts),
        -- first write wins: orderDate must not move once a record was mapped
        first_mapped_at = coalesce(old.first_mapped_at, excluded.first_mapped_at),
        body_hash = coalesce(u.h, old.body_hash),
        last_error = CASE WHEN u.es THEN u.e ELSE old.last_error END,
        run_id = excluded.run_id,
        updated_at = excluded.updated_at,
        key_generation = coalesce(u.g, old.key_generation),
        refused = CASE WHEN u.rfs THEN u.rf ELSE old.refused END,
        delivered_hash = CASE WHEN u.dhs THEN u.dh ELSE old.delivered_hash END;
    END LOOP;
    INSERT INTO dead_letters (integration, key, run_id, state, record, body, reasons, created_at)
      SELECT x.i, x.k, x.r, x.s, x.rec, x.body, x.reasons, p_at
      FROM ROWS FROM (json_to_recordset(p_letters) AS (
        i text, k text, r text, s text, rec json, body json, reasons json)) WITH ORDINALITY AS x
      ORDER BY x.ordinality;
    UPDATE runs SET last_active_at = p_at WHERE id = ANY (p_runs);
    RETURN true;
  END $$;
  `,
];

/** The schema version this code writes. */
export const POSTGRES_SCHEMA_VERSION = postgresMigrations.length;

/** The table holding the schema version; its absence means no ledger was ever created here. */
export const VERSION_TABLE = 'ferry_schema';

/**
 * Brings the schema up to POSTGRES_SCHEMA_VERSION in one transaction, under an advisory lock of this schema
 * so that processes starting together migrate once; refuses a newer schema. Resolves to the version found
 * (0: the ledger is new) and the schema the tables are in. With `mustExist`, creates nothing and throws
 * FERRY_ERR_STATE_NOT_FOUND instead.
 */
export async function migratePostgres(
  client: pg.ClientBase,
  where: string,
  options: { mustExist?: boolean } = {},
): Promise<{ found: number; schema: string }> {
  await client.query('BEGIN');
  try {
    const schema = (await client.query<{ schema: string | null }>('SELECT current_schema() AS schema'))
      .rows[0]?.schema;
    if (schema === null || schema === undefined) {
      throw new FerryError(
        'FERRY_ERR_STATE_UNUSABLE',
        `the PostgreSQL ledger ${where} cannot be used: none of the schemas of its search_path exists`,
        { details: { location: where } },
      );
    }
    await client.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', [`ferry:migrate:${schema}`]);
    const exists = (
      await client.query<{ found: string | null }>('SELECT to_regclass($1) AS found', [
        `${quoteIdent(schema)}.${VERSION_TABLE}`,
      ])
    ).rows[0]?.found;
    if (!exists && options.mustExist) {
      throw new FerryError(
        'FERRY_ERR_STATE_NOT_FOUND',
        `no ledger at ${where} (no ferry tables in schema ${schema})`,
        {
          details: { location: where },
        },
      );
    }
    if (!exists) {
      await client.query(`CREATE TABLE ${VERSION_TABLE} (version integer NOT NULL)`);
      await client.query(`INSERT INTO ${VERSION_TABLE} (version) VALUES (0)`);
    }
    const found = Number(
      (await client.query<{ version: number }>(`SELECT version FROM ${VERSION_TABLE}`)).rows[0]?.version ?? 0,
    );
    if (found > POSTGRES_SCHEMA_VERSION) {
      throw new FerryError(
        'FERRY_ERR_STATE',
        `the ledger ${where} has schema version ${found}, newer than this ferry understands ` +
          `(${POSTGRES_SCHEMA_VERSION}); upgrade ferry`,
        { details: { location: where, version: found, supported: POSTGRES_SCHEMA_VERSION } },
      );
    }
    for (let version = found; version < POSTGRES_SCHEMA_VERSION; version++) {
      await client.query(postgresMigrations[version]!);
    }
    if (found < POSTGRES_SCHEMA_VERSION) {
      await client.query(`UPDATE ${VERSION_TABLE} SET version = $1`, [POSTGRES_SCHEMA_VERSION]);
    }
    await client.query('COMMIT');
    return { found, schema };
  } catch (error) {
    await client.query('ROLLBACK').catch(() => {});
    throw error;
  }
}

/** A PostgreSQL identifier, quoted. */
export function quoteIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}
