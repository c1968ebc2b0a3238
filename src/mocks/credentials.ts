import { randomBytes, timingSafeEqual } from 'node:crypto';

/** A random credential for a mock when none is given, so no secret is ever hard-coded. */
export function randomCredential(prefix: string, bytes = 18): string {
  return `${prefix}_${randomBytes(bytes).toString('base64url')}`;
}

/** Compares a presented credential with the expected one in constant time. */
export function sameSecret(presented: string | undefined, expected: string): boolean {
  if (presented === undefined) return false;
  const a = Buffer.from(presented);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}
