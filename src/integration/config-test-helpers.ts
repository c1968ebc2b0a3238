import { sinkHttp, sourceHttp } from '../config/http-options.ts';
import { toPaginationConfig } from '../config/pagination-schema.ts';
import type { RestSinkConfig } from '../connectors/rest/sink-options.ts';
import type { RestSourceConfig } from '../connectors/rest/source-options.ts';
import type { FerryError } from '../core/errors.ts';
import type { IntegrationConfig } from './integration-schema.ts';

/** Awaits a promise that must reject and returns its error (tests only). */
export async function rejection(promise: Promise<unknown>): Promise<FerryError> {
  try {
    await promise;
  } catch (error) {
    return error as FerryError;
  }
  throw new Error('expected the promise to reject');
}

/**
 * A REST integration's two sides as the REST connectors' factories see them after conversion (durations in
 * ms, camelCase), so tests can assert defaults and conversions in one place (tests only).
 */
export function restSides(config: IntegrationConfig) {
  const source = config.source.options as RestSourceConfig;
  const destination = config.destination.options as RestSinkConfig;
  const sourceStack = sourceHttp(source);
  const sinkStack = sinkHttp(destination);
  return {
    source: {
      url: source.url,
      ...sourceStack,
      responses: sourceStack.rules,
      pagination: toPaginationConfig(source.pagination),
      recordsPath: source.records_path,
      totalPath: source.total_path,
      onTotalMismatch: source.on_total_mismatch,
    },
    destination: {
      url: destination.url,
      ...sinkStack,
      responses: sinkStack.rules,
      method: destination.method,
      idempotency: destination.idempotency,
      lookup: destination.lookup && {
        url: destination.lookup.url,
        recordsPath: destination.lookup.records_path,
        beforeSend: destination.lookup.before_send,
      },
    },
  };
}
