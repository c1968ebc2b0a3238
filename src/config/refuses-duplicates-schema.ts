import { z } from 'zod';

/** When records a ledger does not know are looked up before their first write. */
export type LookupBeforeSend = 'new_ledger' | 'always' | 'never';

/**
 * `refuses_duplicates` of a destination with a lookup: a statement about the destination, not a policy, so
 * that what makes skipping the new ledger's lookups safe is written where the reader sees it. `refusal`
 * says how this protocol's destination says "I hold it already".
 */
export function refusesDuplicatesSchema(refusal: string) {
  return z
    .boolean()
    .default(false)
    .describe(
      `The destination never stores a record twice: it refuses to create one it already holds (${refusal}). ` +
        'Then a new ledger sends the records it does not know without looking each one up first, and ' +
        'compares those the destination refuses with what it holds (found equal: delivered): one request ' +
        'per record instead of two on a first run. Say true only when it holds: at a destination that ' +
        'stores a second copy, a job whose ledger was lost or moved would create duplicates. ' +
        '`lookup.before_send: always` still looks every record up.',
    );
}

/**
 * What `lookup.before_send` comes to: a destination that refuses duplicates is its own proof that a new
 * ledger's record is not there twice, so `new_ledger` lookups buy nothing there. Records left in flight
 * by a crash, unclear outcomes and replays are looked up whatever this says.
 */
export function lookupBeforeSend(beforeSend: LookupBeforeSend, refusesDuplicates: boolean): LookupBeforeSend {
  return refusesDuplicates && beforeSend === 'new_ledger' ? 'never' : beforeSend;
}
