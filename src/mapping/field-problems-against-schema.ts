import type { FerryError } from '../core/errors.ts';
import type { MappingSpec } from './parse-mapping-file.ts';
import { mappingInvalid } from './parse-mapping-file.ts';

type SchemaObject = Record<string, unknown>;

function asSchema(value: unknown): SchemaObject | null {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as SchemaObject)
    : null;
}

/**
 * Catches typos at load time rather than on the first record: every field of the output tree must exist in
 * the destination schema where that schema is closed, and every required destination field must be mapped.
 * Returns every problem found (FERRY_ERR_MAPPING_INVALID each). Only plain `properties` / `required` /
 * `additionalProperties: false` are followed; anything fancier ($ref, combinators) is left to validating
 * each body.
 */
export function fieldProblemsAgainstSchema(
  spec: MappingSpec,
  schema: SchemaObject,
  schemaFile: string,
): FerryError[] {
  const problems: FerryError[] = [];
  const walk = (node: SchemaObject, prefix: readonly string[]): void => {
    const properties = asSchema(node.properties);
    const here = spec.fields.filter((f) => prefix.every((segment, i) => f.target[i] === segment));
    const childNames = new Set(
      here.filter((f) => f.target.length > prefix.length).map((f) => f.target[prefix.length]!),
    );
    // A leaf at this level maps the whole object with one expression: nothing to check below it.
    if (here.some((f) => f.target.length === prefix.length)) return;
    if (properties && node.additionalProperties === false) {
      for (const name of childNames) {
        if (Object.hasOwn(properties, name)) continue;
        const field = here.find((f) => f.target[prefix.length] === name)!;
        const known = Object.keys(properties).join(', ');
        problems.push(
          mappingInvalid(
            spec.file,
            field.line,
            field.path,
            `${schemaFile} has no field "${name}" here; it allows ${known}`,
            field.column ?? null,
          ),
        );
      }
    }
    if (Array.isArray(node.required)) {
      for (const name of node.required) {
        if (typeof name !== 'string' || childNames.has(name)) continue;
        const line = here[0]?.line ?? spec.fields[0]?.line ?? null;
        const path = ['output', 'fields', ...prefix].join('.');
        problems.push(
          mappingInvalid(
            spec.file,
            line,
            path,
            `${schemaFile} requires "${[...prefix, name].join('.')}" but the mapping has no expression for it`,
          ),
        );
      }
    }
    if (!properties) return;
    for (const name of childNames) {
      const child = Object.hasOwn(properties, name) ? asSchema(properties[name]) : null;
      if (child) walk(child, [...prefix, name]);
    }
  };
  walk(schema, []);
  return problems;
}
