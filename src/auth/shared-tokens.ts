import { hash } from 'node:crypto';
import type { TokenCache } from './token-cache.ts';

/**
 * Token caches shared by every run of a long-lived process (`ferry serve`), by credential: a run then
 * reuses the token the last run of the integration was issued while it is good, instead of asking the
 * token endpoint again at every start (runs every few seconds would each fetch one).
 */
export interface SharedTokens {
  /** The cache of the credential `identity`, made by `create` the first time it is asked for. */
  cacheFor(identity: string, create: () => TokenCache): TokenCache;
}

/** Creates an empty set of shared token caches. */
export function createSharedTokens(): SharedTokens {
  const caches = new Map<string, TokenCache>();
  return {
    cacheFor(identity, create) {
      let cache = caches.get(identity);
      if (cache === undefined) {
        cache = create();
        caches.set(identity, cache);
      }
      return cache;
    },
  };
}

/**
 * Identifies a credential by what shapes its tokens; secrets enter only as a hash, so the identity can be
 * kept and compared without holding them.
 */
export function credentialIdentity(
  parts: Readonly<Record<string, string | undefined>>,
  secrets: readonly (string | undefined)[],
): string {
  const secretHash = hash('sha256', secrets.map((s) => s ?? '').join('\u0000'), 'hex');
  return JSON.stringify({ ...parts, secret: secretHash });
}
