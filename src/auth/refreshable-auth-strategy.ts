import type { AuthStrategy } from '../core/auth-types.ts';
import type { HttpRequest } from '../core/http-types.ts';
import type { CredentialNames } from './request-credentials.ts';

/** Why a token was fetched again: it was (about to be) expired, or the server answered 401. */
export type TokenRefreshReason = 'expiry' | 'unauthorized';

/** Receives auth events, for metrics ("token refreshes by reason"). */
export interface AuthObserver {
  onTokenRefresh?(reason: TokenRefreshReason): void;
}

/**
 * An AuthStrategy as ferry's own strategies implement it. Every AuthStrategy fits this type (both additions
 * are optional), so the interceptor accepts any strategy and still gets the extras when they are there.
 */
export interface RefreshableAuthStrategy extends AuthStrategy {
  /**
   * Like AuthStrategy.refresh(), told which request got the 401, so that many concurrent 401s for one old
   * token cause one refresh: a request that used a token already replaced just retries with the new one.
   */
  refresh(usedRequest?: HttpRequest): Promise<boolean>;
  /**
   * What authorize() would resolve with, when the strategy knows it without waiting (a static key, a cached
   * token that needs no renewal); null when only authorize() can tell. Spares a request two promises.
   */
  authorizeNow?(request: HttpRequest): HttpRequest | null;
  /** Subscribes to refresh events; returns the unsubscribe function. */
  observe?(observer: AuthObserver): () => void;
  /** Where this strategy puts credentials, so the interceptor can strip them from requests to other origins. */
  readonly credentialNames?: CredentialNames;
}

/** A small set of observers that one strategy notifies; a throwing observer never breaks auth. */
export function createObserverSet(initial?: AuthObserver): {
  add(observer: AuthObserver): () => void;
  emit(reason: TokenRefreshReason): void;
} {
  const observers = new Set<AuthObserver>();
  if (initial) observers.add(initial);
  return {
    add(observer) {
      observers.add(observer);
      return () => observers.delete(observer);
    },
    emit(reason) {
      for (const observer of observers) {
        try {
          observer.onTokenRefresh?.(reason);
        } catch {
          // Metrics must never turn a good token into a failed request.
        }
      }
    },
  };
}
