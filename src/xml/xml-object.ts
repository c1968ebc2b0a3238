import type * as FastXmlParser from 'fast-xml-parser';
import { lazyModule } from '../core/lazy-module.ts';
import type { XmlElement } from './parse-xml.ts';

/**
 * ferry's one convention between XML and plain objects (docs/xml.md), used in both directions:
 * - an element is a key named by its local name (namespaces are the schema's or the connector's business);
 * - an attribute is a key `@name`; text next to attributes or child elements is `#text`;
 * - an element with neither attributes nor children is its text (a string; `''` when empty);
 * - an element that repeats is an array, in document order; `xsi:nil="true"` is null.
 */
export const XML_ATTRIBUTE_PREFIX = '@';
/** The key of an element's text when it also has attributes or children. */
export const XML_TEXT_KEY = '#text';

const XSI_NS = 'http://www.w3.org/2001/XMLSchema-instance';

/** Options for reading XML as plain objects without a schema. */
export interface ElementToObjectOptions {
  /**
   * Says whether a child element is always an array, even when it occurs once (a list of one record): given
   * the path of local names from the converted element (`Customers/Customer`).
   */
  readonly isArray?: (path: string) => boolean;
}

/** Reads an element's content as a plain object (or a string, or null), by the convention above. */
export function elementToObject(element: XmlElement, options: ElementToObjectOptions = {}): unknown {
  return convert(element, '', options);
}

function convert(element: XmlElement, path: string, options: ElementToObjectOptions): unknown {
  if (element.attributes[`{${XSI_NS}}nil`] === 'true' || element.attributes[`{${XSI_NS}}nil`] === '1')
    return null;
  const attributes = Object.entries(element.attributes).filter(([name]) => !name.startsWith(`{${XSI_NS}}`));
  if (attributes.length === 0 && element.children.length === 0) return element.text;
  const out: Record<string, unknown> = {};
  for (const [name, value] of attributes) out[`${XML_ATTRIBUTE_PREFIX}${localOf(name)}`] = value;
  // Keys this element made arrays of: a value that is itself an array (a list type) is never pushed into.
  const arrays = new Set<string>();
  for (const child of element.children) {
    const childPath = path === '' ? child.name : `${path}/${child.name}`;
    const value = convert(child, childPath, options);
    if (arrays.has(child.name)) (out[child.name] as unknown[]).push(value);
    else if (Object.hasOwn(out, child.name)) {
      defineKey(out, child.name, [out[child.name], value]);
      arrays.add(child.name);
    } else if (options.isArray?.(childPath)) {
      defineKey(out, child.name, [value]);
      arrays.add(child.name);
    } else defineKey(out, child.name, value);
  }
  const text = element.children.length > 0 ? element.text.trim() : element.text;
  if (text !== '') out[XML_TEXT_KEY] = text;
  return out;
}

function localOf(name: string): string {
  return name.startsWith('{') ? name.slice(name.indexOf('}') + 1) : name;
}

/** Sets a key even when it is `__proto__`, so an element of that name cannot change the object's prototype. */
function defineKey(target: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

/** fast-xml-parser, loaded when XML is first written, not by every command that loads the registry. */
const fastXmlParser = lazyModule<typeof FastXmlParser>('fast-xml-parser');
let builder: InstanceType<typeof FastXmlParser.XMLBuilder> | undefined;

/**
 * Writes a plain object as XML by the same convention, without a schema: `{Customer: {'@id': 7, Name:
 * 'Ada'}}` is `<Customer id="7"><Name>Ada</Name></Customer>`. Null and undefined values are left out.
 * Keys may carry a prefix (`c:Customer`) and `@xmlns:c` declares it. fast-xml-parser's builder does the
 * writing and escaping; element order is the object's key order (a schema-driven writer orders by schema).
 */
export function objectToXml(value: Readonly<Record<string, unknown>>): string {
  builder ??= new (fastXmlParser().XMLBuilder)({
    ignoreAttributes: false,
    attributeNamePrefix: XML_ATTRIBUTE_PREFIX,
    textNodeName: XML_TEXT_KEY,
    suppressEmptyNode: false,
    suppressBooleanAttributes: false,
    processEntities: true,
  });
  return builder.build(withoutNulls(value)) as string;
}

function withoutNulls(value: unknown): unknown {
  if (Array.isArray(value)) return value.filter((v) => v !== null && v !== undefined).map(withoutNulls);
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [key, v] of Object.entries(value)) {
      if (v !== null && v !== undefined) defineKey(out, key, withoutNulls(v));
    }
    return out;
  }
  return value;
}
