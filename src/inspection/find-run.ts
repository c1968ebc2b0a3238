import { FerryError } from '../core/errors.ts';
import type { Ledger, RunRow } from '../core/ledger-types.ts';

/**
 * The run with this id, or the one run whose id starts with it; FERRY_ERR_NOT_FOUND when none does and
 * FERRY_ERR_USAGE, listing some, when several do. `where` names the ledger in the message.
 */
export async function findRun(
  ledger: Pick<Ledger, 'getRun' | 'findRunsByIdPrefix'>,
  id: string,
  where: string,
): Promise<RunRow> {
  const exact = await ledger.getRun(id);
  if (exact) return exact;
  const shown = 5;
  const matches = id === '' ? [] : await ledger.findRunsByIdPrefix(id, shown + 1);
  if (matches.length === 1) return matches[0]!;
  if (matches.length === 0) {
    throw new FerryError('FERRY_ERR_NOT_FOUND', `no run ${id} in ${where}`, { details: { runId: id } });
  }
  const listed = matches.slice(0, shown).map((r) => `  ${r.id} (${r.integration}, started ${r.startedAt})`);
  throw new FerryError(
    'FERRY_ERR_USAGE',
    `"${id}" is the start of ${matches.length > shown ? `more than ${shown}` : matches.length} run ids; ` +
      `give more of it:\n${listed.join('\n')}`,
  );
}
