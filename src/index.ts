/**
 * ferry as a library: define an integration in code, load and validate one, build its components, run it.
 * The CLI (`ferry run`) is a thin layer over exactly these.
 */
export { buildIntegration, type IntegrationRuntime } from './cli/build-integration.ts';
export { loadIntegration } from './cli/load-integration.ts';
export {
  defineIntegration,
  envRef,
  fileRef,
  type IntegrationConfig,
  type IntegrationInput,
  resolveIntegration,
} from './config/index.ts';
export type { Checkpoint, SinkConnector, SourceConnector, SourcePage } from './core/connector-types.ts';
export { FerryError } from './core/errors.ts';
export type { DeadLetter, Ledger, Reason, RecordState } from './core/ledger-types.ts';
export type { RunObserver, RunOptions, RunResult } from './engine/engine-types.ts';
export { runIntegration } from './engine/run-integration.ts';
export { loadMapping } from './mapping/index.ts';
export { startMockDestination, startMockSource } from './mocks/index.ts';
export { openSqliteLedger } from './state/sqlite-ledger.ts';
