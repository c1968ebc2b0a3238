import type { Reason } from '../../core/ledger-types.ts';
import { describeError, type GraphqlErrorEntry, joinPath } from './graphql-errors.ts';

/** Where one error of a partial answer points. */
export type ErrorPlace =
  /** Into record `index` of the page; `field` is the path inside the record ("" for the whole record). */
  | { readonly kind: 'record'; readonly index: number; readonly field: string }
  /** Anywhere else (pageInfo, totalCount, the connection itself) or nowhere (no path). */
  | { readonly kind: 'page' };

/**
 * Where an error's `path` points, given where the records are: `["customers","nodes",3,"email"]` with
 * records at `customers.nodes` is record 3's `email`; with records at `customers.edges`, an edge's `node`
 * is the record, so `["customers","edges",3,"node","email"]` is record 3's `email`.
 */
export function placeOf(
  error: GraphqlErrorEntry,
  recordsPath: readonly string[],
  edges: boolean,
): ErrorPlace {
  const path = error.path;
  if (!path || path.length <= recordsPath.length) return { kind: 'page' };
  for (let i = 0; i < recordsPath.length; i++) if (path[i] !== recordsPath[i]) return { kind: 'page' };
  const index = path[recordsPath.length];
  if (typeof index !== 'number' || !Number.isInteger(index) || index < 0) return { kind: 'page' };
  let rest = path.slice(recordsPath.length + 1);
  if (edges) {
    // An edge's cursor failing leaves the record itself readable, but its position unknown: the record's fault.
    if (rest[0] === 'node') rest = rest.slice(1);
  }
  return { kind: 'record', index, field: joinPath(rest) };
}

/** The reason a record is quarantined for one error pointing into it. */
export function recordReason(error: GraphqlErrorEntry, field: string): Reason {
  const what = field === '' ? 'this record' : field;
  // The position names the record already; the error's path would only repeat it.
  const { path: _path, ...withoutPath } = error;
  return {
    code: 'source_graphql_error',
    message: `the source sent an error instead of ${what}: ${describeError(withoutPath)}`,
    ...(field === '' ? {} : { field }),
  };
}

/** Groups errors pointing into records by record index, as the page's rejects. */
export function rejectsOf(
  errors: readonly GraphqlErrorEntry[],
  recordsPath: readonly string[],
  edges: boolean,
  recordCount: number,
): Map<number, [Reason, ...Reason[]]> {
  const rejects = new Map<number, [Reason, ...Reason[]]>();
  for (const error of errors) {
    const place = placeOf(error, recordsPath, edges);
    if (place.kind !== 'record' || place.index >= recordCount) continue;
    const reason = recordReason(error, place.field);
    const known = rejects.get(place.index);
    if (known) known.push(reason);
    else rejects.set(place.index, [reason]);
  }
  return rejects;
}
