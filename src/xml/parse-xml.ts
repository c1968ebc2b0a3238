import { SaxesParser, type SaxesTagNS } from 'saxes';

/** One element with its namespace resolved: what ferry's XML readers (SOAP, WSDL, XSD) work on. */
export interface XmlElement {
  /** Namespace URI; '' when the element is in no namespace. */
  readonly ns: string;
  /** Local name, without prefix. */
  readonly name: string;
  /**
   * Attributes by local name, or `{namespace}local` when qualified; namespace declarations are left out
   * (they are in `scope`).
   */
  readonly attributes: Readonly<Record<string, string>>;
  readonly children: readonly XmlElement[];
  /** Character data directly inside the element (text and CDATA), references decoded. */
  readonly text: string;
  /** Line of the start tag, 1-based, for messages. */
  readonly line: number;
  /** Resolves a prefix ('' for the default namespace) as in scope at this element: for QName values. */
  resolvePrefix(prefix: string): string | undefined;
}

/** Bounds on what a document may cost before it is refused. */
export interface XmlLimits {
  /** Largest document, in UTF-16 code units of the decoded text. @default 52428800 */
  readonly maxChars: number;
  /** Deepest element nesting. @default 64 */
  readonly maxDepth: number;
  /** Most elements in one document. @default 1000000 */
  readonly maxElements: number;
  /** Most attributes on one element. @default 256 */
  readonly maxAttributes: number;
}

/** The limits used when a caller names none. */
export const DEFAULT_XML_LIMITS: XmlLimits = {
  maxChars: 50 * 1024 * 1024,
  maxDepth: 64,
  maxElements: 1_000_000,
  maxAttributes: 256,
};

/** The root element, or why the text is not a document ferry accepts (never a stack, never the input). */
export type XmlParseResult =
  | { readonly ok: true; readonly root: XmlElement }
  | { readonly ok: false; readonly message: string; readonly hostile: boolean };

const XMLNS_URI = 'http://www.w3.org/2000/xmlns/';

class Refused extends Error {}

interface Building {
  ns: string;
  name: string;
  attributes: Record<string, string>;
  children: XmlElement[];
  text: string;
  line: number;
  scope: Readonly<Record<string, string>>;
}

/**
 * Parses an XML document into namespace-resolved elements, refusing what makes XML dangerous before it
 * can cost anything: any DOCTYPE (so no entity declaration, internal or external, is ever read: no XXE, no
 * billion laughs), references to anything but the five predefined entities and character references,
 * nesting, element and attribute counts past `limits`, and documents longer than `limits.maxChars`.
 *
 * saxes does the parsing (strict XML 1.0 and namespaces, with line and column in every error); the limits
 * are checked as its events arrive, so a refused document is abandoned at the point it crosses one.
 */
export function parseXml(text: string, limits: Partial<XmlLimits> = {}): XmlParseResult {
  const { maxChars, maxDepth, maxElements, maxAttributes } = { ...DEFAULT_XML_LIMITS, ...limits };
  if (text.length > maxChars) {
    return { ok: false, hostile: true, message: `the document is larger than ${maxChars} characters` };
  }
  // saxes would otherwise skip a leading byte-order mark only when it decoded the bytes itself.
  const source = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  const parser = new SaxesParser({ xmlns: true, position: true });
  const stack: Building[] = [];
  let root: XmlElement | undefined;
  let elements = 0;

  parser.on('doctype', () => {
    throw new Refused('a DOCTYPE is not accepted (no DTDs and no entity declarations)');
  });
  parser.on('opentag', (tag: SaxesTagNS) => {
    elements++;
    if (elements > maxElements) throw new Refused(`more than ${maxElements} elements`);
    if (stack.length >= maxDepth) throw new Refused(`elements nest deeper than ${maxDepth} levels`);
    const attributes: Record<string, string> = {};
    let count = 0;
    for (const attribute of Object.values(tag.attributes)) {
      if (++count > maxAttributes) throw new Refused(`an element has more than ${maxAttributes} attributes`);
      if (attribute.uri === XMLNS_URI) continue;
      attributes[attribute.uri === '' ? attribute.local : `{${attribute.uri}}${attribute.local}`] =
        attribute.value;
    }
    stack.push({
      ns: tag.uri,
      name: tag.local,
      attributes,
      children: [],
      text: '',
      line: parser.line,
      // saxes gives each tag only the bindings it declares; chaining them to the parent's makes every
      // binding in scope visible to a lookup.
      scope: Object.assign(Object.create(stack[stack.length - 1]?.scope ?? null), tag.ns),
    });
  });
  const addText = (value: string) => {
    const top = stack[stack.length - 1];
    if (top) top.text += value;
  };
  parser.on('text', addText);
  parser.on('cdata', addText);
  parser.on('closetag', () => {
    const done = stack.pop();
    if (done === undefined) return;
    const scope = done.scope;
    const element: XmlElement = {
      ns: done.ns,
      name: done.name,
      attributes: done.attributes,
      children: done.children,
      text: done.text,
      line: done.line,
      resolvePrefix: (prefix) => (prefix === 'xml' ? 'http://www.w3.org/XML/1998/namespace' : scope[prefix]),
    };
    const parent = stack[stack.length - 1];
    if (parent) parent.children.push(element);
    else root = element;
  });
  parser.on('error', (error) => {
    throw error;
  });

  try {
    parser.write(source).close();
  } catch (error) {
    if (error instanceof Refused) return { ok: false, hostile: true, message: error.message };
    const message = error instanceof Error ? error.message : String(error);
    return { ok: false, hostile: false, message: describeSaxesError(message) };
  }
  if (root === undefined) return { ok: false, hostile: false, message: 'the document has no root element' };
  return { ok: true, root };
}

/** saxes says "1:57: undefined entity."; ferry says where and what in one sentence. */
function describeSaxesError(message: string): string {
  const match = /^(\d+):(\d+): (.*?)\.?$/s.exec(message);
  if (!match) return `not well-formed XML: ${message}`;
  const [, line, column, what] = match;
  const detail =
    what === 'undefined entity'
      ? 'an entity reference other than &amp; &lt; &gt; &quot; &apos; (entities are not expanded)'
      : what;
  return `not well-formed XML at line ${line}, column ${column}: ${detail}`;
}

/** The children of `element` with this namespace and local name. */
export function childrenNamed(element: XmlElement, ns: string, name: string): XmlElement[] {
  return element.children.filter((child) => child.ns === ns && child.name === name);
}

/** The first child of `element` with this namespace and local name. */
export function childNamed(element: XmlElement, ns: string, name: string): XmlElement | undefined {
  return element.children.find((child) => child.ns === ns && child.name === name);
}

/** `{ns}name`, the way messages name an element unambiguously. */
export function clarkName(element: { readonly ns: string; readonly name: string }): string {
  return element.ns === '' ? element.name : `{${element.ns}}${element.name}`;
}

/** Resolves a QName attribute value (`tns:Order`) against the element it was written on. */
export function resolveQName(
  element: XmlElement,
  qname: string,
): { readonly ns: string; readonly name: string } | undefined {
  const trimmed = qname.trim();
  const colon = trimmed.indexOf(':');
  const prefix = colon === -1 ? '' : trimmed.slice(0, colon);
  const name = colon === -1 ? trimmed : trimmed.slice(colon + 1);
  const ns = element.resolvePrefix(prefix);
  if (ns === undefined) return prefix === '' ? { ns: '', name } : undefined;
  return { ns, name };
}
