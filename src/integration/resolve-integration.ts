import { readFile as readFileFromDisk } from 'node:fs/promises';
import { resolve as resolvePath } from 'node:path';
import { formatPath, type PathKey } from '../config/config-path.ts';
import {
  type ConfigProblem,
  locationOf,
  type PositionMap,
  problemAt,
  throwProblems,
} from '../config/config-problem.ts';
import { didYouMean } from '../config/did-you-mean.ts';
import { parseTemplate, referencedNames } from '../config/interpolate.ts';
import { issueMessage } from '../config/issue-message.ts';
import { knownKeysAt, pathsOfKind, schemaAt } from '../config/schema-walk.ts';
import { insecureUrlReason } from '../config/url-policy.ts';
import type { ErrorCode } from '../core/error-codes.ts';
import { FerryError } from '../core/errors.ts';
import { registerSecret } from '../core/secret-registry.ts';
import { coerceInterpolated } from './coerce-interpolated.ts';
import {
  type IntegrationConfig,
  type IntegrationInput,
  integrationSchema,
  toIntegrationConfig,
} from './integration-schema.ts';

/** Environment variables as a plain map (process.env fits). */
export type ConfigEnv = Readonly<Record<string, string | undefined>>;

/** Reads a referenced file as UTF-8 text. */
export type ReadTextFile = (path: string) => Promise<string>;

/** Where an integration came from and what its references resolve against. */
export interface ResolveOptions {
  /** Shown in messages; "<inline>" when omitted. */
  readonly file?: string;
  /** Relative paths (mapping, ${file:...}, ca_file) resolve against it. */
  readonly baseDir: string;
  /** @default process.env */
  readonly env?: ConfigEnv;
  /** Reads ${file:...} references. @default fs.readFile as UTF-8 */
  readonly readFile?: ReadTextFile;
}

/** How each string of the input was written, before interpolation. */
interface StringOrigin {
  readonly raw: string;
  /** The string is exactly one ${...} reference. */
  readonly whole: boolean;
  /** The literal default of that one reference, when it has a non-empty one. */
  readonly fallback?: string;
}

const readUtf8: ReadTextFile = (path) => readFileFromDisk(path, 'utf8');

function valueAt(data: unknown, path: readonly PathKey[]): unknown {
  let value = data;
  for (const key of path) value = (value as Record<PathKey, unknown> | null | undefined)?.[key];
  return value;
}

