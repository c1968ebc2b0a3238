import type { FieldError } from '../field-errors.ts';
import { ERP_NAMESPACE } from './erp-wsdl.ts';
import type { XmlElement } from './xml-tree.ts';

/** The SOAP envelope namespace of each version. */
export const SOAP_NAMESPACES = {
  '1.1': 'http://schemas.xmlsoap.org/soap/envelope/',
  '1.2': 'http://www.w3.org/2003/05/soap-envelope',
} as const;
/** A SOAP version the mock speaks. */
export type SoapVersion = keyof typeof SOAP_NAMESPACES;
/** The media type of each version: a 1.2 request is answered in 1.2. */
export const SOAP_CONTENT_TYPES: Readonly<Record<SoapVersion, string>> = {
  '1.1': 'text/xml; charset=utf-8',
  '1.2': 'application/soap+xml; charset=utf-8',
};

/** The stable codes of an OrderFault, as the contract's table lists them. */
export type ErpFaultCode =
  | 'VALIDATION_FAILED'
  | 'DUPLICATE_ORDER'
  | 'AUTHENTICATION_FAILED'
  | 'SERVICE_BUSY'
  | 'INTERNAL_ERROR';

/** A fault to answer: whose side it is (SOAP 1.1 names), the OrderFault code, and the fields at fault. */
export interface SoapFault {
  side: 'Client' | 'Server' | 'VersionMismatch' | 'MustUnderstand';
  code: ErpFaultCode;
  message: string;
  fieldErrors?: readonly FieldError[];
}

/** A request envelope taken apart: its header blocks and the one element of its body. */
export interface SoapRequest {
  version: SoapVersion;
  headers: XmlElement[];
  operation: XmlElement;
}

const SECURITY_NS = 'http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd';

function clientFault(message: string): SoapFault {
  return { side: 'Client', code: 'VALIDATION_FAILED', message };
}

/** Checks the envelope's structure for the version its content type announced; a problem is a fault. */
export function readEnvelope(root: XmlElement, version: SoapVersion): SoapRequest | SoapFault {
  const soapNs = SOAP_NAMESPACES[version];
  if (root.name !== 'Envelope') return clientFault(`the root element is <${root.name}>, not a SOAP Envelope`);
  if (root.ns !== soapNs) {
    return {
      side: 'VersionMismatch',
      code: 'VALIDATION_FAILED',
      message: `the Envelope namespace "${root.ns}" is not SOAP ${version} (${soapNs}); the content type decides the version`,
    };
  }
  const parts = root.children;
  const header = parts[0]?.ns === soapNs && parts[0].name === 'Header' ? parts[0] : undefined;
  const rest = header ? parts.slice(1) : parts;
  const body = rest[0];
  if (rest.length !== 1 || body === undefined || body.ns !== soapNs || body.name !== 'Body')
    return clientFault('the Envelope must hold an optional Header and then exactly one Body');
  if (body.children.length !== 1 || body.children[0] === undefined)
    return clientFault(`the Body must hold exactly one operation element, found ${body.children.length}`);
  const headers = header?.children ?? [];
  for (const block of headers) {
    const flag = block.attributes[`{${soapNs}}mustUnderstand`];
    const understood = block.ns === SECURITY_NS && block.name === 'Security';
    if ((flag === '1' || flag === 'true') && !understood) {
      return {
        side: 'MustUnderstand',
        code: 'VALIDATION_FAILED',
        message: `the header block {${block.ns}}${block.name} is marked mustUnderstand and is not understood`,
      };
    }
  }
  return { version, headers, operation: body.children[0] };
}

const ESCAPES: Readonly<Record<string, string>> = { '&': '&amp;', '<': '&lt;', '>': '&gt;' };

/** Escapes text for element content (quotes need no escaping there, and stay readable in messages). */
export function escapeXml(text: string): string {
  return text.replace(/[&<>]/g, (c) => ESCAPES[c] as string);
}

/** Wraps body content in a SOAP envelope of the given version. */
export function soapEnvelope(version: SoapVersion, body: string): string {
  return (
    `<?xml version="1.0" encoding="utf-8"?>\n<soap:Envelope xmlns:soap="${SOAP_NAMESPACES[version]}">` +
    `<soap:Body>${body}</soap:Body></soap:Envelope>`
  );
}

function orderFaultXml(fault: SoapFault): string {
  const fields = (fault.fieldErrors ?? [])
    .map(
      (error) =>
        `<erp:FieldError><erp:Field>${escapeXml(error.field)}</erp:Field>` +
        `<erp:Message>${escapeXml(error.message)}</erp:Message></erp:FieldError>`,
    )
    .join('');
  return (
    `<erp:OrderFault xmlns:erp="${ERP_NAMESPACE}"><erp:Code>${fault.code}</erp:Code>` +
    `<erp:Message>${escapeXml(fault.message)}</erp:Message>${fields}</erp:OrderFault>`
  );
}

const SOAP12_SIDES: Readonly<Record<SoapFault['side'], string>> = {
  Client: 'Sender',
  Server: 'Receiver',
  VersionMismatch: 'VersionMismatch',
  MustUnderstand: 'MustUnderstand',
};

/** A fault envelope and its HTTP status: 500 for every SOAP 1.1 fault; 400 for a 1.2 Sender fault. */
export function soapFaultResponse(version: SoapVersion, fault: SoapFault): { status: number; xml: string } {
  if (version === '1.1') {
    const xml = soapEnvelope(
      version,
      `<soap:Fault><faultcode>soap:${fault.side}</faultcode><faultstring>${escapeXml(fault.message)}</faultstring>` +
        `<detail>${orderFaultXml(fault)}</detail></soap:Fault>`,
    );
    return { status: 500, xml };
  }
  const xml = soapEnvelope(
    version,
    `<soap:Fault><soap:Code><soap:Value>soap:${SOAP12_SIDES[fault.side]}</soap:Value></soap:Code>` +
      `<soap:Reason><soap:Text xml:lang="en">${escapeXml(fault.message)}</soap:Text></soap:Reason>` +
      `<soap:Detail>${orderFaultXml(fault)}</soap:Detail></soap:Fault>`,
  );
  return { status: fault.side === 'Client' ? 400 : 500, xml };
}
