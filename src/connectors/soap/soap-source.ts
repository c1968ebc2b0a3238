import { createHash } from 'node:crypto';
import type { Checkpoint, SourceConnector, SourcePage } from '../../core/connector-types.ts';
import { FerryError } from '../../core/errors.ts';
import type { Send } from '../../core/http-types.ts';
import { redactSecrets } from '../../core/secret-registry.ts';
import type { SoapCaller } from './soap-call.ts';
import { fillTemplate } from './template.ts';
import type { SoapOperation } from './wsdl-model.ts';

/** How the list operation pages, as code sees it. */
export type SoapPaging =
  | { readonly type: 'page_number'; readonly start: number }
  | { readonly type: 'offset'; readonly start: number }
  | { readonly type: 'token'; readonly tokenPath: readonly string[] }
  | { readonly type: 'none' };

/** How the SOAP source reads. */
export interface SoapSourceOptions {
  readonly operation: SoapOperation;
  readonly caller: SoapCaller;
  readonly send: Send;
  readonly url: string;
  readonly request: unknown;
  readonly recordsPath: readonly string[];
  readonly totalPath?: readonly string[];
  readonly paging: SoapPaging;
  /** @default "source" */
  readonly endpoint?: string;
}

// A service that answers every page with a token, or pages without end, is stopped rather than followed.
const MAX_PAGES = 1_000_000;

/**
 * A source that calls a SOAP list operation page after page: the records are the elements at
 * `recordsPath` in each answer (ferry's XML convention, typed by the schema), the checkpoint is the next
 * page number, offset or continuation token, so a resumed read starts where the last settled page ended.
 */
export function createSoapSource(options: SoapSourceOptions): SourceConnector {
  const { caller, operation, paging } = options;
  const endpoint = options.endpoint ?? 'source';
  const where = `${redactSecrets(options.url)} (${operation.name})`;

  // What the checkpoint was made for: a checkpoint of another operation, request or paging starts over
  // (the ledger skips what was delivered) rather than resuming at a page that means something else now.
  const fit = createHash('sha256')
    .update(JSON.stringify([options.url, operation.name, options.request, options.recordsPath, paging]))
    .digest('base64url')
    .slice(0, 16);

  async function* readPages({ from: saved, signal }: { from: Checkpoint | null; signal: AbortSignal }) {
    const from = saved?.fit === fit ? saved : null;
    let position = start(from);
    let recordsBefore = typeof from?.recordsBefore === 'number' ? from.recordsBefore : 0;
    for (let pages = 0; pages < MAX_PAGES; pages++) {
      const label = labelOf(position);
      const input = fillPaging(position);
      const problems = caller.validate(operation, input);
      if (problems.length > 0)
        throw new FerryError(
          'FERRY_ERR_CONFIG_INVALID',
          `source.request for ${label} does not fit ${operation.name} in the WSDL: ${problems.map((p) => `${p.path || operation.name}: ${p.message}`).join('; ')}`,
          { details: { option: 'source.request' } },
        );
      const response = await options.send(caller.request(operation, input, endpoint, signal));
      const result = caller.read(operation, response);
      if (result.kind === 'invalid')
        throw new FerryError('FERRY_ERR_SOURCE_SHAPE', `reading ${label} from ${result.message}`, {
          details: { status: response.status, endpoint },
        });
      if (result.kind === 'fault') {
        const code =
          result.judged.action === 'credentials_refused'
            ? 'FERRY_ERR_HTTP_UNAUTHORIZED'
            : 'FERRY_ERR_SOURCE_SHAPE';
        throw new FerryError(
          code,
          `reading ${label} from ${where}: ${redactSecrets(result.judged.summary)}`,
          {
            details: { status: response.status, endpoint },
          },
        );
      }
      const records = listAt(result.value, options.recordsPath);
      const total = options.totalPath ? Number(valueAt(result.value, options.totalPath)) : Number.NaN;
      const next = nextPosition(position, records.length, result.value);
      const page: SourcePage = {
        records,
        label,
        next: next === null ? null : { ...next, recordsBefore: recordsBefore + records.length, fit },
        recordsBefore,
        ...(Number.isInteger(total) && total >= 0 ? { totalRecords: total } : {}),
      };
      yield page;
      recordsBefore += records.length;
      if (next === null) return;
      position = next;
    }
    throw new FerryError('FERRY_ERR_SOURCE_PAGINATION', `${where} answered more than ${MAX_PAGES} pages`, {
      details: { endpoint },
    });
  }

  function start(from: Checkpoint | null): Checkpoint {
    if (from) return from;
    if (paging.type === 'page_number') return { page: paging.start };
    if (paging.type === 'offset') return { offset: paging.start };
    return {};
  }

  function labelOf(position: Checkpoint): string {
    if (typeof position.page === 'number') return `page ${position.page}`;
    if (typeof position.offset === 'number') return `the page at offset ${position.offset}`;
    return typeof position.token === 'string' ? 'the page after a continuation token' : 'the first page';
  }

  function fillPaging(position: Checkpoint): unknown {
    const values: Record<string, unknown> = {
      ...(typeof position.page === 'number' ? { page: position.page } : {}),
      ...(typeof position.offset === 'number' ? { offset: position.offset } : {}),
      ...(typeof position.token === 'string' ? { token: position.token } : {}),
    };
    return fillTemplate(options.request, '', values);
  }

  function nextPosition(position: Checkpoint, count: number, output: unknown): Checkpoint | null {
    switch (paging.type) {
      case 'page_number':
        return count === 0 ? null : { page: (position.page as number) + 1 };
      case 'offset':
        return count === 0 ? null : { offset: (position.offset as number) + count };
      case 'token': {
        const token = valueAt(output, paging.tokenPath);
        if (token === undefined || token === null || token === '') return null;
        if (typeof token !== 'string' && typeof token !== 'number')
          throw new FerryError(
            'FERRY_ERR_SOURCE_PAGINATION',
            `${where}: the continuation token at ${paging.tokenPath.join('/')} is not text`,
            {
              details: { endpoint },
            },
          );
        if (String(token) === position.token)
          throw new FerryError(
            'FERRY_ERR_SOURCE_PAGINATION',
            `${where} answered the same continuation token twice; the read would never end`,
            {
              details: { endpoint },
            },
          );
        return { token: String(token) };
      }
      default:
        return null;
    }
  }

  return { readPages, close: async () => {} };
}

function valueAt(value: unknown, path: readonly string[]): unknown {
  let current = value;
  for (const step of path) {
    if (current === null || typeof current !== 'object' || Array.isArray(current)) return undefined;
    current = (current as Record<string, unknown>)[step];
  }
  return current;
}

/** The records at a path: an array as it is, one record as a list of one, an empty container as none. */
function listAt(value: unknown, path: readonly string[]): unknown[] {
  // The path was checked against the schema: a container left out or empty is a page without records.
  const parent = valueAt(value, path.slice(0, -1));
  if (parent === undefined || parent === null || parent === '') return [];
  const found = valueAt(value, path);
  if (found === undefined || found === null) return [];
  return Array.isArray(found) ? found : [found];
}
