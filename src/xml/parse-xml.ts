import type * as Saxes from 'saxes';
import type { SaxesTagNS } from 'saxes';
import { lazyModule } from '../core/lazy-module.ts';

/** saxes, loaded when XML is first parsed, not by every command that loads the registry. */
const saxes = lazyModule<typeof Saxes>('saxes');

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
  /**
   * Largest document, in UTF-16 code units of the decoded text (of text and attribute values held at once,
   * when a reader drops what it handed on). @default 52428800
   */
  readonly maxChars: number;
  /** Deepest element nesting. @default 64 */
  readonly maxDepth: number;
  /** Most elements in one document (held at once, when a reader drops what it handed on). @default 1000000 */
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

/** Why a document was refused or could not be read; `hostile` when it crossed a limit or held a DTD. */
export class XmlReadError extends Error {
  readonly hostile: boolean;
  constructor(message: string, hostile: boolean) {
    super(message);
    this.hostile = hostile;
  }
}

interface Building {
  ns: string;
  name: string;
  attributes: Record<string, string>;
  children: XmlElement[];
  text: string;
  line: number;
  scope: Readonly<Record<string, string>>;
  /** Elements and characters held by this element and what is attached below it, for the limits. */
  elements: number;
  chars: number;
}

/** What a reader tells its user as the document goes by. */
export interface XmlReaderHooks {
  /** An element opened; `path` is the local names from the root to it (itself last). Throw to refuse it. */
  onOpen?(element: { readonly ns: string; readonly name: string }, path: readonly string[]): void;
  /**
   * An element closed, complete with what was kept below it; `path` is the local names from the root to it
   * (itself last). Returning false drops it: it is not attached to its parent, and what it held no longer
   * counts against the limits (a stream of records each handed on as it closes stays within them).
   */
  onClose?(element: XmlElement, path: readonly string[]): boolean;
}

/** A document read a piece at a time; `close()` ends it and gives the root (with what was kept). */
export interface XmlReader {
  /** Reads more of the document; throws an XmlReadError when it is refused or not well-formed. */
  write(text: string): void;
  /** Ends the document; throws an XmlReadError when it is incomplete. */
  close(): XmlElement;
}

/**
 * A hardened XML reader on saxes (strict XML 1.0 and namespaces, with line and column in every error):
 * any DOCTYPE is refused before anything in it is read (so no entity declaration, internal or external,
 * is ever read: no XXE, no billion laughs); references to anything but the five predefined entities and
 * character references are errors; nesting deeper than `maxDepth`, more attributes than `maxAttributes`
 * on an element, and more than `maxElements` elements or `maxChars` characters held at once are refused as
 * the events arrive, so a refused document is abandoned at the point it crosses a limit.
 */
export function createXmlReader(limits: Partial<XmlLimits> = {}, hooks: XmlReaderHooks = {}): XmlReader {
  const { maxChars, maxDepth, maxElements, maxAttributes } = { ...DEFAULT_XML_LIMITS, ...limits };
  const parser = new (saxes().SaxesParser)({ xmlns: true, position: true });
  const stack: Building[] = [];
  const path: string[] = [];
  let root: XmlElement | undefined;
  let heldElements = 0;
  let heldChars = 0;
  let first = true;

  const hold = (elements: number, chars: number) => {
    heldElements += elements;
    heldChars += chars;
    if (heldElements > maxElements) throw new XmlReadError(`more than ${maxElements} elements`, true);
    if (heldChars > maxChars)
      throw new XmlReadError(`the document is larger than ${maxChars} characters`, true);
  };

  parser.on('doctype', () => {
    throw new XmlReadError('a DOCTYPE is not accepted (no DTDs and no entity declarations)', true);
  });
  parser.on('opentag', (tag: SaxesTagNS) => {
    if (stack.length >= maxDepth)
      throw new XmlReadError(`elements nest deeper than ${maxDepth} levels`, true);
    const attributes: Record<string, string> = {};
    let count = 0;
    let chars = 0;
    for (const attribute of Object.values(tag.attributes)) {
      if (++count > maxAttributes)
        throw new XmlReadError(`an element has more than ${maxAttributes} attributes`, true);
      if (attribute.uri === XMLNS_URI) continue;
      chars += attribute.value.length;
      attributes[attribute.uri === '' ? attribute.local : `{${attribute.uri}}${attribute.local}`] =
        attribute.value;
    }
    hold(1, chars);
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
      elements: 1,
      chars,
    });
    path.push(tag.local);
    hooks.onOpen?.({ ns: tag.uri, name: tag.local }, path);
  });
  const addText = (value: string) => {
    const top = stack[stack.length - 1];
    if (!top) return;
    hold(0, value.length);
    top.text += value;
    top.chars += value.length;
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
    const keep = hooks.onClose?.(element, path) ?? true;
    path.pop();
    const parent = stack[stack.length - 1];
    if (!keep) {
      hold(-done.elements, -done.chars);
      return;
    }
    if (parent) {
      parent.children.push(element);
      parent.elements += done.elements;
      parent.chars += done.chars;
    } else root = element;
  });
  parser.on('error', (error) => {
    throw error;
  });

  const guard = (step: () => void) => {
    try {
      step();
    } catch (error) {
      if (error instanceof XmlReadError) throw error;
      const message = error instanceof Error ? error.message : String(error);
      throw new XmlReadError(describeSaxesError(message), false);
    }
  };
  return {
    write(text) {
      // saxes would otherwise skip a leading byte-order mark only when it decoded the bytes itself.
      const piece = first && text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
      first = false;
      guard(() => parser.write(piece));
    },
    close() {
      guard(() => parser.close());
      if (root === undefined) throw new XmlReadError('the document has no root element', false);
      return root;
    },
  };
}

/**
 * Parses an XML document into namespace-resolved elements, refusing what makes XML dangerous before it
 * can cost anything (see createXmlReader); a document longer than `limits.maxChars` is refused unread.
 */
export function parseXml(text: string, limits: Partial<XmlLimits> = {}): XmlParseResult {
  const maxChars = limits.maxChars ?? DEFAULT_XML_LIMITS.maxChars;
  if (text.length > maxChars) {
    return { ok: false, hostile: true, message: `the document is larger than ${maxChars} characters` };
  }
  try {
    const reader = createXmlReader(limits);
    reader.write(text);
    return { ok: true, root: reader.close() };
  } catch (error) {
    if (error instanceof XmlReadError) return { ok: false, hostile: error.hostile, message: error.message };
    throw error;
  }
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
