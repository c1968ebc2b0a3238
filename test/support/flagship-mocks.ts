import type { FaultOptions } from '../../src/mocks/fault-options.ts';
import { type MockDestinationHandle, startMockDestination } from '../../src/mocks/mock-destination.ts';
import {
  type MockSourceHandle,
  type MockSourceOptions,
  startMockSource,
} from '../../src/mocks/mock-source.ts';

/** Both mock APIs running, and the environment that points the flagship at them. */
export interface FlagshipMocks {
  readonly source: MockSourceHandle;
  readonly destination: MockDestinationHandle;
  /** SOURCE_URL, SOURCE_GRAPHQL_URL, SOURCE_XML_URL, SOURCE_API_KEY, DEST_URL, DEST_TOKEN_URL, DEST_CLIENT_ID, DEST_CLIENT_SECRET. */
  readonly env: Record<string, string>;
  close(): Promise<void>;
}

/** Starts the mock customer and order APIs on port 0 and returns the flagship's environment for them. */
export async function startFlagshipMocks(
  options: {
    count?: number;
    seed?: number;
    /** Adds ?per_page=N to SOURCE_URL so the source paginates with Link headers. */
    perPage?: number;
    sourceFaults?: FaultOptions;
    /** Paging quirks of the source: a page-size cap, an end status, stopping early. */
    sourcePaging?: Pick<MockSourceOptions, 'maxPageSize' | 'endStatus' | 'serveAtMost'>;
    destinationFaults?: FaultOptions;
    tokenTtlSeconds?: number;
    honourIdempotency?: boolean;
    allowDuplicates?: boolean;
    saveRejections?: boolean;
    /** Where both listen. @default 127.0.0.1 */
    host?: string;
  } = {},
): Promise<FlagshipMocks> {
  const source = await startMockSource({
    ...(options.host ? { host: options.host } : {}),
    count: options.count ?? 200,
    seed: options.seed ?? 42,
    ...(options.sourceFaults ? { faults: options.sourceFaults } : {}),
    ...options.sourcePaging,
  });
  const destination = await startMockDestination({
    ...(options.host ? { host: options.host } : {}),
    seed: options.seed ?? 42,
    ...(options.destinationFaults ? { faults: options.destinationFaults } : {}),
    ...(options.tokenTtlSeconds ? { tokenTtlSeconds: options.tokenTtlSeconds } : {}),
    ...(options.honourIdempotency === undefined ? {} : { honourIdempotency: options.honourIdempotency }),
    ...(options.allowDuplicates === undefined ? {} : { allowDuplicates: options.allowDuplicates }),
    ...(options.saveRejections === undefined ? {} : { saveRejections: options.saveRejections }),
  });
  const env = {
    SOURCE_URL: options.perPage ? `${source.url}?per_page=${options.perPage}` : source.url,
    SOURCE_GRAPHQL_URL: source.graphqlUrl,
    SOURCE_XML_URL: source.xmlUrl,
    SOURCE_API_KEY: source.apiKey,
    DEST_URL: destination.ordersUrl,
    DEST_TOKEN_URL: destination.tokenUrl,
    DEST_CLIENT_ID: destination.clientId,
    DEST_CLIENT_SECRET: destination.clientSecret,
  };
  return {
    source,
    destination,
    env,
    close: async () => {
      await Promise.all([source.close(), destination.close()]);
    },
  };
}
