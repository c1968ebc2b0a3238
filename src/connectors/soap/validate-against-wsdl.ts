import { allowedElements } from '../../xml/schema/content-model.ts';
import type { ModelGroup, Particle, SchemaType } from '../../xml/schema/xsd-model.ts';
import type { MappingCheckProblem, MappingOutline } from '../spec.ts';
import type { SoapOperation } from './wsdl-model.ts';

/**
 * Checks a mapping against the WSDL operation it feeds, without sending anything, for `ferry validate`:
 * every field it writes must be an element (or attribute) the schema has there (error), every element the
 * schema requires must be written (error), and a required element the mapping may leave out for some
 * records is noted: those records are quarantined with the element's path before any send.
 */
export function checkMappingAgainstOperation(
  operation: SoapOperation,
  mapping: MappingOutline,
): MappingCheckProblem[] {
  const root = operation.input.kind === 'element' ? operation.input.element.type() : operation.input.type;
  const written = new Set<string>();
  const mayBeAbsent = new Set<string>();
  for (const field of mapping.fields) {
    const steps = field.path.split('.');
    for (let i = 1; i <= steps.length; i++) written.add(steps.slice(0, i).join('.'));
    if (field.mayBeAbsent) mayBeAbsent.add(field.path);
  }
  const problems: MappingCheckProblem[] = [];

  for (const { path: field } of mapping.fields) {
    const steps = field.split('.');
    let type: SchemaType = root;
    for (const [index, step] of steps.entries()) {
      if (step.startsWith('@') || step === '#text') break;
      const known = type.kind === 'complex' ? allowedElements(type.content).get(step) : undefined;
      if (!known) {
        const path = steps.slice(0, index + 1).join('/');
        const has = type.kind === 'complex' ? [...allowedElements(type.content).keys()] : [];
        problems.push({
          field,
          severity: 'error',
          message: `${operation.name}'s input has no element ${path}: ${type.name} ${has.length ? `has ${has.join(', ')}` : 'has no child elements'}`,
        });
        break;
      }
      type = known.decl.type();
    }
  }

  const required = (type: SchemaType, prefix: readonly string[]) => {
    if (type.kind !== 'complex' || !type.content) return;
    for (const name of requiredNames(type.content)) {
      const steps = [...prefix, name];
      const dotted = steps.join('.');
      if (!written.has(dotted)) {
        problems.push({
          field: prefix.length === 0 ? '' : prefix.join('.'),
          severity: 'error',
          message: `${type.name} requires ${name}, and the mapping never writes ${steps.join('/')}`,
        });
        continue;
      }
      if (mayBeAbsent.has(dotted))
        problems.push({
          field: dotted,
          severity: 'note',
          message: `${steps.join('/')} is required by ${operation.name} and the expression may give nothing: records it gives nothing for are quarantined before any send`,
        });
      const element = allowedElements(type.content).get(name);
      if (element) required(element.decl.type(), steps);
    }
  };
  required(root, []);
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
