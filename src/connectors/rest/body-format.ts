import { FerryError } from '../../core/errors.ts';
import type { HttpResponse } from '../../core/http-types.ts';
import type { Reason } from '../../core/ledger-types.ts';
import { redactSecrets } from '../../core/secret-registry.ts';
import { bodySnippet } from '../../http/body-snippet.ts';
import { readJson } from '../../http/read-json.ts';
import { firstNonXmlChar } from '../../xml/escape-xml.ts';
import { parseXml, type XmlElement } from '../../xml/parse-xml.ts';
import { elementToObject, objectToXml } from '../../xml/xml-object.ts';

/**
 * How the REST destination writes a mapped value and reads what the destination answers: JSON, or XML by
 * ferry's convention (docs/xml.md). Everything else (keys, lookups, updates, retries) is the same.
 */
export interface BodyFormat {
  readonly name: 'json' | 'xml';
  /** Content-Type of what is sent. */
  readonly contentType: string;
  /** Accept of every request. */
  readonly accept: string;
  serialize(value: unknown): string;
  /** A 2xx answer's body (a lookup, a read before an update); throws FERRY_ERR_HTTP_BAD_RESPONSE. */
  parse(response: HttpResponse, context: string): unknown;
  /**
   * The value as the destination would give it back: JSON as is; XML with every value text and nulls left
   * out, since that is all an XML answer can say. What lookups compare and URL templates read.
   */
  normalize(value: unknown): unknown;
  /** Field-level errors a refusal carries in its body, when it does. */
  fieldReasons(body: string): Reason[];
  /** Reasons a mapped value cannot be written in this format (the sink's validate); [] when it can. */
  check(value: unknown): Reason[];
}

/** JSON bodies, as the REST destination has always sent them. */
export const jsonFormat: BodyFormat = {
  name: 'json',
  contentType: 'application/json',
  accept: 'application/json',
  serialize: (value) => JSON.stringify(value),
  parse: (response, context) => readJson(response, { context }),
  normalize: (value) => value,
  fieldReasons(body) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(body);
    } catch {
      return [];
    }
    const errors = (parsed as { errors?: unknown })?.errors;
    if (!Array.isArray(errors)) return [];
    return errors.slice(0, 20).flatMap((e: unknown) => {
      const field = (e as { field?: unknown })?.field;
      const message = (e as { message?: unknown })?.message;
      if (typeof message !== 'string') return [];
      return [fieldReason(typeof field === 'string' ? field : undefined, message)];
    });
  },
  check: () => [],
};

const XML_TYPE = /^(?:application|text)\/(?:[\w.+-]+\+)?xml\s*(?:;|$)/i;
// XML 1.0 Name, without the colon (a prefix is written as `p:name` only with its @xmlns:p).
const XML_NAME =
  /^[A-Za-z_\u00C0-\uFFFD][\w.\-\u00B7\u00C0-\uFFFD]*(?::[A-Za-z_\u00C0-\uFFFD][\w.\-\u00B7\u00C0-\uFFFD]*)?$/u;
// Answers from the destination are small documents: a record, an error, a short list.
const ANSWER_LIMITS = { maxDepth: 64, maxElements: 100_000 };

/**
 * XML bodies by ferry's convention: the mapped value is one element, an object with one key (the root's
 * name: `{order: {orderId: ..., line: [{...}, {...}]}}`), `@name` keys are attributes, `#text` text next to
 * them, arrays repeated elements. `namespace` is declared as the default namespace of the root.
 */
