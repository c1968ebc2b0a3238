import { escapeXmlAttribute, escapeXmlText } from '../escape-xml.ts';
import { objectToXml, XML_ATTRIBUTE_PREFIX, XML_TEXT_KEY } from '../xml-object.ts';
import { namesOf } from './content-model.ts';
import { toLexical } from './lexical.ts';
import { type ComplexType, type ElementDecl, type ModelGroup, type SchemaType, XSI_NS } from './xsd-model.ts';

/** Namespace prefixes of one document: the writer declares those it used on the outermost element. */
export class Prefixes {
  private readonly byNamespace = new Map<string, string>();
  private readonly used = new Set<string>();

  constructor(fixed: Readonly<Record<string, string>> = {}) {
    for (const [prefix, ns] of Object.entries(fixed)) this.byNamespace.set(ns, prefix);
  }

  /** The prefix of a namespace, made up (`ns1`, `ns2`...) the first time it is seen. */
  prefixFor(ns: string): string {
    let prefix = this.byNamespace.get(ns);
    if (prefix === undefined) {
      prefix = `ns${this.byNamespace.size + 1}`;
      this.byNamespace.set(ns, prefix);
    }
    this.used.add(ns);
    return prefix;
  }

  /** `xmlns:p="..."` for every namespace used since the last call, then forgets them. */
  declarations(): string {
    const out = [...this.used].map((ns) => ` xmlns:${this.byNamespace.get(ns)}="${escapeXmlAttribute(ns)}"`);
    this.used.clear();
    return out.join('');
  }
}

/**
 * Writes a plain value as the element `decl`, in the order and with the namespaces the schema gives: keys
 * are read by local name, so a mapping never has to know prefixes or element order. Validate first
 * (validateValue): this writes what it is given, leaving out what the schema does not know. Every
 * namespace used is declared on this element.
 */
export function writeElement(decl: ElementDecl, value: unknown, prefixes: Prefixes = new Prefixes()): string {
  const out: string[] = [];
  element(decl, value, prefixes, out);
  const text = out.join('');
  const nameEnd = text.search(/[\s/>]/);
  return `${text.slice(0, nameEnd)}${prefixes.declarations()}${text.slice(nameEnd)}`;
}

function tagName(decl: { readonly ns: string; readonly name: string }, prefixes: Prefixes): string {
  return decl.ns === '' ? decl.name : `${prefixes.prefixFor(decl.ns)}:${decl.name}`;
}

function element(decl: ElementDecl, value: unknown, prefixes: Prefixes, out: string[]) {
  const tag = tagName(decl, prefixes);
  if (value === null) {
    out.push(`<${tag} ${prefixes.prefixFor(XSI_NS)}:nil="true"/>`);
    return;
  }
  const type = decl.type();
  const attributes = attributesOf(type, value, prefixes);
  const content = contentOf(type, value, prefixes);
  out.push(content === '' ? `<${tag}${attributes}/>` : `<${tag}${attributes}>${content}</${tag}>`);
}

function attributesOf(type: SchemaType, value: unknown, prefixes: Prefixes): string {
  if (type.kind !== 'complex' || typeof value !== 'object' || value === null) return '';
  const object = value as Record<string, unknown>;
  let out = '';
  for (const attribute of type.attributes) {
    const text = toLexical(listOrValue(object[`${XML_ATTRIBUTE_PREFIX}${attribute.name}`]));
    if (text !== undefined) out += ` ${tagName(attribute, prefixes)}="${escapeXmlAttribute(text)}"`;
  }
  return out;
}

function contentOf(type: SchemaType, value: unknown, prefixes: Prefixes): string {
  if (type.kind === 'simple') {
    if (type.builtin === 'anyType' && typeof value === 'object' && value !== null && !Array.isArray(value))
      return objectToXml(value as Record<string, unknown>);
    return escapeXmlText(toLexical(listOrValue(value)) ?? '');
  }
  return complexContent(type, value, prefixes);
}

function complexContent(type: ComplexType, value: unknown, prefixes: Prefixes): string {
  if (typeof value !== 'object' || value === null) return escapeXmlText(toLexical(value) ?? '');
  const object = value as Record<string, unknown>;
  const text = toLexical(object[XML_TEXT_KEY]);
  if (type.simpleContent) return escapeXmlText(text ?? '');
  const out: string[] = [];
  if (type.content) group(type.content, object, prefixes, out, new Set());
  if (type.mixed && text !== undefined) out.unshift(escapeXmlText(text));
  return out.join('');
}

function group(
  model: ModelGroup,
  object: Record<string, unknown>,
  prefixes: Prefixes,
  out: string[],
  written: Set<string>,
) {
  for (const particle of model.particles) {
    if (particle.kind === 'any') {
      // Keys no declared element takes, written by the schema-less convention.
      for (const [key, value] of Object.entries(object)) {
        if (written.has(key) || key.startsWith(XML_ATTRIBUTE_PREFIX) || key === XML_TEXT_KEY) continue;
        if (value === undefined) continue;
        written.add(key);
        out.push(objectToXml({ [key]: value }));
      }
      continue;
    }
    if (particle.kind !== 'element') {
      if (model.kind === 'choice' && !namesOf(particle).some((name) => object[name] !== undefined)) continue;
      group(particle, object, prefixes, out, written);
      continue;
    }
    if (written.has(particle.name)) continue;
    const raw = object[particle.name];
    if (raw === undefined) continue;
    written.add(particle.name);
    const type = particle.type();
    const listValued = particle.maxOccurs <= 1 && type.kind === 'simple' && type.itemType !== undefined;
    const items = Array.isArray(raw) && !listValued ? raw : [raw];
    for (const item of items) if (item !== undefined) element(particle, item, prefixes, out);
  }
}

/** A list type's value written as its items separated by spaces. */
function listOrValue(value: unknown): unknown {
  return Array.isArray(value) ? value.map((v) => toLexical(v) ?? '').join(' ') : value;
}
