import type { Reason } from './ledger-types.ts';

/** A reason as one line: where the record was read, the field, the message (`customers.csv:12: email: ...`). */
export function describeReason(reason: Reason): string {
  return `${reason.at ? `${reason.at}: ` : ''}${reason.field ? `${reason.field}: ` : ''}${reason.message}`;
}
