import { hash } from 'node:crypto';
import type {
  DeliveryOutcome,
  OutgoingRecord,
  SinkConnector,
  WriteOperation,
} from '../core/connector-types.ts';
import { errorKindOf, FerryError } from '../core/errors.ts';
import type { CursorValue, Ledger, Reason, RecordRow, RecordUpdate } from '../core/ledger-types.ts';
import { redactSecrets, redactValue } from '../core/secret-registry.ts';
import type { FinalState, RecordMapper } from './engine-types.ts';
import { idempotencyKeyFor, versionKeyFor } from './idempotency-key.ts';
import { toSecondPrecision } from './timestamp.ts';

/** The shared, per-run context every record is settled in. */
export interface RecordContext {
  readonly integration: string;
  readonly runId: string;
  readonly ledger: Ledger;
  readonly sink: SinkConnector;
  readonly mapper: RecordMapper;
  readonly clock: () => Date;
  readonly abortSignal?: AbortSignal;
  /**
   * Look up records the ledger does not know before their first send (a new ledger: the destination may
   * hold them from runs recorded elsewhere). Needs a sink with a lookup.
   */
  readonly lookupUnknown?: boolean;
  /**
   * The ledger has not read the source to its end: a record it does not know may be at the destination
   * already, delivered by a run recorded elsewhere.
   */
  readonly newLedger?: boolean;
  /** Look every record up before sending it (a replay: an earlier attempt may have stored it). */
  readonly lookupFirst?: boolean;
  /**
   * Replaying a dead letter: a record delivered since the letter was written holds a newer version, which
   * the letter's must not overwrite.
   */
  readonly replay?: boolean;
  /** A final-state write failed: the run must stop (the record stays in_flight for the next run). */
  readonly onLedgerError: (error: unknown) => void;
}

/**
 * Final states are queued without waiting for the commit: a checkpoint saved later is stored after every
 * write queued before it (Ledger.saveCheckpoint), and a crash before that leaves the record in_flight, which
 * the next run reconciles. So the concurrency slot frees as soon as the destination
 * answers, while the in_flight mark, the one write that must precede sending, is committed before it
 * (Ledger.updateNow).
 */
function persist(ctx: RecordContext, writes: Promise<unknown>): void {
  writes.catch(ctx.onLedgerError);
}

/** One source record on its way through the pipeline. */
export interface PendingRecord {
  readonly record: unknown;
  /** The key from the mapping, or a content hash for records without one. */
  readonly key: string;
  readonly hasKey: boolean;
  /** What the ledger knew of the key when its page was read. */
  readonly previous: RecordRow | undefined;
  /** Where the source read it (`customers.csv:4711`), put in front of its reasons. */
  readonly position?: string;
  /** The source's reasons when it knows the record is damaged: quarantined with them, not mapped. */
  readonly rejected?: readonly Reason[];
  /** Its cursor value, in an incremental read. */
  readonly cursor?: CursorValue;
}

/** How a record ended, for counting and reporting. */
export interface Fate {
  readonly state: FinalState;
  readonly reasons?: readonly Reason[];
  readonly attempts?: number;
  readonly note?: string;
  /** What the write did, for a delivered record. */
  readonly operation?: WriteOperation;
  /** A failed record the destination refused (or that was never sent): trying again changes nothing. */
  readonly refused?: boolean;
  /**
   * Quarantined or failed exactly as before, its dead letter still open: a known problem, reported as
   * "still quarantined" or "still failing", not as a new dead letter.
   */
  readonly known?: boolean;
}

/** The first 128 bits of the text's SHA-256, hex: tells "the same order again" from "another order". */
function sha256(text: string): string {
  return hash('sha256', text, 'hex').slice(0, 32);
}

/** A stable key for a record that has none, so reruns recognise its dead letter instead of adding another. */
export function contentKey(record: unknown): string {
  return `nokey:${sha256(safeStringify(record))}`;
}

