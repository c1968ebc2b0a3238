import type { HttpResponse } from '../core/http-types.ts';

/** What a paginator sees of the page just read, to decide where the next one is. */
export interface PageContext {
  /** The URL that was requested for this page. */
  readonly url: URL;
  readonly response: HttpResponse;
  /** The parsed JSON body. */
  readonly body: unknown;
  /** The records selected from the body by records_path. */
  readonly records: readonly unknown[];
  /** 1-based position of the page in the read. */
  readonly pageNumber: number;
  /** Records the pages before this one held (resumed ones included), when known. */
  readonly recordsBefore?: number;
  /** The total record count the source announced with this page, when it did. */
  readonly total?: number;
}

/**
 * A pagination style as a plain strategy: where the first page is, and from one page where the next is
 * (null at the end). Stateless by design: everything it needs is in the current URL and the page, so a
 * read resumes from a checkpoint URL alone.
 */
export interface Paginator {
  /** The style's config name, for messages ("cursor", "page_number"...). */
  readonly type: string;
  first(url: URL): URL;
  next(context: PageContext): URL | null;
  /** Explains, in the style's own terms, why `url` repeating means the source does not advance. */
  explainRepeat?(url: URL): string;
}
