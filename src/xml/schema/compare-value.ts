import { XML_ATTRIBUTE_PREFIX, XML_TEXT_KEY } from '../xml-object.ts';
import { allowedElements } from './content-model.ts';
import { toLexical } from './lexical.ts';
import { canonicalValue } from './xsd-builtins.ts';
import type { SchemaType, SimpleType } from './xsd-model.ts';

/**
 * The element paths where a destination's copy differs from what was sent, compared value by value in the
 * schema's terms (`1.50` = `1.5`, `+01:00` times = their UTC instant). Only what was sent is compared:
 * elements the destination adds (a reference, a status) do not count. `ignore` holds dot paths relative to
 * the compared value (a mapping's `compare: false` fields).
 */
export function differences(
  type: SchemaType,
  sent: unknown,
  found: unknown,
  ignore: ReadonlySet<string> = new Set(),
): string[] {
  const out: string[] = [];
  compare(type, sent, found, '', '', ignore, out);
  return out;
}

const slash = (path: string, name: string) => (path === '' ? name : `${path}/${name}`);
const dot = (path: string, name: string) => (path === '' ? name : `${path}.${name}`);

function compare(
  type: SchemaType,
  sent: unknown,
  found: unknown,
  path: string,
  dotted: string,
  ignore: ReadonlySet<string>,
  out: string[],
) {
  if (ignore.has(dotted) || out.length >= 10) return;
  if (sent === undefined) return;
  if (sent === null || found === null || found === undefined) {
    if (sent !== found) out.push(path === '' ? '(the whole value)' : path);
    return;
  }
  if (type.kind === 'simple') {
    if (!sameSimple(type, sent, found)) out.push(path === '' ? '(the value)' : path);
    return;
  }
  const sentObject =
    typeof sent === 'object' && !Array.isArray(sent) ? (sent as Record<string, unknown>) : undefined;
  const foundObject =
    typeof found === 'object' && !Array.isArray(found) ? (found as Record<string, unknown>) : undefined;
  if (type.simpleContent) {
    const sentText = sentObject ? sentObject[XML_TEXT_KEY] : sent;
    const foundText = foundObject ? foundObject[XML_TEXT_KEY] : found;
    if (!sameSimple(type.simpleContent, sentText, foundText)) out.push(path === '' ? '(the value)' : path);
  }
  if (!sentObject) return;
  for (const attribute of type.attributes) {
    const key = `${XML_ATTRIBUTE_PREFIX}${attribute.name}`;
    if (sentObject[key] === undefined || ignore.has(dot(dotted, key))) continue;
    if (!sameSimple(attribute.type, sentObject[key], foundObject?.[key])) out.push(slash(path, key));
  }
  const allowed = allowedElements(type.content);
  for (const [name, value] of Object.entries(sentObject)) {
    const known = allowed.get(name);
    if (!known || value === undefined) continue;
    const there = foundObject?.[name];
    const sentItems = known.repeats && Array.isArray(value) ? value : [value];
    const foundItems = known.repeats
      ? Array.isArray(there)
        ? there
        : there === undefined
          ? []
          : [there]
      : [there];
    if (sentItems.length !== foundItems.length) {
      out.push(slash(path, name));
      continue;
    }
    const itemType = known.decl.type();
    for (const [index, item] of sentItems.entries()) {
      const itemPath = sentItems.length > 1 ? `${slash(path, name)}[${index + 1}]` : slash(path, name);
      compare(itemType, item, foundItems[index], itemPath, dot(dotted, name), ignore, out);
    }
  }
}

function sameSimple(type: SimpleType, a: unknown, b: unknown): boolean {
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
    const item = type.itemType ?? type;
    return a.every((value, index) => sameSimple(item, value, b[index]));
  }
  const x = toLexical(a);
  const y = toLexical(b);
  if (x === undefined || y === undefined) return x === y;
  return canonicalValue(type.builtin, x) === canonicalValue(type.builtin, y);
}
