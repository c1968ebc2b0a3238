import jsonata from 'jsonata';
import { formatDuration } from '../core/duration.ts';
import { redactSecrets } from '../core/secret-registry.ts';
import { type CompiledJsonata, compileJsonataAst } from './compile-jsonata.ts';

/** Limits every evaluation runs under. */
export interface EvaluationLimits {
  /** Wall-clock budget of one evaluation, checked by JSONata at every step. */
  readonly timeoutMs: number;
  /**
   * Deepest evaluation nesting allowed; stops runaway recursion before it exhausts the native stack.
   * @default 400
   */
  readonly maxDepth?: number;
  /**
   * Longest sequence an expression may build, so a hostile record cannot make it allocate without bound.
   * @default 100000
   */
  readonly maxSequence?: number;
}

/** What one evaluation produced: a value, or why it stopped. */
export type EvaluationOutcome =
  | { readonly ok: true; readonly value: unknown }
  | {
      readonly ok: false;
      readonly code: 'mapping_error' | 'mapping_timeout';
      readonly message: string;
      /** Character offset in the expression that failed, when JSONata knows it. */
      readonly position: number | null;
    };

/** A compiled JSONata expression whose evaluation never throws and never runs past its limits. */
export interface GuardedExpression {
  /** True when the expression runs as JavaScript closures (the compiled subset), the interpreter as fallback. */
  readonly compiled: boolean;
  evaluate(input: unknown, bindings?: Record<string, unknown>): Promise<EvaluationOutcome>;
  /**
   * The compiled subset's result without a promise, or null when this input needs the interpreter (then
   * call evaluate(), which gives the same outcome evaluate() always gives).
   */
  evaluateSync(input: unknown, bindings?: Record<string, unknown>): EvaluationOutcome | null;
}

/** How an expression is evaluated. */
export interface GuardedOptions {
  /**
   * Compile the expression to closures when it is inside the subset of compile-jsonata.ts; false keeps the
   * interpreter alone (to check a syntax, or to compare).
   * @default true
   */
  readonly compileSubset?: boolean;
}

/** Thrown-error shape of JSONata (a plain object with a code, not always an Error). */
interface JsonataFailure {
  readonly code?: unknown;
  readonly message?: unknown;
  readonly position?: unknown;
}

const MAX_MESSAGE_LENGTH = 300;
const NO_BINDINGS: Record<string, unknown> = {};

/** Compiles an expression once; a syntax error throws (callers turn it into FERRY_ERR_MAPPING_INVALID). */
export function compileGuarded(
  expr: string,
  limits: EvaluationLimits,
  options: GuardedOptions = {},
): GuardedExpression {
  // JSONata evaluates entirely in microtasks, so a timer wrapped around evaluate() could never fire
  // while an expression loops; its own guardrail checks the clock and depth at every evaluation step.
  const maxDepth = limits.maxDepth ?? 400;
  const maxSequence = limits.maxSequence ?? 100_000;
  const compiled = jsonata(expr, { timeout: limits.timeoutMs, stack: maxDepth, sequence: maxSequence });
  // The compiled subset has no loops or recursion of its own, so it needs no clock: its cost is bounded by
  // the record's size, and the arrays it builds are held to the same sequence limit.
  const fast: CompiledJsonata | null =
    options.compileSubset === false ? null : compileJsonataAst(compiled.ast(), { maxDepth, maxSequence });
  const evaluateSync = (input: unknown, bindings?: Record<string, unknown>): EvaluationOutcome | null => {
    if (fast === null) return null;
    try {
      return { ok: true, value: fast(input, bindings ?? NO_BINDINGS) };
    } catch {
      // Outside the subset for this input, or an error: the interpreter gives the result or the exact
      // error (code, message, position) it always gave. Compiled code is pure, so rerunning is safe.
      return null;
    }
  };
  return {
    compiled: fast !== null,
    evaluateSync,
    async evaluate(input, bindings) {
      const outcome = evaluateSync(input, bindings);
      if (outcome !== null) return outcome;
      try {
        return { ok: true, value: await compiled.evaluate(input, bindings) };
      } catch (error) {
        return toOutcome(error, limits);
      }
    },
  };
}

/** Reads JSONata's error shape: code, message and character position. */
export function describeJsonataError(error: unknown): {
  code: string;
  message: string;
  position: number | null;
} {
  const failure = (typeof error === 'object' && error !== null ? error : {}) as JsonataFailure;
  const code =
    typeof failure.code === 'string' ? failure.code : error instanceof Error ? error.name : 'unknown';
  const raw = typeof failure.message === 'string' ? failure.message : String(error);
  const position = typeof failure.position === 'number' ? failure.position : null;
  return { code, message: raw, position };
}

function toOutcome(error: unknown, limits: EvaluationLimits): EvaluationOutcome {
  const { code, message, position } = describeJsonataError(error);
  if (code === 'D1012') {
    return {
      ok: false,
      code: 'mapping_timeout',
      message: `ran past its ${formatDuration(limits.timeoutMs)} time limit`,
      position,
    };
  }
  if (code === 'D1011' || error instanceof RangeError) {
    return {
      ok: false,
      code: 'mapping_error',
      message: 'recursed too deeply (runaway recursion?)',
      position,
    };
  }
  // Messages can quote record values: redact secrets and keep huge values from flooding the ledger.
  const clipped = message.length > MAX_MESSAGE_LENGTH ? `${message.slice(0, MAX_MESSAGE_LENGTH)}…` : message;
  return {
    ok: false,
    code: 'mapping_error',
    message: `${redactSecrets(clipped)} (JSONata ${code})`,
    position,
  };
}
