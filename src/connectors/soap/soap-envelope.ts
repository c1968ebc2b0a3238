import { escapeXmlAttribute } from '../../xml/escape-xml.ts';
import {
  childNamed,
  clarkName,
  parseXml,
  resolveQName,
  type XmlElement,
  type XmlLimits,
} from '../../xml/parse-xml.ts';
import { ENVELOPE_NS, type SoapVersion } from './wsdl-model.ts';

/** The Content-Type of a request of each version (1.2 adds the action parameter). */
export function soapContentType(version: SoapVersion, soapAction: string): string {
  if (version === '1.1') return 'text/xml; charset=utf-8';
  return `application/soap+xml; charset=utf-8${soapAction === '' ? '' : `; action="${soapAction.replace(/["\\]/g, '')}"`}`;
}

/** The request headers a SOAP call needs besides the content type: SOAPAction for 1.1, quoted. */
export function soapHeaders(version: SoapVersion, soapAction: string): Record<string, string> {
  const headers: Record<string, string> = {
    'content-type': soapContentType(version, soapAction),
    accept: version === '1.1' ? 'text/xml' : 'application/soap+xml',
  };
  if (version === '1.1') headers.soapaction = `"${soapAction.replace(/"/g, '')}"`;
  return headers;
}

/** An envelope around header blocks and body elements, already written as XML. */
export function buildEnvelope(version: SoapVersion, headerBlocks: readonly string[], body: string): string {
  const header = headerBlocks.length === 0 ? '' : `<soap:Header>${headerBlocks.join('')}</soap:Header>`;
  return (
    '<?xml version="1.0" encoding="utf-8"?>' +
    `<soap:Envelope xmlns:soap="${escapeXmlAttribute(ENVELOPE_NS[version])}">${header}<soap:Body>${body}</soap:Body></soap:Envelope>`
  );
}

/** A SOAP fault, either version, taken apart. */
export interface SoapFault {
  /** Local name of the fault code: Client/Server (1.1), Sender/Receiver (1.2), VersionMismatch... */
  readonly code: string;
  /** 1.2 Subcode values and the dotted parts of a 1.1 code (`Client.Authentication`), local names. */
  readonly subcodes: readonly string[];
  /** faultstring (1.1) or the first Reason/Text (1.2). */
  readonly reason: string;
  /** The detail element (1.1 `detail`, 1.2 `Detail`), if any. */
  readonly detail?: XmlElement;
}

/** What a SOAP response body turned out to be. */
export type SoapResponse =
  | { readonly kind: 'body'; readonly version: SoapVersion; readonly elements: readonly XmlElement[] }
  | { readonly kind: 'fault'; readonly version: SoapVersion; readonly fault: SoapFault }
  | { readonly kind: 'not_soap'; readonly message: string; readonly hostile: boolean };

/** Limits for SOAP responses: a response is data from a peer, refused past these. */
const RESPONSE_LIMITS: Partial<XmlLimits> = { maxDepth: 64, maxElements: 1_000_000 };

/**
 * Reads a response as a SOAP envelope of the expected version. Anything else (an HTML error page, a
 * truncated document, JSON, an envelope of the other version, a DOCTYPE) is `not_soap` with a sentence
 * saying what was expected and what came.
 */
export function readSoapResponse(text: string, version: SoapVersion, contentType = ''): SoapResponse {
  const expected = `a SOAP ${version} envelope`;
  if (text.trim() === '') return notSoap(`expected ${expected}, got an empty body`, false);
  const parsed = parseXml(text, RESPONSE_LIMITS);
  if (!parsed.ok) {
    const kind =
      /html/i.test(contentType) || /^\s*<(!doctype\s+html|html)/i.test(text) ? 'an HTML page' : undefined;
    if (kind) return notSoap(`expected ${expected}, got ${kind}${describeType(contentType)}`, parsed.hostile);
    return notSoap(
      parsed.hostile
        ? `refused the response: ${parsed.message}`
        : `expected ${expected}, got a body that is ${parsed.message}${describeType(contentType)}`,
      parsed.hostile,
    );
  }
  const { root } = parsed;
  const envelopeNs = ENVELOPE_NS[version];
  if (root.name !== 'Envelope' || root.ns !== envelopeNs) {
    const other = version === '1.1' ? '1.2' : '1.1';
    const what =
      root.name === 'Envelope' && root.ns === ENVELOPE_NS[other]
        ? `a SOAP ${other} envelope`
        : /^html$/i.test(root.name)
          ? 'an HTML page'
          : `<${root.name}>${root.ns === '' ? '' : ` in ${root.ns}`}`;
    return notSoap(`expected ${expected} (${envelopeNs}), got ${what}${describeType(contentType)}`, false);
  }
  const body = childNamed(root, envelopeNs, 'Body');
  if (!body) return notSoap(`expected ${expected} with a Body, got an Envelope without one`, false);
  const fault = childNamed(body, envelopeNs, 'Fault');
  if (fault) return { kind: 'fault', version, fault: readFault(fault, version) };
  return { kind: 'body', version, elements: body.children };
}