export function xmlFormat(options: { readonly namespace?: string } = {}): BodyFormat {
  const rootOf = (value: unknown): [string, unknown] => {
    const [entry] = Object.entries(value as Record<string, unknown>);
    return entry as [string, unknown];
  };
  const serialize = (value: unknown): string => {
    const [name, content] = rootOf(value);
    const root =
      options.namespace === undefined
        ? content
        : content !== null && typeof content === 'object' && !Array.isArray(content)
          ? { '@xmlns': options.namespace, ...(content as Record<string, unknown>) }
          : { '@xmlns': options.namespace, '#text': content };
    return `<?xml version="1.0" encoding="UTF-8"?>${objectToXml({ [name]: root })}`;
  };
  const read = (text: string): XmlElement | string => {
    const parsed = parseXml(text, ANSWER_LIMITS);
    return parsed.ok ? parsed.root : parsed.message;
  };
  const asObject = (root: XmlElement) => {
    const content = elementToObject(root);
    // The namespace is the format's business, not the record's.
    if (content !== null && typeof content === 'object' && '@xmlns' in content) {
      const { '@xmlns': _ns, ...rest } = content as Record<string, unknown>;
      return { [root.name]: rest };
    }
    return { [root.name]: content };
  };
  return {
    name: 'xml',
    contentType: 'application/xml; charset=utf-8',
    accept: 'application/xml, text/xml;q=0.9',
    serialize,
    parse(response, context) {
      const where = `${context} ${redactSecrets(response.url)}`;
      const fail = (problem: string) =>
        new FerryError('FERRY_ERR_HTTP_BAD_RESPONSE', `${where}: ${problem}`, {
          details: { url: redactSecrets(response.url), status: response.status, problem },
        });
      const type = response.headers['content-type'];
      if (type === undefined || !XML_TYPE.test(type.trim()))
        throw fail(
          `expected XML (application/xml, text/xml or */*+xml), received ${type === undefined ? 'no Content-Type' : JSON.stringify(type.slice(0, 100))}${/html/i.test(type ?? '') ? ': an HTML page' : ''}`,
        );
      const root = read(response.body.toString('utf8'));
      if (typeof root === 'string') throw fail(root);
      if (options.namespace !== undefined && root.ns !== options.namespace)
        throw fail(
          `expected the root element in {${options.namespace}}, got ${root.ns === '' ? `${root.name} in no namespace` : `{${root.ns}}${root.name}`}`,
        );
      return asObject(root);
    },
    normalize(value) {
      const root = read(serialize(value));
      return typeof root === 'string' ? value : asObject(root);
    },
    fieldReasons(body) {
      const root = read(body);
      if (typeof root === 'string') return [];
      const reasons: Reason[] = [];
      const visit = (element: XmlElement) => {
        if (reasons.length >= 20) return;
        const field = attributeOrChild(element, 'field');
        const message = attributeOrChild(element, 'message');
        if (message !== undefined) reasons.push(fieldReason(field, message));
        else for (const child of element.children) visit(child);
      };
      visit(root);
      return reasons;
    },
    check(value) {
      if (value === null || typeof value !== 'object' || Array.isArray(value))
        return [
          {
            code: 'xml_root',
            message: 'the mapped value must be one XML element: an object with one key, the root element',
          },
        ];
      const keys = Object.keys(value);
      if (keys.length !== 1)
        return [
          {
            code: 'xml_root',
            message: `the mapped value must be one XML element: an object with one key, the root element, not ${keys.length} (${keys.slice(0, 5).join(', ')})`,
          },
        ];
      const reasons: Reason[] = [];
      checkNames(value, '', reasons);
      return reasons.slice(0, 20);
    },
  };
}

/** Walks a value to write: every key an XML name, every text a string XML can carry. */
function checkNames(value: unknown, path: string, reasons: Reason[]): void {
  if (Array.isArray(value)) {
    for (const item of value) checkNames(item, path, reasons);
    return;
  }
  if (value !== null && typeof value === 'object') {
    for (const [key, inner] of Object.entries(value)) {
      const name = key.startsWith('@') ? key.slice(1) : key;
      const here = path === '' ? key : `${path}/${key}`;
      if (key !== '#text' && !XML_NAME.test(name))
        reasons.push({ field: here, code: 'xml_name', message: `${JSON.stringify(key)} is not an XML name` });
      checkNames(inner, here, reasons);
    }
    return;
  }
  if (typeof value === 'string') {
    const bad = firstNonXmlChar(value);
    if (bad)
      reasons.push({
        field: path,
        code: 'xml_char',
        message: `contains ${bad}, a character XML cannot carry`,
      });
  }
}

function attributeOrChild(element: XmlElement, name: string): string | undefined {
  for (const [key, value] of Object.entries(element.attributes)) if (key.toLowerCase() === name) return value;
  const child = element.children.find((c) => c.name.toLowerCase() === name && c.children.length === 0);
  if (child) return child.text;
  return undefined;
}

function fieldReason(field: string | undefined, message: string): Reason {
  return {
    ...(field ? { field } : {}),
    code: 'destination_field',
    message: redactSecrets(bodySnippet(Buffer.from(message), 500) || message),
  };
}
