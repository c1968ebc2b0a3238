import type { SourcePage } from '../core/connector-types.ts';
import { FerryError } from '../core/errors.ts';
import type { RunObserver } from './engine-types.ts';

/** Options of createSourceTotal. */
export interface SourceTotalOptions {
  readonly observer: RunObserver;
  /** The run resumes from a checkpoint: its records before the first page are unknown unless a page says. */
  readonly resumed: boolean;
  readonly limit: number | undefined;
  /** source.on_total_mismatch. @default 'fail' */
  readonly onMismatch: 'fail' | 'warn' | undefined;
}

/** The size a source announces, followed page by page. */
export interface SourceTotal {
  /** Takes in one page's announced total and, on the first page, the records before it. */
  page(page: Pick<SourcePage, 'totalRecords' | 'recordsBefore'>): void;
  /**
   * After a complete read of `read` records (not cut short, not stopped): the error that ends the run when
   * they are not what the source announced, or undefined (a mismatch under `warn` is told to the observer).
   */
  afterCompleteRead(read: number): FerryError | undefined;
}

/**
 * A server that caps or truncates its pages ends the read early without an error; only the total it
 * announced can tell. Checked only when the whole read is known: from the start, or from a checkpoint that
 * says how many records came before it. A resumed read's total would overstate what is left, so only a read
 * from the start reports one to the observer.
 */
export function createSourceTotal(options: SourceTotalOptions): SourceTotal {
  let reported = options.resumed;
  let readBefore: number | undefined = options.resumed ? undefined : 0;
  let announced: number | undefined;
  let firstPage = true;
  return {
    page(page) {
      if (firstPage) {
        firstPage = false;
        readBefore = page.recordsBefore ?? readBefore;
      }
      if (page.totalRecords === undefined) return;
      announced = page.totalRecords;
      if (!reported) {
        reported = true;
        options.observer.onSourceTotal?.(
          Math.min(page.totalRecords, options.limit ?? Number.POSITIVE_INFINITY),
        );
      }
    },
    afterCompleteRead(read) {
      if (announced === undefined || readBefore === undefined) return undefined;
      const total = readBefore + read;
      if (total === announced) return undefined;
      if ((options.onMismatch ?? 'fail') === 'fail') return totalMismatch(announced, total);
      options.observer.onSourceTotalMismatch?.({ expected: announced, read: total });
      return undefined;
    },
  };
}

function totalMismatch(expected: number, read: number): FerryError {
  const gap = expected > read ? `${expected - read} fewer` : `${read - expected} more`;
  return new FerryError(
    'FERRY_ERR_SOURCE_INCOMPLETE',
    `the source announced ${expected} records but the complete read returned ${read} (${gap}): it may page in a way source.pagination does not follow, cap its page size, or stop early. Everything read was processed; set source.on_total_mismatch: warn to accept such reads`,
    { details: { expected, read } },
  );
}
