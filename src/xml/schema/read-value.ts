import type { XmlElement } from '../parse-xml.ts';
import { elementToObject, XML_ATTRIBUTE_PREFIX, XML_TEXT_KEY } from '../xml-object.ts';
import { allowedElements } from './content-model.ts';
import { canonicalValue, isIntegerType, normalizeWhitespace, primitiveOf } from './xsd-builtins.ts';
import { type SchemaType, type SimpleType, XSI_NS } from './xsd-model.ts';

/**
 * Reads an element's content as a plain value by ferry's convention, guided by its schema type: elements
 * that may repeat are arrays even when they occur once, and simple values are typed: integers, floats and
 * decimals that a double holds exactly become numbers, booleans booleans, lists arrays; everything else
 * (dates included) stays the text it was.
 */
export function readValue(type: SchemaType, element: XmlElement): unknown {
  const nil = element.attributes[`{${XSI_NS}}nil`];
  if (nil === 'true' || nil === '1') return null;
  if (type.kind === 'simple') {
    if (type.builtin === 'anyType') return elementToObject(element);
    return typedValue(type, element.text);
  }
  const attributes: Record<string, unknown> = {};
  for (const attribute of type.attributes) {
    const key = attribute.ns === '' ? attribute.name : `{${attribute.ns}}${attribute.name}`;
    const raw = element.attributes[key];
    if (raw !== undefined)
      attributes[`${XML_ATTRIBUTE_PREFIX}${attribute.name}`] = typedValue(attribute.type, raw);
  }
  if (type.simpleContent) {
    const text = typedValue(type.simpleContent, element.text);
    return Object.keys(attributes).length === 0 ? text : { ...attributes, [XML_TEXT_KEY]: text };
  }
  const out: Record<string, unknown> = { ...attributes };
  const allowed = allowedElements(type.content);
  for (const child of element.children) {
    const known = allowed.get(child.name);
    const value = known ? readValue(known.decl.type(), child) : elementToObject(child);
    const existing = out[child.name];
    if (known?.repeats) {
      if (Array.isArray(existing)) existing.push(value);
      else define(out, child.name, [value]);
    } else if (existing !== undefined) {
      define(out, child.name, Array.isArray(existing) ? [...existing, value] : [existing, value]);
    } else define(out, child.name, value);
  }
  if (type.mixed && element.text.trim() !== '') out[XML_TEXT_KEY] = element.text.trim();
  return out;
}

function define(target: Record<string, unknown>, key: string, value: unknown) {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

/** A simple value in its JavaScript form (see readValue). */
export function typedValue(type: SimpleType, raw: string): unknown {
  if (type.itemType) {
    const item = type.itemType;
    const text = raw.trim();
    return text === '' ? [] : text.split(/\s+/).map((part) => typedValue(item, part));
  }
  if (type.memberTypes) return normalizeWhitespace('token', raw);
  const value = normalizeWhitespace(type.builtin, raw);
  switch (primitiveOf(type.builtin)) {
    case 'boolean':
      return value === 'true' || value === '1' ? true : value === 'false' || value === '0' ? false : value;
    case 'float': {
      const n = Number(value);
      return value !== '' && Number.isFinite(n) ? n : value;
    }
    case 'decimal': {
      const n = Number(value);
      if (value === '' || !Number.isFinite(n)) return value;
      if (isIntegerType(type.builtin)) return Number.isSafeInteger(n) ? n : value;
      // Only when the double says exactly what the text said: 0.1 yes, 12345678901234567.89 no.
      return canonicalValue('decimal', String(n)) === canonicalValue('decimal', value) ? n : value;
    }
    default:
      return value;
  }
}