function setOwn(target: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

/** A config problem with the error code it belongs to, as `ferry validate` lists it. */
export interface ConfigDiagnostic extends ConfigProblem {
  readonly code: ErrorCode;
}

/** One step's problems; the default reporter throws them as one FerryError, `diagnoseTree` collects them. */
type ReportProblems = (
  code: ErrorCode,
  headline: string,
  problems: readonly (ConfigProblem & { code?: ErrorCode })[],
  formatLine?: (problem: ConfigProblem) => string,
) => void;

/** The environment variable name a secret at `path` would conventionally use. */
function suggestedVariable(path: readonly PathKey[]): string {
  const side = path[0] === 'destination' ? 'DEST' : String(path[0] ?? '').toUpperCase();
  const last = String(path.at(-1) ?? 'secret');
  const name = last === 'value' ? 'api_key' : last;
  return `${side}_${name.replace(/[^A-Za-z0-9]+/g, '_').toUpperCase()}`;
}

/**
 * Validates an integration given as plain data (from YAML or code) and returns the typed config.
 * Order: interpolate references, register secrets, refuse literal secrets, check the schema, check URLs;
 * each step reports all of its problems at once in one FerryError.
 */
export async function resolveTree(
  input: unknown,
  positions: PositionMap,
  options: ResolveOptions,
): Promise<IntegrationConfig> {
  const config = await resolveSteps(input, positions, options, (code, headline, problems, formatLine) =>
    throwProblems(code, headline, problems, formatLine),
  );
  if (config === null) throw new FerryError('FERRY_ERR_INTERNAL', 'a refused integration was not reported');
  return config;
}

/**
 * Runs every check of resolveTree and returns all problems at once (missing variables, literal secrets,
 * schema and URL problems together) instead of stopping at the first step that fails; for `ferry validate`.
 * A value whose reference cannot be resolved is not checked further, so it is reported once.
 */
export async function diagnoseTree(
  input: unknown,
  positions: PositionMap,
  options: ResolveOptions,
): Promise<{
  readonly config: IntegrationConfig | null;
  readonly problems: readonly ConfigDiagnostic[];
  /** Absolute path of the mapping file when the file names one, even if other things are wrong. */
  readonly mappingPath: string | null;
}> {
  const problems: ConfigDiagnostic[] = [];
  const config = await resolveSteps(input, positions, options, (code, _headline, found) => {
    for (const problem of found) problems.push({ ...problem, code: problem.code ?? code });
  });
  const written = valueAt(input, ['mapping']);
  const mappingPath =
    config?.mappingPath ??
    (typeof written === 'string' && written !== '' && !written.includes('${')
      ? resolvePath(options.baseDir, written)
      : null);
  return { config: problems.length === 0 ? config : null, problems, mappingPath };
}

async function resolveSteps(
  input: unknown,
  positions: PositionMap,
  options: ResolveOptions,
  report: ReportProblems,
): Promise<IntegrationConfig | null> {
  const file = options.file ?? '<inline>';
  const env = options.env ?? process.env;
  const readFile = options.readFile ?? readUtf8;
  const origins = new Map<string, StringOrigin>();
  const referenceProblems: { code: ErrorCode; problem: ConfigProblem; variable?: string }[] = [];

  const interpolate = async (raw: string, path: PathKey[]): Promise<string | undefined> => {
    const parsed = parseTemplate(raw);
    if ('error' in parsed) {
      referenceProblems.push({
        code: 'FERRY_ERR_CONFIG_INVALID',
        problem: problemAt(file, positions, path, parsed.error, 'value'),
      });
      return undefined;
    }
    const first = parsed.parts[0];
    const whole = parsed.parts.length === 1 && first !== undefined && 'ref' in first;
    const fallback = whole && first.ref.kind === 'env' && first.ref.fallback ? first.ref.fallback : undefined;
    origins.set(formatPath(path), { raw, whole, ...(fallback === undefined ? {} : { fallback }) });
    let out = '';
    let complete = true;
    for (const part of parsed.parts) {
      if ('text' in part) {
        out += part.text;
      } else if (part.ref.kind === 'env') {
        const { name, fallback: byDefault } = part.ref;
        const value = env[name];
        // As in the shell, ${VAR:-default} also replaces an empty value.
        if (value !== undefined && !(byDefault !== undefined && value === '')) out += value;
        else if (byDefault !== undefined) out += byDefault;
        else {
          complete = false;
          referenceProblems.push({
            code: 'FERRY_ERR_CONFIG_ENV_MISSING',
            variable: name,
            problem: problemAt(
              file,
              positions,
              path,
              `environment variable ${name} is not set (referenced as \${${name}})`,
              'value',
            ),
          });
        }
      } else {
        const target = resolvePath(options.baseDir, part.ref.path);
        try {
          out += (await readFile(target)).replace(/(\r?\n)+$/, '');
        } catch (cause) {
          complete = false;
          const reason = (cause as { code?: string }).code ?? 'unreadable';
          referenceProblems.push({
            code: 'FERRY_ERR_CONFIG_NOT_FOUND',
            problem: problemAt(
              file,
              positions,
              path,
              `cannot read \${file:${part.ref.path}} (${target}): ${reason}`,
              'value',
            ),
          });
        }
      }
    }
    return complete ? out : undefined;
  };

  const walk = async (value: unknown, path: PathKey[]): Promise<unknown> => {
    if (typeof value === 'string') return interpolate(value, path);
    if (Array.isArray(value)) {
      const out: unknown[] = [];
      for (const [index, item] of value.entries()) out.push(await walk(item, [...path, index]));
      return out;
    }
    if (value !== null && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
      const out: Record<string, unknown> = {};
      for (const [key, item] of Object.entries(value)) setOwn(out, key, await walk(item, [...path, key]));
      return out;
    }
    return value;
  };

  const resolved = await walk(input, []);

  // Register before anything can throw, so every later message or log masks these values.
  const secretPaths = pathsOfKind(integrationSchema, resolved, 'secret');
  const secretSet = new Set(secretPaths.map(formatPath));
  for (const path of secretPaths) {
    const value = valueAt(resolved, path);
    if (typeof value === 'string') registerSecret(value);
  }

  if (referenceProblems.length > 0) {
    const missing = [...new Set(referenceProblems.flatMap((r) => (r.variable ? [r.variable] : [])))];
    const code: ErrorCode =
      missing.length > 0
        ? 'FERRY_ERR_CONFIG_ENV_MISSING'
        : referenceProblems.some((r) => r.code === 'FERRY_ERR_CONFIG_NOT_FOUND')
          ? 'FERRY_ERR_CONFIG_NOT_FOUND'
          : 'FERRY_ERR_CONFIG_INVALID';
    const headline =
      missing.length > 0
        ? `${file}: ${missing.length} environment variable${missing.length === 1 ? ' is' : 's are'} not set: ${missing.join(', ')}`
        : `${file}: ${referenceProblems.length} reference${referenceProblems.length === 1 ? '' : 's'} cannot be resolved`;
    report(
      code,
      headline,
      referenceProblems.map((r) => ({ ...r.problem, code: r.code })),
    );
  }
  const unresolved = new Set(referenceProblems.map((r) => r.problem.path));

  const allowLiteral = valueAt(resolved, ['options', 'dangerously_allow_literal_secrets']) === true;
  if (!allowLiteral) {
    const literal: ConfigProblem[] = [];
    for (const path of secretPaths) {
      const origin = origins.get(formatPath(path));
      if (origin?.whole && origin.fallback === undefined) continue;
      const how = origin?.fallback !== undefined ? 'has a literal default' : 'is written literally';
      literal.push(
        problemAt(
          file,
          positions,
          path,
          `${how}; reference it as \${${suggestedVariable(path)}} or \${file:/run/secrets/...}`,
        ),
      );
    }
    if (literal.length > 0) {
      report(
        'FERRY_ERR_CONFIG_LITERAL_SECRET',
        `${file}: secrets must come from the environment or a file, not the integration file ` +
          '(options.dangerously_allow_literal_secrets: true overrides this)',
        literal,
        (p) => `${p.path} at ${locationOf(p)} ${p.message}`,
      );
    }
  }

  const typeProblems = coerceInterpolated(integrationSchema, resolved, {
    file,
    positions,
    rawStrings: new Map([...origins].map(([path, origin]) => [path, origin.raw])),
  });
  // Parsed once: zod's JIT would first compile a function for each object schema it meets, for a single use
  // (start-up profiles in docs/performance.md).
  const result = integrationSchema.safeParse(resolved, { jitless: true });
  if (!result.success) {
    const problems: ConfigProblem[] = [...typeProblems];
    const explained = new Set(typeProblems.map((p) => p.path));
    for (const issue of result.error.issues) {
      const path = issue.path.filter((k): k is PathKey => typeof k === 'string' || typeof k === 'number');
      // Already reported as an unresolved reference or a variable that is not a number; "missing" or
      // "expected a number" would say the same thing twice.
      if (unresolved.has(formatPath(path)) || explained.has(formatPath(path))) continue;
      if (issue.code === 'unrecognized_keys') {
        const known = knownKeysAt(integrationSchema, resolved, path);
        for (const key of issue.keys) {
          const suggestion = didYouMean(key, known);
          const hint = suggestion ? `; did you mean "${suggestion}"?` : '';
          const allowed = known.length > 0 ? ` (expected one of: ${known.join(', ')})` : '';
          problems.push(problemAt(file, positions, [...path, key], `unknown key "${key}"${hint}${allowed}`));
        }
        continue;
      }
      const message = issueMessage(issue, {
        value: valueAt(resolved, path),
        schema: schemaAt(integrationSchema, resolved, path),
        secret: secretSet.has(formatPath(path)),
      });
      problems.push(problemAt(file, positions, path, message));
    }
    problems.sort((a, b) => (a.line ?? 0) - (b.line ?? 0) || (a.column ?? 0) - (b.column ?? 0));
    if (problems.length > 0) {
      report(
        'FERRY_ERR_CONFIG_INVALID',
        `${file}: ${problems.length} problem${problems.length === 1 ? '' : 's'} in the integration:`,
        problems,
      );
    }
  }

  if (valueAt(resolved, ['options', 'dangerously_allow_insecure_http']) !== true) {
    const insecure: ConfigProblem[] = [];
    for (const path of pathsOfKind(integrationSchema, resolved, 'url')) {
      const url = valueAt(resolved, path);
      const reason = typeof url === 'string' ? insecureUrlReason(url) : undefined;
      if (reason) insecure.push(problemAt(file, positions, path, reason));
    }
    if (insecure.length > 0) {
      report(
        'FERRY_ERR_CONFIG_INSECURE_URL',
        `${file}: plain http:// is only allowed to loopback hosts ` +
          '(options.dangerously_allow_insecure_http: true overrides this)',
        insecure,
      );
    }
  }

  if (!result.success) return null;
  const references: Record<string, string[]> = {};
  for (const [path, origin] of origins) {
    const names = referencedNames(origin.raw);
    if (names.length > 0) references[path] = names;
  }
  return toIntegrationConfig(result.data, { file, baseDir: options.baseDir, references });
}

/** Validates an integration built in code exactly as a YAML file would be; the TS twin of the loader. */
export function resolveIntegration(
  input: IntegrationInput,
  options: ResolveOptions,
): Promise<IntegrationConfig> {
  return resolveTree(input, new Map(), options);
}
