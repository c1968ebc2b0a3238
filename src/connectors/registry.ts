import { csvSink } from './csv/sink-spec.ts';
import { csvSource } from './csv/source-spec.ts';
import { graphqlSink } from './graphql/sink-spec.ts';
import { graphqlSource } from './graphql/source-spec.ts';
import { ndjsonSink } from './ndjson/sink-spec.ts';
import { ndjsonSource } from './ndjson/source-spec.ts';
import { restSink } from './rest/sink-spec.ts';
import { restSource } from './rest/source-spec.ts';
import { soapSink } from './soap/sink-spec.ts';
import { soapSource } from './soap/source-spec.ts';
import type { SinkSpec, SourceSpec } from './spec.ts';
import { webhookSource } from './webhook/source-spec.ts';

/** Every built-in source type, one line each; the integration schema, docs and `ferry connectors` follow it. */
export const sourceSpecs: readonly SourceSpec[] = [
  restSource,
  graphqlSource,
  soapSource,
  csvSource,
  ndjsonSource,
  webhookSource,
];

/** Every built-in destination type, one line each. */
export const sinkSpecs: readonly SinkSpec[] = [restSink, graphqlSink, soapSink, csvSink, ndjsonSink];
