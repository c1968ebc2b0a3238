import { hash } from 'node:crypto';

/**
 * The Idempotency-Key for a record: derived from the integration and the record key only, so every attempt
 * of every run (and a replay) sends the same key, and two integrations never collide.
 */
export function idempotencyKeyFor(integration: string, recordKey: string): string {
  const hex = hash('sha256', `${integration}\u0000${recordKey}`, 'hex');
  // UUID-shaped because many APIs validate the header as one.
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}
