import type { HttpRequest } from './http-types.ts';

/** Applies credentials to requests and refreshes them; one per connector. */
export interface AuthStrategy {
  /** Returns the request with credentials added (header, query parameter...). */
  authorize(request: HttpRequest): Promise<HttpRequest>;
  /**
   * Called after a 401: drops cached credentials and fetches fresh ones.
   * Returns false when nothing can be refreshed (a static key), so the caller fails instead of retrying.
   */
  refresh(): Promise<boolean>;
  /**
   * Starts obtaining credentials now (a token request), without waiting, so the first request finds them
   * ready; a failure is kept for that first request to report. Called as a run starts reading.
   */
  prepare?(): void;
  /** Origins (scheme://host:port) the credentials may be sent to; anything else gets none. */
  readonly allowedOrigins: ReadonlySet<string>;
  close?(): Promise<void>;
}
