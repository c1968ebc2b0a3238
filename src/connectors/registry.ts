import { csvSink } from './csv/sink-spec.ts';
import { csvSource } from './csv/source-spec.ts';
import { ndjsonSink } from './ndjson/sink-spec.ts';
import { ndjsonSource } from './ndjson/source-spec.ts';
import { restSink } from './rest/sink-spec.ts';
import { restSource } from './rest/source-spec.ts';
import { soapSink } from './soap/sink-spec.ts';
import { soapSource } from './soap/source-spec.ts';
import type { SinkSpec, SourceSpec } from './spec.ts';

/** Every built-in source type, one line each; the integration schema, docs and `ferry connectors` follow it. */
export const sourceSpecs: readonly SourceSpec[] = [restSource, soapSource, csvSource, ndjsonSource];

/** Every built-in destination type, one line each. */
export const sinkSpecs: readonly SinkSpec[] = [restSink, soapSink, csvSink, ndjsonSink];