function safeStringify(value: unknown): string {
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

/** A record mapped and ready to send. */
export interface ReadyRecord {
  readonly ready: true;
  readonly item: PendingRecord;
  readonly outgoing: OutgoingRecord;
  readonly mappedBody: unknown;
  /** `JSON.stringify(mappedBody)`: what the hash is of, and what a JSON sink sends. */
  readonly json: string;
  readonly hash: string;
  readonly firstMappedAt: string;
  /** The idempotency key generation it is sent under. */
  readonly generation: number;
  /** Create, or update or delete what the destination holds. */
  readonly operation: WriteOperation;
  /** The in_flight mark that must be durable before the first byte is sent. */
  readonly mark: RecordUpdate;
  /**
   * The destination may hold it already (a crashed run left it in_flight, an earlier failure was not a
   * refusal, the ledger is new, its body changed since a failure, or it is replayed) and the sink can look
   * it up: ask the destination before marking and sending (deliverRecord does both).
   */
  readonly reconcile: boolean;
}

/** What preparing a record gave: a final state already, or a record to send. */
export type PreparedRecord = ReadyRecord | { readonly ready: false; readonly fate: Fate };

/**
 * The version the destination holds as the ledger knows it. Ledgers that predate updates only remember
 * the body of the last attempt, which is what a delivered record holds (a record was only ever created).
 */
function heldVersion(previous: RecordRow | undefined): string | null {
  if (previous === undefined) return null;
  if (previous.deliveredHash !== undefined) return previous.deliveredHash;
  return previous.state === 'delivered' || previous.state === 'skipped' ? previous.bodyHash : null;
}

/** An earlier write of the record may have reached the destination: a crash left it in flight, or it failed unrefused. */
function unsettledWrite(previous: RecordRow | undefined): boolean {
  return previous?.state === 'in_flight' || (previous?.state === 'failed' && previous.refused !== true);
}

/**
 * Maps one record and decides its way: skipped (an earlier run delivered it, unchanged, or a change or a
 * delete the sink is not told of), quarantined (its dead letter queued), failed (changed after delivery,
 * with `on_change: dead_letter`), or ready to create, update or delete, with the in_flight mark the caller
 * must make durable first. Marks of many ready records are written in one transaction (Ledger.updateNow),
 * which is why this is separate from delivery.
 */
export async function prepareRecord(ctx: RecordContext, item: PendingRecord): Promise<PreparedRecord> {
  const { previous } = item;
  const onChange = ctx.sink.onChange ?? 'skip';
  const onDelete = ctx.sink.onDelete ?? 'ignore';
  const wasDelivered = previous?.state === 'delivered' || previous?.state === 'skipped';
  const held = heldVersion(previous);
  // Nothing a delivered record can bring is sent on (or a replayed letter is older than what was delivered
  // since): skipped without mapping it, the fast path of every rerun.
  if (wasDelivered && (ctx.replay === true || (onChange === 'skip' && onDelete === 'ignore'))) {
    return { ready: false, fate: { state: 'skipped', note: 'delivered by an earlier run' } };
  }

  if (item.rejected && item.rejected.length > 0) {
    return { ready: false, fate: quarantine(ctx, item, item.rejected) };
  }
  const deleted = ctx.mapper.isDeleted ? await ctx.mapper.isDeleted(item.record) : false;
  if (deleted) {
    if (onDelete === 'ignore') {
      return { ready: false, fate: { state: 'skipped', note: 'deleted at the source (on_delete: ignore)' } };
    }
    if (held === null && !unsettledWrite(previous)) {
      return {
        ready: false,
        fate: { state: 'skipped', note: 'deleted at the source; the destination holds none of it' },
      };
    }
  } else if (wasDelivered && held !== null && onChange === 'skip') {
    return { ready: false, fate: { state: 'skipped', note: 'delivered by an earlier run' } };
  }

  const firstMappedAt = previous?.firstMappedAt ?? toSecondPrecision(ctx.clock());
  const mapped = await ctx.mapper.apply(item.record, { firstMappedAt });
  if (!mapped.ok) return { ready: false, fate: quarantine(ctx, item, mapped.reasons) };

  // The hash tells "the same order again" from "another order" across runs, whatever the sink writes.
  const json = JSON.stringify(mapped.body);
  const hash = sha256(json);
  const generation = previous?.keyGeneration ?? 0;
  if (deleted) return writeOf(ctx, item, 'delete', mapped.body, json, hash, firstMappedAt, generation, held);

  if (held !== null) {
    // The destination holds a version; unless an earlier write may have changed it since, the ledger
    // knows which one.
    if (hash === held && !unsettledWrite(previous)) {
      return { ready: false, fate: { state: 'skipped', note: 'unchanged since it was delivered' } };
    }
    if (onChange === 'skip') {
      return {
        ready: false,
        fate: { state: 'skipped', note: 'changed at the source; not sent (on_change: skip)' },
      };
    }
    if (onChange === 'dead_letter') {
      return { ready: false, fate: changedAfterDelivery(ctx, item, mapped.body, hash, firstMappedAt) };
    }
    const refused = refusedShape(ctx.sink, mapped.body, 'update');
    if (refused) return { ready: false, fate: quarantine(ctx, item, refused) };
    return writeOf(ctx, item, 'update', mapped.body, json, hash, firstMappedAt, generation, held);
  }

  // The destination's own contract for a record's shape (a WSDL's schema): what it refuses is invalid
  // data, quarantined like a mapping failure, never marked in flight nor sent.
  const refused = refusedShape(ctx.sink, mapped.body, 'create');
  if (refused) return { ready: false, fate: quarantine(ctx, item, refused) };

  const canLookUp = ctx.sink.lookup !== undefined;
  // A body that differs from the one its key was used with goes under a new key (the destination would
  // refuse the old key with another body), but only when the old body is known not to be stored: the
  // destination refused it, or a lookup (made first) does not find it.
  const bodyChanged =
    previous?.state === 'failed' &&
    previous.bodyHash !== null &&
    previous.bodyHash !== hash &&
    (canLookUp || previous.refused === true);
  const createGeneration = generation + (bodyChanged ? 1 : 0);
  const reconcile =
    canLookUp &&
    (ctx.lookupFirst === true ||
      bodyChanged ||
      previous?.state === 'in_flight' ||
      // Failed without a refusal (unreachable, a 5xx, a lookup that failed): it may have been stored.
      (previous?.state === 'failed' && previous.refused !== true) ||
      (previous === undefined && ctx.lookupUnknown === true));
  // A record a new ledger does not know, sent without a lookup first (the destination refuses duplicates):
  // if the destination holds it, the first delivery's time comes back with its refusal, and is the one to
  // keep. So the mark leaves the time unset and the final state writes it (first write wins). A crash in
  // between leaves it in flight, and the lookup the next run makes takes the time from the destination.
  const timeFromDestination = previous === undefined && ctx.newLedger === true && canLookUp && !reconcile;
  return {
    ready: true,
    item,
    outgoing: outgoingFor(ctx, item, mapped.body, createGeneration, { operation: 'create', hash, json }),
    mappedBody: mapped.body,
    json,
    hash,
    firstMappedAt,
    generation: createGeneration,
    operation: 'create',
    mark: {
      key: item.key,
      state: 'in_flight',
      ...(timeFromDestination ? {} : { firstMappedAt }),
      bodyHash: hash,
      attempts: (previous?.attempts ?? 0) + 1,
      keyGeneration: createGeneration,
    },
    reconcile,
  };
}

/** An update or a delete of what the destination holds, ready to mark and send. */
function writeOf(
  ctx: RecordContext,
  item: PendingRecord,
  operation: 'update' | 'delete',
  body: unknown,
  json: string,
  hash: string,
  firstMappedAt: string,
  generation: number,
  held: string | null,
): ReadyRecord {
  const { previous } = item;
  // The destination may hold what an unsettled write sent instead: then the ledger does not know which.
  const known = held !== null && !unsettledWrite(previous) ? held : undefined;
  return {
    ready: true,
    item,
    outgoing: outgoingFor(ctx, item, body, generation, {
      operation,
      hash,
      json,
      ...(known === undefined ? {} : { previousVersion: known }),
    }),
    mappedBody: body,
    json,
    hash,
    firstMappedAt,
    generation,
    operation,
    mark: {
      key: item.key,
      state: 'in_flight',
      firstMappedAt,
      bodyHash: hash,
      attempts: (previous?.attempts ?? 0) + 1,
    },
    // The sink reads what the destination holds itself, where its protocol can (If-Match, ETags).
    reconcile: false,
  };
}

function outgoingFor(
  ctx: RecordContext,
  item: PendingRecord,
  value: unknown,
  generation: number,
  write: { operation: WriteOperation; hash: string; json: string; previousVersion?: string },
): OutgoingRecord {
  return {
    key: item.key,
    idempotencyKey:
      write.operation === 'create'
        ? idempotencyKeyFor(ctx.integration, item.key, generation)
        : versionKeyFor(ctx.integration, item.key, generation, write.operation, write.hash),
    value,
    json: write.json,
    operation: write.operation,
    version: write.hash,
    ...(write.previousVersion === undefined ? {} : { previousVersion: write.previousVersion }),
    ...(item.position === undefined ? {} : { position: item.position }),
    ...(ctx.abortSignal ? { signal: ctx.abortSignal } : {}),
  };
}

/** `on_change: dead_letter`: the change is failed with its reason, the destination keeps what it has. */
function changedAfterDelivery(
  ctx: RecordContext,
  item: PendingRecord,
  body: unknown,
  hash: string,
  firstMappedAt: string,
): Fate {
  const { previous } = item;
  const reason = at(item, {
    code: 'changed_after_delivery',
    message:
      'changed at the source after it was delivered; not sent (on_change: dead_letter), the destination keeps the version it has',
  });
  const known =
    previous?.state === 'failed' && previous.bodyHash === hash && previous.openDeadLetter !== false;
  persist(
    ctx,
    Promise.all([
      ctx.ledger.update(ctx.integration, ctx.runId, [
        {
          key: item.key,
          state: 'failed',
          firstMappedAt,
          bodyHash: hash,
          lastError: reason.message,
          // Nothing was sent: the destination holds what it held.
          refused: true,
        },
      ]),
      known
        ? undefined
        : ctx.ledger.addDeadLetter({
            integration: ctx.integration,
            key: item.key,
            runId: ctx.runId,
            state: 'failed',
            record: redactValue(item.record),
            body: redactValue(body),
            reasons: [reason],
          }),
    ]),
  );
  return { state: 'failed', reasons: [reason], refused: true, ...(known ? { known } : {}) };
}

/**
 * Takes one record from mapped to a final state (prepare, mark, deliver), for callers that handle records
 * one by one; the engine prepares and marks a chunk at a time instead.
 */
export async function settleRecord(ctx: RecordContext, item: PendingRecord): Promise<Fate> {
  const prepared = await prepareRecord(ctx, item);
  if (!prepared.ready) return prepared.fate;
  if (!prepared.reconcile) await ctx.ledger.updateNow(ctx.integration, ctx.runId, [prepared.mark]);
  return deliverRecord(ctx, prepared);
}

/**
 * Sends a ready record whose in_flight mark is durable (or, when `reconcile`, first asks the destination,
 * then marks) and queues its final state. Throws only what must stop the run (credentials refused,
 * destination down past the breaker's patience).
 */
export async function deliverRecord(ctx: RecordContext, initial: ReadyRecord): Promise<Fate> {
  let ready = initial;
  const { item, hash, mark, firstMappedAt } = ready;
  let { outgoing } = ready;
  const { previous } = item;
  // The destination may already hold it (see ReadyRecord.reconcile): ask before sending.
  let notSent: Reason | undefined;
  if (ready.reconcile && ctx.sink.lookup) {
    let found: Awaited<ReturnType<NonNullable<SinkConnector['lookup']>>>;
    try {
      found = await ctx.sink.lookup(outgoing);
    } catch (error) {
      if (stopsTheRun(error)) throw error;
      // Unknown whether it is there: sending could make a second copy, so the record fails this time.
      found = { found: false };
      notSent = {
        code: 'destination_lookup_failed',
        message: `not sent: looking it up first failed: ${error instanceof Error ? error.message : String(error)}`,
      };
    }
    if (found.found && found.matches) {
      // A new ledger keeps the first delivery's time, not its own (first write wins for a known record).
      const kept = firstDeliveryTime(found.body, ctx.mapper.firstMappedAtFields) ?? firstMappedAt;
      persist(
        ctx,
        ctx.ledger.update(ctx.integration, ctx.runId, [
          {
            key: item.key,
            state: 'delivered',
            firstMappedAt: kept,
            bodyHash: hash,
            deliveredHash: hash,
            lastError: null,
          },
        ]),
      );
      return {
        state: 'delivered',
        note: 'reconciled: the destination already had it',
        attempts: previous?.attempts ?? 0,
      };
    }
    if (found.found && ctx.sink.onChange === 'update') {
      // It arrived in an earlier version (a crash left that write unsettled, or another ledger sent it):
      // this version replaces it.
      ready = writeOf(
        ctx,
        item,
        'update',
        ready.mappedBody,
        ready.json,
        hash,
        firstMappedAt,
        ready.generation,
        null,
      );
      outgoing = ready.outgoing;
    } else if (found.found) {
      // Without updates ferry creates records, it does not overwrite them; sending would store a second
      // copy wherever keys are ignored.
      notSent = {
        code: 'destination_holds_different',
        message: 'not sent: the lookup found a different record with this key at the destination',
      };
    }
    // Durable before the send: a crash after it leaves the record in_flight, to reconcile, never lost.
    if (!notSent) await ctx.ledger.updateNow(ctx.integration, ctx.runId, [mark]);
  }

  let outcome: DeliveryOutcome = notSent
    ? { state: 'failed', attempts: 0, reasons: [notSent] }
    : await sendOnce(ctx, outgoing);
  let sends = outcome.attempts;
  if (outcome.state === 'failed' && outcome.newKeySafe && ready.operation === 'create') {
    // The key was spent on another body that the destination does not hold: one more try under a new key.
    const generation = ready.generation + 1;
    outgoing = outgoingFor(ctx, item, outgoing.value, generation, {
      operation: 'create',
      hash,
      json: ready.json,
    });
    await ctx.ledger.updateNow(ctx.integration, ctx.runId, [{ ...mark, keyGeneration: generation }]);
    outcome = await sendOnce(ctx, outgoing);
    sends += outcome.attempts;
  }
  return settleOutcome(ctx, ready, outcome, sends);
}

/**
 * Delivers ready records in one concurrency slot: one record alone, or a batch through the sink's batch
 * write. A record to look up first (`reconcile`) goes through deliverRecord even for a batch sink: only it
 * asks the destination before the write.
 */
export function deliverReadies(ctx: RecordContext, readies: readonly ReadyRecord[]): Promise<Fate[]> {
  return readies.length === 1 && (ctx.sink.sendBatch === undefined || readies[0]!.reconcile)
    ? deliverRecord(ctx, readies[0]!).then((fate) => [fate])
    : deliverBatch(ctx, readies);
}

/**
 * Writes a batch of ready records, every in_flight mark already durable, through the sink's batch write,
 * and settles each from its own outcome. A record the destination refused under a spent key is failed,
 * not resent under a new one: batch sinks (files) have no keys to spend.
 */
export async function deliverBatch(ctx: RecordContext, batch: readonly ReadyRecord[]): Promise<Fate[]> {
  const sendBatch = ctx.sink.sendBatch;
  if (!sendBatch) throw new FerryError('FERRY_ERR_INTERNAL', 'deliverBatch needs a sink with sendBatch');
  let outcomes: readonly DeliveryOutcome[];
  try {
    outcomes = await sendBatch.call(
      ctx.sink,
      batch.map((ready) => ready.outgoing),
    );
  } catch (error) {
    if (stopsTheRun(error)) throw error;
    outcomes = batch.map(() => unreachable(error));
  }
  if (outcomes.length !== batch.length) {
    throw new FerryError(
      'FERRY_ERR_INTERNAL',
      `the sink answered a batch of ${batch.length} records with ${outcomes.length} outcomes`,
    );
  }
  return batch.map((ready, i) => settleOutcome(ctx, ready, outcomes[i]!, outcomes[i]!.attempts));
}

/** Queues a sent record's final state (and its dead letter when it failed anew) and says how it ended. */
function settleOutcome(
  ctx: RecordContext,
  ready: ReadyRecord,
  outcome: DeliveryOutcome,
  sends: number,
): Fate {
  const { item, hash, firstMappedAt } = ready;
  const { previous } = item;
  const attempts = (previous?.attempts ?? 0) + sends;
  if (outcome.state === 'delivered') {
    const deleted = ready.operation === 'delete';
    // Kept only where the mark left it unset (first write wins): see prepareRecord's timeFromDestination.
    const kept =
      outcome.held === undefined
        ? undefined
        : firstDeliveryTime(outcome.held, ctx.mapper.firstMappedAtFields);
    persist(
      ctx,
      ctx.ledger.update(ctx.integration, ctx.runId, [
        {
          key: item.key,
          state: 'delivered',
          firstMappedAt: kept ?? firstMappedAt,
          attempts,
          lastError: null,
          deliveredHash: deleted ? null : hash,
          // A record created again after its delete must not send the first create's key: the destination
          // would answer with the response it stored for it, and create nothing.
          ...(deleted ? { keyGeneration: ready.generation + 1 } : {}),
        },
      ]),
    );
    return {
      state: 'delivered',
      attempts,
      operation: ready.operation,
      ...(outcome.note ? { note: outcome.note } : {}),
    };
  }

  const reasons = outcome.reasons.map((r) => at(item, { ...r, message: redactSecrets(r.message) }));
  const reason = reasons[0]!;
  const known =
    previous?.state === 'failed' && previous.bodyHash === hash && previous.openDeadLetter !== false;
  // The state and its dead letter are queued in the same tick, so they share one transaction: a kill
  // between two separate writes left the record failed without a dead letter, and no rerun added it.
  persist(
    ctx,
    Promise.all([
      ctx.ledger.update(ctx.integration, ctx.runId, [
        {
          key: item.key,
          state: 'failed',
          attempts,
          // Also here, for a record a lookup kept from being marked: its next try maps the same orderDate,
          // and a failure with the same body is then known.
          firstMappedAt,
          bodyHash: hash,
          lastError: reason.message,
          refused: outcome.refused === true,
        },
      ]),
      known
        ? undefined
        : ctx.ledger.addDeadLetter({
            integration: ctx.integration,
            key: item.key,
            runId: ctx.runId,
            state: 'failed',
            record: redactValue(item.record),
            body: redactValue(ready.mappedBody),
            reasons,
          }),
    ]),
  );
  return {
    state: 'failed',
    attempts,
    reasons,
    ...(outcome.refused === true ? { refused: true } : {}),
    ...(known ? { known } : {}),
  };
}

/** The time ferry wrote into a field that is `$firstMappedAt`, as the destination holds it, if it does. */
function firstDeliveryTime(body: unknown, paths: readonly string[] | undefined): string | undefined {
  for (const path of paths ?? []) {
    let value: unknown = body;
    for (const segment of path.split('.')) {
      value =
        value !== null && typeof value === 'object' ? (value as Record<string, unknown>)[segment] : undefined;
    }
    if (typeof value === 'string' && FERRY_TIME.test(value)) return value;
  }
  return undefined;
}

/** How ferry writes a first-mapped time (timestamp.ts): RFC 3339 UTC to the second. */
const FERRY_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/;

/** Errors that stop the run; the record stays as it is in the ledger and the next run reconciles it. */
function stopsTheRun(error: unknown): boolean {
  const kind = errorKindOf(error);
  return kind === 'aborted' || kind === 'auth' || kind === 'config' || kind === 'internal';
}

/**
 * The sink's reasons for refusing a mapped value's shape, or undefined when it takes it (or checks none).
 * A validate() that throws is a bug in the sink, not in the record: it stops the run.
 */
export function refusedShape(
  sink: Pick<SinkConnector, 'validate'>,
  value: unknown,
  operation: WriteOperation,
): readonly [Reason, ...Reason[]] | undefined {
  const reasons = sink.validate?.(value, operation);
  if (!reasons || reasons.length === 0) return undefined;
  return reasons.map((r) => ({ ...r, message: redactSecrets(r.message) })) as [Reason, ...Reason[]];
}

/** One send through the sink; throws only what must stop the run. */
async function sendOnce(ctx: RecordContext, outgoing: OutgoingRecord): Promise<DeliveryOutcome> {
  try {
    return await ctx.sink.send(outgoing);
  } catch (error) {
    if (stopsTheRun(error)) throw error;
    return unreachable(error);
  }
}

function unreachable(error: unknown): DeliveryOutcome {
  const message = error instanceof Error ? error.message : String(error);
  return { state: 'failed', attempts: 1, reasons: [{ code: 'destination_unreachable', message }] };
}

/** The reason with where the source read the record in front, when the source said and it does not already. */
function at(item: PendingRecord, reason: Reason): Reason {
  return item.position === undefined || reason.at !== undefined ? reason : { ...reason, at: item.position };
}

function quarantine(ctx: RecordContext, item: PendingRecord, found: readonly Reason[]): Fate {
  const reasons = found.map((reason) => at(item, reason));
  const sourceHash = `src:${sha256(safeStringify(item.record))}`;
  const { previous } = item;
  // The same dirty record read again on a rerun keeps its one dead letter (unless a purge deleted it:
  // then it is a problem to show again). State and dead letter are queued in the same tick (one
  // transaction), so a kill can never leave one without the other.
  const firstTime = !(
    previous?.state === 'quarantined' &&
    previous.bodyHash === sourceHash &&
    previous.openDeadLetter !== false
  );
  persist(
    ctx,
    Promise.all([
      ctx.ledger.update(ctx.integration, ctx.runId, [
        {
          key: item.key,
          state: 'quarantined',
          bodyHash: sourceHash,
          lastError: reasons[0]?.message ?? 'invalid',
        },
      ]),
      firstTime
        ? ctx.ledger.addDeadLetter({
            integration: ctx.integration,
            key: item.key,
            runId: ctx.runId,
            state: 'quarantined',
            record: redactValue(item.record),
            body: null,
            reasons: reasons.map((r) => redactValue(r)),
          })
        : undefined,
    ]),
  );
  return { state: 'quarantined', reasons, ...(firstTime ? {} : { known: true }) };
}
