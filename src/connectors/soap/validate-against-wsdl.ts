import { allowedElements } from '../../xml/schema/content-model.ts';
import { validateValue } from '../../xml/schema/validate-value.ts';
import type { ModelGroup, Particle, SchemaType } from '../../xml/schema/xsd-model.ts';
import type { ConnectorContext } from '../spec.ts';
import { loadWsdl } from './load-wsdl.ts';
import { wsdlOption } from './sink-options.ts';
import { choose } from './sink-spec.ts';
import type { SoapOperation } from './wsdl-model.ts';

/** One thing a mapping gets wrong about the operation it feeds, at an element path. */
export interface WsdlMappingProblem {
  /** Element path (`Order/Customer/Email`); '' for the operation itself. */
  readonly path: string;
  readonly message: string;
}

/** What to check: the dot paths a mapping writes (`Order.Customer.Email`), and optionally values it produced. */
export interface MappingShape {
  /** Every output field path the mapping sets, as dot paths; a parent of a set path is set too. */
  readonly fields: readonly string[];
  /** Fields the mapping may leave out for some records (optional output, `$p != "" ? $p`). */
  readonly optionalFields?: readonly string[];
  /** Mapped values to validate in full (from fixtures or a dry run), each against the schema. */
  readonly samples?: readonly unknown[];
}

/**
 * Checks a mapping against the WSDL operation it feeds, without sending anything: every field it writes
 * must be an element the schema has there, every element the schema requires must be written by it, and
 * sample values must validate. For `ferry validate`: load the destination's options, then call this with
 * the compiled mapping's output field paths (and, with fixtures, their mapped values).
 */
export function checkMappingAgainstOperation(
  operation: SoapOperation,
  shape: MappingShape,
): WsdlMappingProblem[] {
  const root = operation.input.kind === 'element' ? operation.input.element.type() : operation.input.type;
  const written = new Set<string>();
  for (const field of shape.fields) {
    const steps = field.split('.');
    for (let i = 1; i <= steps.length; i++) written.add(steps.slice(0, i).join('/'));
  }
  const optional = new Set((shape.optionalFields ?? []).map((f) => f.replaceAll('.', '/')));
  const problems: WsdlMappingProblem[] = [];

  for (const field of shape.fields) {
    const steps = field.split('.');
    let type: SchemaType = root;
    for (const [index, step] of steps.entries()) {
      const path = steps.slice(0, index + 1).join('/');
      if (step.startsWith('@') || step === '#text') break;
      const known = type.kind === 'complex' ? allowedElements(type.content).get(step) : undefined;
      if (!known) {
        const has = type.kind === 'complex' ? [...allowedElements(type.content).keys()] : [];
        problems.push({
          path,
          message: `the mapping writes ${path}, which ${type.name} does not have${has.length ? `; it has ${has.join(', ')}` : ''}`,
        });
        break;
      }
      type = known.decl.type();
    }
  }

  const required = (type: SchemaType, prefix: string) => {
    if (type.kind !== 'complex' || !type.content) return;
    for (const name of requiredNames(type.content)) {
      const path = prefix === '' ? name : `${prefix}/${name}`;
      if (!written.has(path)) {
        problems.push({
          path,
          message: `${type.name} requires ${name}, and the mapping never writes ${path}`,
        });
        continue;
      }
      if (optional.has(path))
        problems.push({ path, message: `${path} is required by the WSDL but the mapping may leave it out` });
      const element = allowedElements(type.content).get(name);
      if (element) required(element.decl.type(), path);
    }
  };
  required(root, '');

  for (const [index, sample] of (shape.samples ?? []).entries()) {
    for (const problem of validateValue(root, sample))
      problems.push({ path: problem.path, message: `sample ${index + 1}: ${problem.message}` });
  }
  return problems;
}

/** Elements a group requires in every instance: sequence members with minOccurs > 0 (choices left out). */
function requiredNames(group: ModelGroup): string[] {
  if (group.minOccurs === 0 || group.kind === 'choice') return [];
  return group.particles.flatMap((particle: Particle) => {
    if (particle.kind === 'any' || particle.minOccurs === 0) return [];
    if (particle.kind === 'element') return [particle.name];
    return requiredNames(particle);
  });
}

/**
 * Loads a SOAP destination's WSDL and checks a mapping against its operation (see
 * checkMappingAgainstOperation). `options` are the destination's parsed options (wsdl, service, port,
 * operation); `context` supplies the base directory and the HTTP stack for a remote WSDL.
 */
export async function validateAgainstWsdl(
  options: {
    wsdl?: string | undefined;
    endpoint?: string | undefined;
    service?: string | undefined;
    port?: string | undefined;
    operation: string;
  },
  shape: MappingShape,
  context: ConnectorContext,
): Promise<WsdlMappingProblem[]> {
  const model = await loadWsdl(wsdlOption(options, 'destination'), 'destination.wsdl', context, {
    auth: { type: 'none' },
    retry: {
      maxAttempts: 3,
      maxElapsedMs: 30_000,
      baseDelayMs: 250,
      maxDelayMs: 2_000,
      maxRetryAfterMs: 5_000,
    },
    timeouts: { connectMs: 10_000, headersMs: 30_000, bodyMs: 60_000 },
    origins: [],
  });
  return checkMappingAgainstOperation(
    choose(model, options, options.operation, 'destination.operation'),
    shape,
  );
}
