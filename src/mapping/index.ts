export { describeMapping } from './describe-mapping.ts';
export { loadMapping } from './load-mapping.ts';
export type {
  CompiledMapping,
  KeyResult,
  MappingBindings,
  MappingResult,
  MappingStage,
} from './mapping-types.ts';
