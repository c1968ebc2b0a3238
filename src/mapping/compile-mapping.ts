import { FerryError } from '../core/errors.ts';
import type { Reason } from '../core/ledger-types.ts';
import { buildObjectExpression } from './build-object-expression.ts';
import type { SchemaValidator } from './create-schema-validator.ts';
import { fieldProblemsAgainstSchema } from './field-problems-against-schema.ts';
import {
  compileGuarded,
  describeJsonataError,
  type EvaluationOutcome,
  type GuardedExpression,
} from './guarded-expression.ts';
import type { CompiledMapping, KeyResult, MappingBindings, MappingResult } from './mapping-types.ts';
import { type MappingSpec, mappingInvalid, type SourceLocation } from './parse-mapping-file.ts';
import { toJsonValue } from './to-json-value.ts';

/** Schemas a mapping validates against, already compiled. */
export interface CompiledSchemas {
  readonly input: { readonly file: string; readonly validate: SchemaValidator } | null;
  readonly output: {
    readonly file: string;
    readonly schema: Record<string, unknown>;
    readonly validate: SchemaValidator;
  } | null;
}

/** Outcomes the interpreter gave in this call, by expression; null until one was needed. */
type KnownOutcomes = Map<GuardedExpression, EvaluationOutcome> | null;

/** Thrown inside a pass when an expression needs the interpreter (async); replay() evaluates it and runs the pass again. */
class NeedsInterpreter {
  readonly expression: GuardedExpression;
  readonly input: unknown;
  readonly bindings: Record<string, unknown> | undefined;
  constructor(expression: GuardedExpression, input: unknown, bindings: Record<string, unknown> | undefined) {
    this.expression = expression;
    this.input = input;
    this.bindings = bindings;
  }
}

function evaluateIn(
  known: KnownOutcomes,
  expression: GuardedExpression,
  input: unknown,
  bindings?: Record<string, unknown>,
): EvaluationOutcome {
  const outcome = known?.get(expression) ?? expression.evaluateSync(input, bindings);
  if (outcome === null) throw new NeedsInterpreter(expression, input, bindings);
  return outcome;
}

/**
 * A mapping pass runs synchronously, with no promise per expression, as long as the compiled subset answers;
 * its caller returns the result as a settled promise. When an expression needs the interpreter, the pass
 * throws NeedsInterpreter: replay() awaits that expression's outcome and runs the pass again from the start
 * with it known. Every step is pure, so a replay decides exactly what one asynchronous pass would have, and
 * each expression is interpreted at most once per call.
 */
async function replay<T>(first: unknown, pass: (known: KnownOutcomes) => T): Promise<T> {
  const known: Map<GuardedExpression, EvaluationOutcome> = new Map();
  let error = first;
  for (;;) {
    if (!(error instanceof NeedsInterpreter)) throw error;
    known.set(error.expression, await error.expression.evaluate(error.input, error.bindings));
    try {
      return pass(known);
    } catch (next) {
      error = next;
    }
  }
}

/** Keys longer than this are refused: they go into the ledger and idempotency keys. */
export const MAX_KEY_LENGTH = 512;

/** How a mapping's expressions are evaluated. */
export interface MappingCompileOptions {
  /**
   * Evaluate every expression with the JSONata interpreter, never the compiled subset; for comparisons.
   * @default false
   */
  readonly interpretOnly?: boolean;
}

/**
 * Compiles a parsed mapping once: the key, each check, and the whole output tree as ONE JSONata expression.
 * Each of them also runs as JavaScript closures when it is inside the subset of compile-jsonata.ts (the
 * flagship is), with the interpreter as the fallback for anything else, so results and reasons are the same.
 */
