import { XMLParser, XMLValidator } from 'fast-xml-parser';

/** One element with its namespace resolved, as the SOAP mock reads it. */
export interface XmlElement {
  /** Namespace URI; '' when the element is in no namespace. */
  ns: string;
  /** Local name, without prefix. */
  name: string;
  /** Attributes by local name, or `{namespace}local` when qualified; namespace declarations left out. */
  attributes: Record<string, string>;
  /** Child elements in document order. */
  children: XmlElement[];
  /** Character data directly inside the element, references decoded and CDATA included. */
  text: string;
}

/** The outcome of parsing: the root element, or why the document is not acceptable XML. */
export type XmlParseResult = { ok: true; root: XmlElement } | { ok: false; message: string };

const XML_NS = 'http://www.w3.org/XML/1998/namespace';
const PREDEFINED: Readonly<Record<string, string>> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

// Entity processing stays off: the parser hands over references verbatim and decodeReferences() below
// decodes only the five predefined entities and character references, so no declared entity can ever
// expand (DOCTYPEs are refused before parsing anyway, see xml-guard.ts).
const parser = new XMLParser({
  preserveOrder: true,
  processEntities: false,
  htmlEntities: false,
  ignoreAttributes: false,
  attributeNamePrefix: '',
  allowBooleanAttributes: false,
  trimValues: false,
  parseTagValue: false,
  parseAttributeValue: false,
  cdataPropName: '#cdata',
  ignoreDeclaration: true,
  ignorePiTags: true,
});

class XmlContentError extends Error {}

function isXmlChar(code: number): boolean {
  return (
    code === 0x9 ||
    code === 0xa ||
    code === 0xd ||
    (code >= 0x20 && code <= 0xd7ff) ||
    (code >= 0xe000 && code <= 0xfffd) ||
    (code >= 0x10000 && code <= 0x10ffff)
  );
}

function decodeReferences(raw: string): string {
  if (!raw.includes('&')) return raw;
  return raw.replace(/&([^;]{0,32});/g, (_match, ref: string) => {
    if (ref.startsWith('#')) {
      const code = ref.startsWith('#x')
        ? Number.parseInt(ref.slice(2), 16)
        : Number.parseInt(ref.slice(1), 10);
      if (!/^#(x[0-9A-Fa-f]+|[0-9]+)$/.test(ref) || !isXmlChar(code))
        throw new XmlContentError(`&${ref}; is not a valid character reference`);
      return String.fromCodePoint(code);
    }
    const value = PREDEFINED[ref];
    if (value === undefined) throw new XmlContentError(`&${ref}; is not a predefined entity`);
    return value;
  });
}

type FxpNode = Record<string, unknown>;

function tagOf(node: FxpNode): string | undefined {
  return Object.keys(node).find((key) => key !== ':@');
}

function resolve(qname: string, scope: ReadonlyMap<string, string>, forAttribute: boolean): [string, string] {
  const colon = qname.indexOf(':');
  if (colon === -1) return [forAttribute ? '' : (scope.get('') ?? ''), qname];
  const prefix = qname.slice(0, colon);
  const ns = prefix === 'xml' ? XML_NS : scope.get(prefix);
  if (ns === undefined) throw new XmlContentError(`the prefix "${prefix}" of <${qname}> is not declared`);
  return [ns, qname.slice(colon + 1)];
}

function toElement(tag: string, node: FxpNode, outer: ReadonlyMap<string, string>): XmlElement {
  const rawAttributes = (node[':@'] ?? {}) as Record<string, string>;
  let scope = outer;
  for (const [name, value] of Object.entries(rawAttributes)) {
    if (name === 'xmlns' || name.startsWith('xmlns:')) {
      if (scope === outer) scope = new Map(outer);
      (scope as Map<string, string>).set(name === 'xmlns' ? '' : name.slice(6), decodeReferences(value));
    }
  }
  const [ns, name] = resolve(tag, scope, false);
  const attributes: Record<string, string> = {};
  for (const [qname, value] of Object.entries(rawAttributes)) {
    if (qname === 'xmlns' || qname.startsWith('xmlns:')) continue;
    const [attributeNs, local] = resolve(qname, scope, true);
    attributes[attributeNs === '' ? local : `{${attributeNs}}${local}`] = decodeReferences(value);
  }
  const children: XmlElement[] = [];
  let text = '';
  for (const child of node[tag] as FxpNode[]) {
    const childTag = tagOf(child);
    if (childTag === '#text') text += decodeReferences(String(child[childTag]));
    else if (childTag === '#cdata')
      text += (child[childTag] as FxpNode[]).map((part) => String(part['#text'] ?? '')).join('');
    else if (childTag !== undefined) children.push(toElement(childTag, child, scope));
  }
  return { ns, name, attributes, children, text };
}

/**
 * Parses a (screened) XML document into namespace-resolved elements: the document must be well-formed, have
 * exactly one root element and declare every prefix it uses. Call `screenXml` first: this trusts the depth.
 */
export function parseXml(text: string): XmlParseResult {
  const valid = XMLValidator.validate(text, { allowBooleanAttributes: false });
  if (valid !== true) {
    return {
      ok: false,
      message: `not well-formed XML at line ${valid.err.line}, column ${valid.err.col}: ${valid.err.msg}`,
    };
  }
  try {
    const roots = (parser.parse(text) as FxpNode[]).filter((node) => {
      const tag = tagOf(node);
      return tag !== undefined && tag !== '#text';
    });
    const [root] = roots;
    const rootTag = root === undefined ? undefined : tagOf(root);
    if (roots.length !== 1 || root === undefined || rootTag === undefined)
      return { ok: false, message: `an XML document has exactly one root element, found ${roots.length}` };
    return { ok: true, root: toElement(rootTag, root, new Map()) };
  } catch (error) {
    if (error instanceof XmlContentError) return { ok: false, message: error.message };
    return { ok: false, message: `not well-formed XML: ${(error as Error).message}` };
  }
}
