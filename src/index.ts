/**
 * ferry as a library: define an integration in code, load and validate one, build it, run it. The CLI
 * (`ferry run`) is a thin layer over exactly these. The mock APIs are in `ferry/testing`.
 */

export type {
  ConnectorContext,
  ConnectorDocs,
  HttpStack,
  HttpStackOptions,
  SinkSpec,
  SourceSpec,
} from './connectors/spec.ts';
export { defineSink, defineSource } from './connectors/spec.ts';
export type {
  Checkpoint,
  DeliveryOutcome,
  LookupResult,
  OutgoingRecord,
  SinkConnector,
  SourceConnector,
  SourcePage,
} from './core/connector-types.ts';
export { FerryError } from './core/errors.ts';
export type { DeadLetter, Ledger, Reason, RecordState } from './core/ledger-types.ts';
export type { RunObserver, RunOptions, RunResult } from './engine/engine-types.ts';
export { runIntegration } from './engine/run-integration.ts';
export {
  defineIntegration,
  envRef,
  fileRef,
  type IntegrationConfig,
  type IntegrationInput,
  resolveIntegration,
} from './integration/index.ts';
export { loadIntegration } from './integration/load-integration.ts';
export { loadMapping } from './mapping/index.ts';
export { type BuildOptions, type BuiltIntegration, buildIntegration } from './runtime/build-integration.ts';
export { type LedgerLocation, parseLedgerLocation } from './runtime/ledger-location.ts';
export { type OpenedLedger, type OpenLedgerOptions, openLedger } from './runtime/open-ledger.ts';
export { type JobOutcome, type RunJobOptions, runJob } from './runtime/run-job.ts';
export { createRunTelemetry, type RunTelemetry } from './runtime/run-telemetry.ts';
export { openSqliteLedger } from './state/sqlite-ledger.ts';