export function compileMapping(
  spec: MappingSpec,
  schemas: CompiledSchemas,
  options: MappingCompileOptions = {},
): CompiledMapping {
  const limits = { timeoutMs: spec.timeoutMs };
  const compileSubset = options.interpretOnly !== true;
  const compile = (expr: string, at: SourceLocation, fast = compileSubset): GuardedExpression => {
    try {
      return compileGuarded(expr, limits, { compileSubset: fast });
    } catch (error) {
      const { message, position } = describeJsonataError(error);
      const where = position === null ? '' : ` (at character ${position})`;
      throw mappingInvalid(
        spec.file,
        at.line,
        at.path,
        `the JSONata expression does not compile: ${message}${where}`,
        at.column ?? null,
      );
    }
  };

  const keyExpr = compile(spec.key.expr, spec.key);
  const deletedExpr = spec.deleted === null ? null : compile(spec.deleted.expr, spec.deleted);
  const checks = spec.checks.map((check) => ({ ...check, expression: compile(check.expr, check) }));
  // Each leaf alone first, so a syntax error names its own field and line.
  for (const field of spec.fields) compile(field.expr, field, false);
  if (schemas.output) {
    const [first] = fieldProblemsAgainstSchema(spec, schemas.output.schema, schemas.output.file);
    if (first) throw first;
  }
  const combined = buildObjectExpression(spec.fields);
  const body = compile(combined.text, { line: spec.fields[0]?.line ?? 1, path: 'output.fields' });

  const keyField = spec.key.field ?? undefined;
  const keyReason = (code: string, message: string): Reason =>
    keyField === undefined ? { code, message: `the key ${message}` } : { field: keyField, code, message };

  function keyPass(record: unknown, known: KnownOutcomes): KeyResult {
    // JSONata would map a path over an array and happily return the first element's id.
    if (typeof record !== 'object' || record === null || Array.isArray(record)) {
      return {
        ok: false,
        key: null,
        reason: keyReason('key_missing', 'is missing: the record is not a JSON object'),
      };
    }
    const outcome = evaluateIn(known, keyExpr, record);
    if (!outcome.ok) return { ok: false, key: null, reason: keyReason(outcome.code, outcome.message) };
    const value = outcome.value;
    let key: string | null = null;
    if (typeof value === 'string') key = value;
    else if (typeof value === 'number' && Number.isFinite(value)) key = String(value);
    else if (value !== undefined && value !== null) {
      return {
        ok: false,
        key: null,
        reason: keyReason('key_invalid', 'must be a non-empty string or a number'),
      };
    }
    if (key === null || key.trim() === '') {
      return {
        ok: false,
        key: null,
        reason: keyReason('key_missing', 'is missing or empty; it identifies the record'),
      };
    }
    if (key.length > MAX_KEY_LENGTH) {
      return {
        ok: false,
        key: null,
        reason: keyReason('key_invalid', `must be at most ${MAX_KEY_LENGTH} characters long`),
      };
    }
    return { ok: true, key };
  }

  function checkPass(record: unknown, known: KnownOutcomes): Reason[] {
    if (typeof record !== 'object' || record === null || Array.isArray(record)) {
      return [{ code: 'wrong_type', message: 'the record must be a JSON object' }];
    }
    const reasons = schemas.input ? schemas.input.validate(record) : [];
    for (const check of checks) {
      // A field the schema (or an earlier check) already refused would only make its checks fail again,
      // or fail to evaluate.
      if (reasons.length > 0 && check.fields.some((f) => reasons.some((r) => r.field === f))) continue;
      const outcome = evaluateIn(known, check.expression, record);
      if (outcome.ok && outcome.value === true) continue;
      for (const field of check.fields) {
        reasons.push(
          outcome.ok
            ? { field, code: check.code, message: check.message }
            : {
                field,
                code: outcome.code,
                message: `the check ${check.code} failed to run: ${outcome.message}`,
              },
        );
      }
    }
    return reasons;
  }

  function applyPass(record: unknown, bindings: MappingBindings, known: KnownOutcomes): MappingResult {
    const keyResult = keyPass(record, known);
    const key = keyResult.ok ? keyResult.key : null;
    const inputReasons = checkPass(record, known);
    if (
      !keyResult.ok &&
      !inputReasons.some((r) => r.field !== undefined && r.field === keyResult.reason.field)
    ) {
      inputReasons.unshift(keyResult.reason);
    }
    if (inputReasons.length > 0) return { ok: false, key, stage: 'input', reasons: inputReasons };

    const outcome = evaluateIn(known, body, record, { firstMappedAt: bindings.firstMappedAt });
    if (!outcome.ok) {
      const field = combined.fieldAt(outcome.position);
      const reason: Reason =
        field === null
          ? { code: outcome.code, message: outcome.message }
          : { field, code: outcome.code, message: outcome.message };
      return { ok: false, key, stage: 'mapping', reasons: [reason] };
    }
    const json = toJsonValue(outcome.value);
    if (!json.ok) {
      const reason: Reason = json.error.path
        ? { field: json.error.path, code: 'mapping_error', message: `the mapped value ${json.error.problem}` }
        : { code: 'mapping_error', message: `the mapped body ${json.error.problem}` };
      return { ok: false, key, stage: 'mapping', reasons: [reason] };
    }
    const mapped = json.value;
    if (typeof mapped !== 'object' || mapped === null || Array.isArray(mapped)) {
      return {
        ok: false,
        key,
        stage: 'mapping',
        reasons: [{ code: 'mapping_error', message: 'the mapped body is not an object' }],
      };
    }
    const outputReasons = schemas.output ? schemas.output.validate(mapped) : [];
    if (outputReasons.length > 0) return { ok: false, key, stage: 'output', reasons: outputReasons };
    if (key === null)
      throw new FerryError('FERRY_ERR_INTERNAL', 'a record without a key passed its input checks');
    return { ok: true, key, body: mapped as Record<string, unknown> };
  }

  function keyOf(record: unknown): Promise<KeyResult> {
    try {
      return Promise.resolve(keyPass(record, null));
    } catch (error) {
      return replay(error, (known) => keyPass(record, known));
    }
  }

  // Only `true` marks a record deleted: a predicate that fails to evaluate on a record (a field of the wrong
  // type) leaves it to the mapping, whose checks then say what is wrong with it.
  function deletedPass(expression: GuardedExpression, record: unknown, known: KnownOutcomes): boolean {
    if (typeof record !== 'object' || record === null || Array.isArray(record)) return false;
    const outcome = evaluateIn(known, expression, record);
    return outcome.ok && outcome.value === true;
  }

  function isDeleted(record: unknown): Promise<boolean> {
    if (deletedExpr === null) return Promise.resolve(false);
    try {
      return Promise.resolve(deletedPass(deletedExpr, record, null));
    } catch (error) {
      return replay(error, (known) => deletedPass(deletedExpr, record, known));
    }
  }

  function apply(record: unknown, bindings: MappingBindings): Promise<MappingResult> {
    if (typeof bindings?.firstMappedAt !== 'string') {
      return Promise.reject(
        new FerryError('FERRY_ERR_INTERNAL', 'apply() needs bindings.firstMappedAt as an RFC 3339 string', {
          details: { file: spec.file },
        }),
      );
    }
    try {
      return Promise.resolve(applyPass(record, bindings, null));
    } catch (error) {
      return replay(error, (known) => applyPass(record, bindings, known));
    }
  }

  return {
    file: spec.file,
    description: spec.description,
    keyExpr: spec.key.expr,
    deletedExpr: spec.deleted?.expr ?? null,
    fields: spec.fields.map((f) => ({
      path: f.target.join('.'),
      expr: f.expr,
      doc: f.doc,
      compare: f.compare,
    })),
    checks: spec.checks.map(({ expr, fields, code, message }) => ({ expr, fields, code, message })),
    firstMappedAtFields: spec.fields
      .filter((f) => f.expr.trim() === '$firstMappedAt')
      .map((f) => f.target.join('.')),
    inputSchemaFile: schemas.input?.file ?? null,
    outputSchemaFile: schemas.output?.file ?? null,
    keyOf,
    apply,
    ...(deletedExpr === null ? {} : { isDeleted }),
  };
}
