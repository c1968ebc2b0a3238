import { readFile } from 'node:fs/promises';
import { parseYamlTree } from '../config/yaml-tree.ts';
import { sinkSpecs } from '../connectors/registry.ts';
import type { ConnectorContext, HttpStack, HttpStackOptions } from '../connectors/spec.ts';
import { FerryError } from '../core/errors.ts';
import { redactSecrets } from '../core/secret-registry.ts';
import type { IntegrationConfig } from '../integration/integration-schema.ts';
import type { ConfigDiagnostic } from '../integration/resolve-integration.ts';
import type { FieldDescription } from '../mapping/mapping-types.ts';
import { mayGiveNothing } from '../mapping/may-give-nothing.ts';
import { createHttpStack } from './http-stack.ts';

/** What the destination found of the mapping: errors, warnings (errors under --strict) and notes. */
export interface DestinationMappingCheck {
  readonly errors: readonly ConfigDiagnostic[];
  readonly warnings: readonly ConfigDiagnostic[];
  readonly notes: readonly ConfigDiagnostic[];
}

/**
 * For `ferry validate`: asks the destination's connector to check the mapping's output fields against what
 * it declares it takes (a SOAP destination: the WSDL operation's input), each problem located at the
 * mapping field's line. Reads what the options name (a WSDL file or URL) and sends nothing; a description
 * that cannot be fetched over the network is a warning (the mapping was not checked), one that is wrong
 * (no such operation, not a WSDL) an error at its option's line.
 */
export async function checkDestinationMapping(
  config: IntegrationConfig,
  mapping: { readonly file: string; readonly fields: readonly FieldDescription[] },
): Promise<DestinationMappingCheck> {
  const spec = sinkSpecs.find((s) => s.type === config.destination.type);
  if (!spec?.checkMapping) return { errors: [], warnings: [], notes: [] };
  const stacks: HttpStack[] = [];
  const ca = config.options.caFile
    ? await readFile(config.options.caFile, 'utf8').catch(() => undefined)
    : undefined;
  const context: ConnectorContext = {
    integration: config.name,
    baseDir: config.baseDir,
    allowInsecureHttp: config.options.dangerouslyAllowInsecureHttp,
    ignoreFields: [],
    http(requested: HttpStackOptions) {
      // A check reports what it finds at once: one retry, no breaker or limiter.
      const { circuitBreaker: _breaker, rateLimit: _limiter, ...rest } = requested;
      const stack = createHttpStack(
        { ...rest, retry: { ...requested.retry, maxAttempts: Math.min(2, requested.retry.maxAttempts) } },
        {
          observer: {},
          allowInsecureHttp: config.options.dangerouslyAllowInsecureHttp,
          baseDir: config.baseDir,
          ...(ca ? { ca } : {}),
        },
      );
      stacks.push(stack);
      return stack;
    },
  };
  const outline = {
    fields: mapping.fields.map((field) => ({ path: field.path, mayBeAbsent: mayGiveNothing(field.expr) })),
  };
  try {
    const problems = await spec.checkMapping(config.destination.options, outline, context);
    const positions = await positionsOf(mapping.file);
    const located = problems.map((problem) => {
      const where = positions?.get(
        problem.field === '' ? 'output.fields' : `output.fields.${problem.field}`,
      )?.key;
      return {
        severity: problem.severity,
        entry: {
          file: mapping.file,
          line: where?.line ?? null,
          column: where?.column ?? null,
          path: problem.field === '' ? 'output.fields' : `output.fields.${problem.field}`,
          code: 'FERRY_ERR_MAPPING_INVALID' as const,
          message: `${config.destination.type} destination: ${redactSecrets(problem.message)}`,
        },
      };
    });
    return {
      errors: located.filter((p) => p.severity === 'error').map((p) => p.entry),
      warnings: located.filter((p) => p.severity === 'warning').map((p) => p.entry),
      notes: located.filter((p) => p.severity === 'note').map((p) => p.entry),
    };
  } catch (error) {
    if (!(error instanceof FerryError)) throw error;
    const option = (error.details as { option?: unknown }).option;
    const path = typeof option === 'string' ? option : 'destination';
    const where = (await positionsOf(config.file))?.get(path);
    const entry: ConfigDiagnostic = {
      file: config.file,
      line: where?.value?.line ?? where?.key?.line ?? null,
      column: where?.value?.column ?? where?.key?.column ?? null,
      path,
      code: error.code,
      message: redactSecrets(error.message),
    };
    // Unreachable is not wrong: the mapping simply was not checked against it.
    if (isUnreachable(error))
      return {
        errors: [],
        warnings: [
          { ...entry, message: `${entry.message}; the mapping was not checked against the destination` },
        ],
        notes: [],
      };
    return { errors: [entry], warnings: [], notes: [] };
  } finally {
    await Promise.allSettled(stacks.map((stack) => stack.close()));
  }
}

function isUnreachable(error: FerryError): boolean {
  for (let current: unknown = error; current instanceof FerryError; current = current.cause) {
    if (current.kind === 'transient' || current.kind === 'rate_limited') return true;
    if (current.code === 'FERRY_ERR_HTTP_TIMEOUT' || current.code === 'FERRY_ERR_HTTP_TRANSIENT') return true;
  }
  return false;
}

async function positionsOf(file: string) {
  try {
    return parseYamlTree(await readFile(file, 'utf8'), file).positions;
  } catch {
    return undefined;
  }
}
