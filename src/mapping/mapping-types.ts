import type { Reason } from '../core/ledger-types.ts';

/** Values the engine supplies to every evaluation, visible to expressions as `$name`. */
export interface MappingBindings {
  /** When the record was first mapped: RFC 3339 UTC with a Z, to the second; keeps orderDate stable on reruns. */
  readonly firstMappedAt: string;
}

/** Where a record stopped: its input checks, the mapping expressions, or the destination schema. */
export type MappingStage = 'input' | 'mapping' | 'output';

/** The outcome of mapping one record; a bad record is a value, never a thrown error. */
export type MappingResult =
  | { readonly ok: true; readonly key: string; readonly body: Record<string, unknown> }
  | {
      readonly ok: false;
      /** null when the key itself could not be computed. */
      readonly key: string | null;
      readonly stage: MappingStage;
      readonly reasons: readonly Reason[];
    };

/** The outcome of computing a record's key alone. */
export type KeyResult =
  | { readonly ok: true; readonly key: string }
  | { readonly ok: false; readonly key: null; readonly reason: Reason };

/** One destination field of the output tree, as written in the mapping file. */
export interface FieldDescription {
  /** Dot path in the destination body ("customerInfo.name"). */
  readonly path: string;
  readonly expr: string;
  readonly doc: string | null;
  /**
   * False when a lookup at the destination ignores this field in deciding "the same record" (e.g. a
   * timestamp ferry sets when it first maps the record, which a new ledger would set anew). @default true
   */
  readonly compare: boolean;
}

/** One extra input rule, as written in the mapping file. */
export interface CheckDescription {
  readonly expr: string;
  readonly fields: readonly string[];
  readonly code: string;
  readonly message: string;
}

/** A mapping file compiled once: expressions parsed, schemas compiled; apply it to any number of records. */
export interface CompiledMapping {
  /** Absolute path of the mapping file. */
  readonly file: string;
  readonly description: string | null;
  /** The key expression as written. */
  readonly keyExpr: string;
  /** The `deleted` predicate as written, or null when the mapping has none. */
  readonly deletedExpr: string | null;
  readonly fields: readonly FieldDescription[];
  readonly checks: readonly CheckDescription[];
  /** Absolute paths of the input and output JSON Schemas, when given. */
  readonly inputSchemaFile: string | null;
  readonly outputSchemaFile: string | null;
  /** Dot paths of destination fields whose expression is `$firstMappedAt` alone. */
  readonly firstMappedAtFields: readonly string[];
  /** The record's key (stringified), or the reason it has none. Never throws for a bad record. */
  keyOf(record: unknown): Promise<KeyResult>;
  /** Validates, maps and validates again. Never throws for a bad record. */
  apply(record: unknown, bindings: MappingBindings): Promise<MappingResult>;
  /** True when the `deleted` predicate says the source marks the record deleted; absent without one. */
  isDeleted?(record: unknown): Promise<boolean>;
}
