import { hash } from 'node:crypto';

/**
 * The Idempotency-Key for a record: derived from the integration, the record key and the key generation
 * only, so every attempt of every run (and a replay) of the same body sends the same key, and two
 * integrations never collide. Generation 0 hashes exactly what keys did before generations existed, so
 * records delivered by older ferry versions keep their keys.
 */
export function idempotencyKeyFor(integration: string, recordKey: string, generation = 0): string {
  const input =
    generation === 0
      ? `${integration}\u0000${recordKey}`
      : `${integration}\u0000${recordKey}\u0000${generation}`;
  return uuidShaped(input);
}

/**
 * The Idempotency-Key of an update or a delete: derived from the version it writes as well, so every
 * attempt of one version sends the same key, and a later version never reuses an earlier one's (which a
 * destination would answer with the earlier version's stored response).
 */
export function versionKeyFor(
  integration: string,
  recordKey: string,
  generation: number,
  operation: 'update' | 'delete',
  versionHash: string,
): string {
  return uuidShaped(
    `${integration}\u0000${recordKey}\u0000${generation}\u0000${operation}\u0000${versionHash}`,
  );
}

function uuidShaped(input: string): string {
  const hex = hash('sha256', input, 'hex');
  // UUID-shaped because many APIs validate the header as one.
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}
