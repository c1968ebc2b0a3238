/** A request as ferry's HTTP layer sees it: plain data, so interceptors can copy and amend it. */
export interface HttpRequest {
  readonly method: 'GET' | 'HEAD' | 'OPTIONS' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  readonly url: string;
  readonly headers: Readonly<Record<string, string>>;
  /** Serialised once per record, reused on every attempt. */
  readonly body?: string;
  readonly signal?: AbortSignal;
  /** Names the endpoint in metrics and messages without ids or secrets ("customers", "orders", "token"). */
  readonly endpoint: string;
  /** 1 on the first try; set by the retry layer. */
  readonly attempt?: number;
  /**
   * Hand a 2xx response's body over unread, as `bodyStream`, for the caller to read at its own pace (a
   * large XML document parsed as it arrives): no total deadline, only the idle timeout between chunks while
   * the caller reads, and the size cap still counts. Any other status is read whole, as usual, so errors
   * are classified and reported the same way. Response rules that look into the body (`body_contains`)
   * do not see a streamed body.
   */
  readonly streamBody?: boolean;
}

/** A response body read at the reader's pace: iterate it once; `cancel()` when stopping before its end. */
export interface ResponseBodyStream extends AsyncIterable<Buffer> {
  cancel(): void;
}

/** A fully read, size-limited response. */
export interface HttpResponse {
  readonly status: number;
  /** Header names are lower-case. */
  readonly headers: Readonly<Record<string, string>>;
  readonly body: Buffer;
  /** The URL that answered (after any allowed same-origin redirect). */
  readonly url: string;
  /** The unread body of a 2xx answer to a request with `streamBody` (then `body` is empty). */
  readonly bodyStream?: ResponseBodyStream;
  /**
   * What the response means, decided once by the stack's classify layer (the connector's rules, its body
   * reading, the defaults) where the response is first seen; every layer above and the connector read it.
   */
  readonly action?: ResponseAction;
}

/** Sends one request and resolves with its response; rejects only on network-level failure. */
export type Send = (request: HttpRequest) => Promise<HttpResponse>;

/** Cross-cutting behaviour composed around a Send, as undici's interceptors are: `next => send`. */
export type Interceptor = (next: Send) => Send;

/** What one place (classify()) decides about a response or a network error. */
export type ResponseAction =
  | { readonly type: 'success' }
  | { readonly type: 'retry'; readonly reason: string }
  | { readonly type: 'rate_limited'; readonly reason: string; readonly waitMs?: number }
  | { readonly type: 'refresh_auth'; readonly reason: string }
  | { readonly type: 'conflict'; readonly reason: string }
  | { readonly type: 'reject'; readonly reason: string }
  | { readonly type: 'fail'; readonly reason: string }
  | { readonly type: 'ignore'; readonly reason: string }
  /** A source's "no more pages" answer (Django REST Framework's 404 past the last page): the read ends. */
  | { readonly type: 'end_of_data'; readonly reason: string };
