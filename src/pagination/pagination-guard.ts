import { createHash } from 'node:crypto';
import { FerryError } from '../core/errors.ts';
import { redactSecrets } from '../core/secret-registry.ts';

/** Settings of a pagination guard. */
export interface PaginationGuardOptions {
  /** The configured source URL: next links must stay on its origin. */
  readonly sourceUrl: string;
  /** Most pages one read may reach (by page number). @default 100000 */
  readonly maxPages?: number;
  /** Names the source in messages ("customers"). @default "source" */
  readonly endpoint?: string;
  /** Appended to the message of a repeated page: what else the repeat may mean for this paging style. */
  readonly repeatHint?: string;
}

/** Checks each step of a paginated read against the classic bugs; every check throws a FerryError. */
export interface PaginationGuard {
  /** Records the URL of a page about to be read (the first, or one resumed from a checkpoint). */
  start(url: URL, pageNumber: number): void;
  /** Checks a page's records against the previous page's; throws when the page repeats it. */
  checkRecords(pageNumber: number, url: URL, records: readonly unknown[]): void;
  /**
   * Checks the next page's URL before it is requested: same origin as the source, never seen in this read,
   * within maxPages. `explain` says in the style's terms why a repeat means no progress.
   */
  checkNext(fromPage: number, next: URL, explain?: (url: URL) => string): void;
}

/**
 * A 53-bit prefix of SHA-256: a float-safe integer, so a million seen URLs cost a Set of numbers (tens of
 * bytes each) rather than a million strings, with a false-repeat chance around 1 in 18,000 at that size.
 */
function hash53(text: string): number {
  const digest = createHash('sha256').update(text).digest();
  return digest.readUIntBE(0, 6) * 32 + (digest[6]! >> 3);
}

/**
 * Creates the guard against pagination that does not advance: a next link to a URL already read (the same
 * page, or a cycle), a page whose records repeat the previous page's (the server ignores the paging
 * parameter), more than maxPages, and a next link to another origin (refused before anything is sent).
 */
export function createPaginationGuard(options: PaginationGuardOptions): PaginationGuard {
  const origin = new URL(options.sourceUrl).origin;
  const maxPages = options.maxPages ?? 100_000;
  const endpoint = options.endpoint ?? 'source';
  const seen = new Map<number, number>(); // URL hash -> page number that URL was read as
  /** The page read last, with its first record serialised: a page can only repeat it if it starts the same. */
  let previous: {
    readonly pageNumber: number;
    readonly records: readonly unknown[];
    readonly first: string;
  } | null = null;

  const fail = (message: string, details: Record<string, unknown>) =>
    new FerryError('FERRY_ERR_SOURCE_PAGINATION', message, { details: { endpoint, ...details } });

  return {
    start(url, pageNumber) {
      if (url.origin !== origin) throw crossOrigin(url, origin, `page ${pageNumber} of ${endpoint}`);
      seen.set(hash53(url.href), pageNumber);
    },

    checkRecords(pageNumber, url, records) {
      // Empty pages legitimately look alike; the URL check still catches an endless run of them.
      if (records.length === 0) {
        previous = null;
        return;
      }
      // Serialising every whole page showed in a run's CPU profile; a page is compared in full only when its
      // first record is the previous page's first, which pages that advance almost never share.
      const first = JSON.stringify(records[0]);
      if (
        previous !== null &&
        previous.pageNumber === pageNumber - 1 &&
        previous.records.length === records.length &&
        previous.first === first &&
        JSON.stringify(previous.records) === JSON.stringify(records)
      ) {
        const shown = redactSecrets(url.href);
        throw fail(
          `page ${pageNumber} of ${endpoint} (${shown}) repeats page ${pageNumber - 1}: the same ${records.length} records; the server ignores the paging parameter?${options.repeatHint ? ` ${options.repeatHint}` : ''}`,
          { pageNumber, url: shown, repeats: pageNumber - 1 },
        );
      }
      previous = { pageNumber, records, first };
    },

    checkNext(fromPage, next, explain) {
      if (next.origin !== origin) throw crossOrigin(next, origin, `page ${fromPage} of ${endpoint}`);
      const key = hash53(next.href);
      const readAs = seen.get(key);
      const shown = redactSecrets(next.href);
      if (readAs !== undefined) {
        const why = explain ? `: ${explain(next)}` : '';
        throw fail(
          `page ${fromPage} of ${endpoint} points to ${shown} as the next page, which was already read as page ${readAs}${why}`,
          { pageNumber: fromPage, url: shown, repeats: readAs },
        );
      }
      if (fromPage + 1 > maxPages) {
        throw fail(
          `page ${fromPage} of ${endpoint} has a next page (${shown}) but max_pages is ${maxPages}; raise max_pages if the source really is that long`,
          { pageNumber: fromPage, url: shown, maxPages },
        );
      }
      seen.set(key, fromPage + 1);
    },
  };
}

function crossOrigin(target: URL, origin: string, where: string): FerryError {
  return new FerryError(
    'FERRY_ERR_HTTP_CROSS_ORIGIN',
    `${where}: the next page link points to ${target.origin}; ferry does not send credentials to another origin (the source is ${origin})`,
    { details: { targetOrigin: target.origin, sourceOrigin: origin, url: redactSecrets(target.href) } },
  );
}
