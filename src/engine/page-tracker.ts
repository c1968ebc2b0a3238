import type { Checkpoint } from '../core/connector-types.ts';
import type { CursorValue } from '../core/ledger-types.ts';

interface TrackedPage {
  readonly pageNumber: number;
  readonly next: Checkpoint | null;
  pending: number;
  readAll: boolean;
  /** An incremental read's highest cursor on the page. */
  cursorMax: CursorValue | null;
  /** The lowest cursor of a record on the page that failed without a refusal (to read again). */
  retryFrom: CursorValue | null;
}

/**
 * Decides when the source checkpoint may advance: only past a page whose every record is settled, and only
 * when every earlier page is settled too, so a crash never skips a record that was still in flight.
 */
export function createPageTracker(onAdvance: (settled: TrackedPage) => void) {
  const pages: TrackedPage[] = [];

  function advance(): void {
    while (pages.length > 0 && pages[0]!.readAll && pages[0]!.pending === 0) {
      onAdvance(pages.shift()!);
    }
  }

  return {
    /** Starts tracking a page; records are added one by one as they are dispatched. */
    open(pageNumber: number, next: Checkpoint | null): TrackedPage {
      const page: TrackedPage = {
        pageNumber,
        next,
        pending: 0,
        readAll: false,
        cursorMax: null,
        retryFrom: null,
      };
      pages.push(page);
      return page;
    },
    /** Counts one more unsettled record on the page. */
    add(page: TrackedPage): void {
      page.pending++;
    },
    /** Marks that no more records of the page will be added (a --limit may stop mid-page: then never call it). */
    close(page: TrackedPage): void {
      page.readAll = true;
      advance();
    },
    /** One record of the page reached a final state. */
    settle(page: TrackedPage): void {
      page.pending--;
      advance();
    },
    /** Pages read but not yet settled (for backpressure and diagnostics). */
    openPages(): number {
      return pages.length;
    },
  };
}

export type PageTracker = ReturnType<typeof createPageTracker>;
export type { TrackedPage };
