import { restSink } from './rest/sink-spec.ts';
import { restSource } from './rest/source-spec.ts';
import type { SinkSpec, SourceSpec } from './spec.ts';
import { webhookSource } from './webhook/source-spec.ts';

/** Every built-in source type, one line each; the integration schema, docs and `ferry connectors` follow it. */
export const sourceSpecs: readonly SourceSpec[] = [restSource, webhookSource];

/** Every built-in destination type, one line each. */
export const sinkSpecs: readonly SinkSpec[] = [restSink];
