import type { z } from 'zod';
import type { PathKey } from './config-path.ts';
import { type FieldKind, type FieldMeta, SENSITIVE_HEADER } from './field-types.ts';

/** The parts of a zod 4 definition this walker reads (zod keeps them on `_zod.def`). */
interface SchemaDef {
  readonly type: string;
  readonly innerType?: z.ZodType;
  readonly in?: z.ZodType;
  readonly options?: readonly z.ZodType[];
  readonly discriminator?: string;
  readonly shape?: Readonly<Record<string, z.ZodType>>;
  readonly valueType?: z.ZodType;
  readonly element?: z.ZodType;
  readonly values?: readonly unknown[];
  readonly defaultValue?: unknown;
}

/** The definition of a schema node. */
export function defOf(schema: z.ZodType): SchemaDef {
  return (schema as unknown as { _zod: { def: SchemaDef } })._zod.def;
}

const WRAPPERS = new Set(['default', 'prefault', 'optional', 'nullable', 'readonly', 'catch', 'nonoptional']);

/** Every layer from the outside in: wrappers (default, optional...) and pipes down to the core type. */
export function layersOf(schema: z.ZodType): z.ZodType[] {
  const layers = [schema];
  let current = schema;
  for (;;) {
    const def = defOf(current);
    const next = WRAPPERS.has(def.type) ? def.innerType : def.type === 'pipe' ? def.in : undefined;
    if (!next) return layers;
    layers.push(next);
    current = next;
  }
}

/** The core type under wrappers and pipes. */
export function unwrap(schema: z.ZodType): z.ZodType {
  return layersOf(schema).at(-1)!;
}

/** The first ferry kind (duration, secret...) found on any layer. */
export function kindOf(schema: z.ZodType): FieldKind | undefined {
  for (const layer of layersOf(schema)) {
    const kind = (layer.meta() as FieldMeta | undefined)?.ferryKind;
    if (kind) return kind;
  }
  return undefined;
}

/** The first description found on any layer. */
export function descriptionOf(schema: z.ZodType): string | undefined {
  for (const layer of layersOf(schema)) if (layer.description) return layer.description;
  return undefined;
}

/** For a discriminated union, the option chosen by the data's discriminator value. */
function chooseOption(union: z.ZodType, data: unknown): z.ZodType | undefined {
  const def = defOf(union);
  if (!def.discriminator || !def.options) return undefined;
  const tag = (data as Record<string, unknown> | null)?.[def.discriminator];
  return def.options.find((option) => {
    const field = defOf(unwrap(option)).shape?.[def.discriminator!];
    return field ? (defOf(unwrap(field)).values ?? []).includes(tag) : false;
  });
}

/** Steps into one child of an object, record, array or discriminated union. */
function child(schema: z.ZodType, data: unknown, key: PathKey): z.ZodType | undefined {
  let core = unwrap(schema);
  if (defOf(core).type === 'union') {
    const option = chooseOption(core, data);
    if (!option) return undefined;
    core = unwrap(option);
  }
  const def = defOf(core);
  if (def.type === 'object' && typeof key === 'string') return def.shape?.[key];
  if (def.type === 'record' && typeof key === 'string') return def.valueType;
  if (def.type === 'array' && typeof key === 'number') return def.element;
  return undefined;
}

/** The schema node describing the value at `path` of `data`, if the data lets it be found. */
export function schemaAt(root: z.ZodType, data: unknown, path: readonly PathKey[]): z.ZodType | undefined {
  let schema: z.ZodType | undefined = root;
  let value = data;
  for (const key of path) {
    if (!schema) return undefined;
    schema = child(schema, value, key);
    value = (value as Record<PathKey, unknown> | null | undefined)?.[key];
  }
  return schema;
}

/** The object keys the schema allows at `path` (for "did you mean"), with an option chosen by the data. */
export function knownKeysAt(root: z.ZodType, data: unknown, path: readonly PathKey[]): string[] {
  const schema = schemaAt(root, data, path);
  if (!schema) return [];
  let core = unwrap(schema);
  const value = path.reduce<unknown>((v, k) => (v as Record<PathKey, unknown> | null | undefined)?.[k], data);
  if (defOf(core).type === 'union') {
    const option = chooseOption(core, value);
    if (!option) return [];
    core = unwrap(option);
  }
  return Object.keys(defOf(core).shape ?? {});
}

/**
 * The paths of every value of the given kind in `data`. For 'secret' that is fields marked secret and the
 * values of credential-like headers (Authorization, X-Api-Key...). Only paths present in the data are listed.
 */
export function pathsOfKind(root: z.ZodType, data: unknown, wanted: FieldKind): PathKey[][] {
  const found: PathKey[][] = [];
  const visit = (schema: z.ZodType, value: unknown, path: PathKey[]): void => {
    if (value === undefined || value === null) return;
    const kind = kindOf(schema);
    if (kind === wanted) {
      found.push(path);
      return;
    }
    if (kind === 'headers' && typeof value === 'object') {
      if (wanted === 'secret') {
        for (const name of Object.keys(value)) if (SENSITIVE_HEADER.test(name)) found.push([...path, name]);
      }
      return;
    }
    if (Array.isArray(value)) {
      value.forEach((item, index) => {
        const next = child(schema, value, index);
        if (next) visit(next, item, [...path, index]);
      });
    } else if (typeof value === 'object') {
      for (const [key, item] of Object.entries(value)) {
        const next = child(schema, value, key);
        if (next) visit(next, item, [...path, key]);
      }
    }
  };
  visit(root, data, []);
  return found;
}
