import type { Checkpoint, SourceConnector, SourcePage } from '../../core/connector-types.ts';
import type { ConnectorContext } from '../spec.ts';

/** A connector context for unit tests of file connectors, which never build an HTTP stack. */
export function fileTestContext(baseDir: string, extra: Partial<ConnectorContext> = {}): ConnectorContext {
  return {
    integration: 'test',
    baseDir,
    allowInsecureHttp: false,
    http: () => {
      throw new Error('file connectors build no HTTP stack');
    },
    ignoreFields: [],
    ...extra,
  };
}

/** Reads every page a source hands out, from `from`. */
export async function readAllPages(
  source: SourceConnector,
  from: Checkpoint | null = null,
  signal: AbortSignal = new AbortController().signal,
): Promise<SourcePage[]> {
  const pages: SourcePage[] = [];
  for await (const page of source.readPages({ from, signal })) pages.push(page);
  return pages;
}

/** Reads pages until one fails, returning what came before and the failure. */
export async function readUntilFailure(
  source: SourceConnector,
  from: Checkpoint | null = null,
): Promise<{ pages: SourcePage[]; error: unknown }> {
  const pages: SourcePage[] = [];
  try {
    for await (const page of source.readPages({ from, signal: new AbortController().signal }))
      pages.push(page);
  } catch (error) {
    return { pages, error };
  }
  throw new Error('expected the read to fail');
}
