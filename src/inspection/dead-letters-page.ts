import type { DeadLetter, DeadLetterFilter, Ledger } from '../core/ledger-types.ts';
import { decodeCursor, encodeCursor, type Page } from './cursor.ts';

/** Which dead letters to list, newest first, and from where. */
export interface DeadLetterQuery extends DeadLetterFilter {
  /** @default 50 */
  readonly limit?: number;
  /** From a previous page's nextCursor. */
  readonly cursor?: string;
}

const DEAD_LETTERS = 'dead-letters';

/** The filter part of a query, with only the keys that are set (the ledger's options are exact). */
export function deadLetterFilter(
  query: {
    readonly [K in keyof DeadLetterFilter]?: DeadLetterFilter[K] | undefined;
  },
): DeadLetterFilter {
  const filter: DeadLetterFilter = {};
  if (query.integration !== undefined) filter.integration = query.integration;
  if (query.state !== undefined) filter.state = query.state;
  if (query.includeResolved) filter.includeResolved = true;
  if (query.runId !== undefined) filter.runId = query.runId;
  if (query.reason !== undefined) filter.reason = query.reason;
  if (query.field !== undefined) filter.field = query.field;
  return filter;
}

/**
 * One page of dead letters, newest first, and how many match in all: what `ferry dlq list` prints and
 * `GET /api/dead-letters` returns.
 */
export async function listDeadLettersPage(
  ledger: Pick<Ledger, 'listDeadLetters' | 'countDeadLetters'>,
  query: DeadLetterQuery = {},
): Promise<Page<DeadLetter> & { readonly total: number }> {
  const limit = query.limit ?? 50;
  const filter = deadLetterFilter(query);
  const beforeId =
    query.cursor === undefined ? undefined : decodeCursor(DEAD_LETTERS, query.cursor, 'number');
  const rows = await ledger.listDeadLetters({
    ...filter,
    limit: limit + 1,
    ...(beforeId === undefined ? {} : { beforeId }),
  });
  const items = rows.slice(0, limit);
  const last = items.at(-1);
  return {
    items,
    nextCursor: rows.length > limit && last ? encodeCursor(DEAD_LETTERS, last.id) : null,
    total: await ledger.countDeadLetters(filter),
  };
}

/** Every dead letter the filter matches, newest first, a page at a time: for exports and bulk actions. */
export async function* eachDeadLetterPage(
  ledger: Pick<Ledger, 'listDeadLetters'>,
  filter: DeadLetterFilter,
  pageSize = 500,
): AsyncGenerator<DeadLetter[]> {
  let beforeId: number | undefined;
  for (;;) {
    const page = await ledger.listDeadLetters({
      ...deadLetterFilter(filter),
      limit: pageSize,
      ...(beforeId === undefined ? {} : { beforeId }),
    });
    if (page.length === 0) return;
    yield page;
    if (page.length < pageSize) return;
    beforeId = page.at(-1)!.id;
  }
}

/** The letters an action names: these ids, or every letter the filter matches; grouped by integration. */
export async function selectDeadLetters(
  ledger: Pick<Ledger, 'listDeadLetters' | 'getDeadLetter'>,
  selection: { readonly ids: readonly number[] } | { readonly filter: DeadLetterFilter },
): Promise<Map<string, DeadLetter[]>> {
  const byIntegration = new Map<string, DeadLetter[]>();
  const add = (letter: DeadLetter) => {
    const list = byIntegration.get(letter.integration) ?? [];
    list.push(letter);
    byIntegration.set(letter.integration, list);
  };
  if ('ids' in selection) {
    for (const id of new Set(selection.ids)) {
      const letter = await ledger.getDeadLetter(id);
      if (letter) add(letter);
    }
  } else {
    for await (const page of eachDeadLetterPage(ledger, selection.filter)) page.forEach(add);
  }
  return byIntegration;
}