function notSoap(message: string, hostile: boolean): SoapResponse {
  return { kind: 'not_soap', message, hostile };
}

function describeType(contentType: string): string {
  const type = contentType.split(';')[0]?.trim();
  return type ? ` (Content-Type ${type})` : '';
}

function readFault(fault: XmlElement, version: SoapVersion): SoapFault {
  if (version === '1.1') {
    const codeElement = fault.children.find((c) => c.name === 'faultcode');
    const qname = codeElement ? resolveQName(codeElement, codeElement.text.trim()) : undefined;
    const [code = '', ...subcodes] = (qname?.name ?? codeElement?.text.trim() ?? '').split('.');
    const detail = fault.children.find((c) => c.name === 'detail');
    return {
      code,
      subcodes,
      reason: fault.children.find((c) => c.name === 'faultstring')?.text.trim() ?? '',
      ...(detail ? { detail } : {}),
    };
  }
  const ns = ENVELOPE_NS['1.2'];
  const codes: string[] = [];
  for (let level = childNamed(fault, ns, 'Code'); level; level = childNamed(level, ns, 'Subcode')) {
    const value = childNamed(level, ns, 'Value');
    if (!value) break;
    codes.push(resolveQName(value, value.text.trim())?.name ?? value.text.trim());
  }
  const reasons =
    childNamed(fault, ns, 'Reason')?.children.filter((c) => c.ns === ns && c.name === 'Text') ?? [];
  const english = reasons.find((t) =>
    /^en\b/i.test(t.attributes['{http://www.w3.org/XML/1998/namespace}lang'] ?? ''),
  );
  const detail = childNamed(fault, ns, 'Detail');
  const [code = '', ...subcodes] = codes;
  return {
    code,
    subcodes,
    reason: (english ?? reasons[0])?.text.trim() ?? '',
    ...(detail ? { detail } : {}),
  };
}

/** Where in a fault's detail ferry finds the service's own code and field errors. */
export interface FaultDetailPaths {
  /** The service's code: a slash path from the detail (`OrderFault/Code`), or a name found at any depth. */
  readonly code: string;
  /** Each field error element, the same way (`OrderFault/FieldError`). */
  readonly fieldErrors: string;
  /** The field's name inside a field error. */
  readonly field: string;
  /** The message inside a field error. */
  readonly message: string;
}

/** The service-level content of a fault's detail. */
export interface FaultDetail {
  readonly code?: string;
  readonly message?: string;
  readonly fieldErrors: readonly { readonly field?: string; readonly message: string }[];
}

/** Reads the service's code, message and field errors out of a fault detail. */
export function readFaultDetail(detail: XmlElement | undefined, paths: FaultDetailPaths): FaultDetail {
  if (!detail) return { fieldErrors: [] };
  const code = find(detail, paths.code)[0]?.text.trim();
  const parent = paths.code.includes('/') ? paths.code.slice(0, paths.code.lastIndexOf('/')) : undefined;
  const messageElement = parent === undefined ? undefined : find(detail, `${parent}/Message`)[0];
  const fieldErrors = find(detail, paths.fieldErrors)
    .slice(0, 100)
    .map((error) => {
      const field = error.children.find((c) => c.name === paths.field)?.text.trim();
      const message = error.children.find((c) => c.name === paths.message)?.text.trim() ?? error.text.trim();
      return { ...(field ? { field } : {}), message };
    });
  return {
    ...(code ? { code } : {}),
    ...(messageElement ? { message: messageElement.text.trim() } : {}),
    fieldErrors,
  };
}

/** Elements at a slash path of local names under `from`, or named so at any depth when the path has no slash. */
function find(from: XmlElement, path: string): XmlElement[] {
  if (!path.includes('/')) {
    const out: XmlElement[] = [];
    const walk = (element: XmlElement) => {
      for (const child of element.children) {
        if (child.name === path) out.push(child);
        else walk(child);
      }
    };
    walk(from);
    return out;
  }
  let level: XmlElement[] = [from];
  for (const step of path.split('/').filter((s) => s !== '')) {
    level = level.flatMap((element) => element.children.filter((c) => c.name === step));
  }
  return level;
}

/** `{ns}name` of a body element, for messages about an unexpected answer. */
export function describeElement(element: XmlElement): string {
  return clarkName(element);
}
