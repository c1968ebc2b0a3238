import { createHash } from 'node:crypto';

/**
 * A short fingerprint of a mapped body (the first 128 bits of its SHA-256, hex), stored in the ledger to
 * tell "the same order again" from "another order under this key"; long enough that a collision never happens.
 */
export function bodyHash(body: string): string {
  return createHash('sha256').update(body).digest('hex').slice(0, 32);
}
