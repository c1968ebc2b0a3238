import { randomBytes } from 'node:crypto';
import type { ErpOrder } from '../../src/mocks/erp/erp-order.ts';
import { ERP_NAMESPACE, ERP_SOAP_ACTIONS, type ErpOperation } from '../../src/mocks/erp/erp-wsdl.ts';
import { SOAP_NAMESPACES, type SoapVersion } from '../../src/mocks/erp/soap-message.ts';
import {
  PASSWORD_DIGEST_TYPE,
  PASSWORD_TEXT_TYPE,
  passwordDigest,
  WSSE_NAMESPACE,
  WSU_NAMESPACE,
} from '../../src/mocks/erp/ws-security.ts';
import { parseXml, type XmlElement } from '../../src/mocks/erp/xml-tree.ts';

/** A UsernameToken as a client would send it; nonce and created default to fresh values. */
export interface TestToken {
  username: string;
  password: string;
  type: 'text' | 'digest';
  nonce?: string;
  created?: string;
}

const escapeText = (text: string) =>
  text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** A valid order of the contract, with text that needs escaping. */
export function sampleOrder(orderNumber = 'ORD-1001'): ErpOrder {
  return {
    orderNumber,
    customer: {
      customerNumber: 'C-42',
      fullName: 'Zoë "Z" O\'Brien & <Søn> 🚢',
      email: 'zoe@example.com',
      phone: '+44 20 7946 0000',
    },
    shipTo: { street: '1 Quay St', city: 'Hull', region: 'East Riding', postalCode: 'HU1 1AA' },
    orderDate: '2026-12-03T14:30:00Z',
  };
}

/** The `<o:Order>` element of an order, hand-written with the prefix `o` (the server must not care). */
export function orderElement(order: ErpOrder): string {
  const leaf = (name: string, value: string | undefined) =>
    value === undefined ? '' : `<o:${name}>${escapeText(value)}</o:${name}>`;
  return (
    `<o:Order>${leaf('OrderNumber', order.orderNumber)}<o:Customer>${leaf('CustomerNumber', order.customer.customerNumber)}` +
    `${leaf('FullName', order.customer.fullName)}${leaf('Email', order.customer.email)}${leaf('Phone', order.customer.phone)}` +
    `</o:Customer><o:ShipTo>${leaf('Street', order.shipTo.street)}${leaf('City', order.shipTo.city)}` +
    `${leaf('Region', order.shipTo.region)}${leaf('PostalCode', order.shipTo.postalCode)}</o:ShipTo>` +
    `${leaf('OrderDate', order.orderDate)}</o:Order>`
  );
}

/** A WS-Security header block for the token. */
export function securityHeader(token: TestToken): string {
  const created = token.created ?? new Date().toISOString().replace(/\.\d+Z$/, 'Z');
  const nonce = token.nonce ?? randomBytes(16).toString('base64');
  const password =
    token.type === 'text'
      ? `<wsse:Password Type="${PASSWORD_TEXT_TYPE}">${escapeText(token.password)}</wsse:Password>`
      : `<wsse:Password Type="${PASSWORD_DIGEST_TYPE}">${passwordDigest(nonce, created, token.password)}</wsse:Password>`;
  return (
    `<wsse:Security xmlns:wsse="${WSSE_NAMESPACE}" xmlns:wsu="${WSU_NAMESPACE}"><wsse:UsernameToken>` +
    `<wsse:Username>${escapeText(token.username)}</wsse:Username>${password}` +
    `<wsse:Nonce>${nonce}</wsse:Nonce><wsu:Created>${created}</wsu:Created></wsse:UsernameToken></wsse:Security>`
  );
}

/** A whole request envelope; `operation` is the body's element (use `<o:...>`; `o` is the contract's namespace). */
export function envelope(
  operation: string,
  token: TestToken | undefined,
  version: SoapVersion = '1.1',
): string {
  const header = token === undefined ? '' : `<env:Header>${securityHeader(token)}</env:Header>`;
  return (
    `<?xml version="1.0" encoding="utf-8"?><env:Envelope xmlns:env="${SOAP_NAMESPACES[version]}" ` +
    `xmlns:o="${ERP_NAMESPACE}">${header}<env:Body>${operation}</env:Body></env:Envelope>`
  );
}

/** A CreateOrder envelope. */
export function createOrderEnvelope(
  order: ErpOrder | string,
  token: TestToken,
  version?: SoapVersion,
): string {
  const content = typeof order === 'string' ? order : orderElement(order);
  return envelope(`<o:CreateOrder>${content}</o:CreateOrder>`, token, version);
}

/** A GetOrder envelope. */
export function getOrderEnvelope(orderNumber: string, token: TestToken, version?: SoapVersion): string {
  return envelope(
    `<o:GetOrder><o:OrderNumber>${escapeText(orderNumber)}</o:OrderNumber></o:GetOrder>`,
    token,
    version,
  );
}

/** Headers of a SOAP POST of `operation` in `version`. */
export function soapHeaders(operation: ErpOperation, version: SoapVersion = '1.1'): Record<string, string> {
  const action = ERP_SOAP_ACTIONS[operation];
  return version === '1.1'
    ? { 'content-type': 'text/xml; charset=utf-8', soapaction: `"${action}"` }
    : { 'content-type': `application/soap+xml; charset=utf-8; action="${action}"` };
}

/** What a SOAP answer means, with the incidental (prefixes, whitespace, extra headers) left out. */
export interface SoapOutcome {
  status: number;
  /** The fault's side (`Client`, `Sender`...), OrderFault code and FieldError paths. */
  fault?: { side: string; code: string; fields: string[] };
  /** The response element's children as `Name=value` (nested elements flattened with `/`). */
  values?: string[];
}

function flatten(element: XmlElement, path: string, into: string[]): string[] {
  for (const child of element.children) {
    const at = path === '' ? child.name : `${path}/${child.name}`;
    if (child.children.length > 0) flatten(child, at, into);
    else into.push(`${at}=${child.text}`);
  }
  return into;
}

function find(element: XmlElement, name: string): XmlElement | undefined {
  if (element.name === name) return element;
  for (const child of element.children) {
    const found = find(child, name);
    if (found) return found;
  }
  return undefined;
}

/** Reads a SOAP answer into its substance, for comparing two servers. */
export function soapOutcome(status: number, xml: string): SoapOutcome {
  const parsed = parseXml(xml);
  if (!parsed.ok) throw new Error(`the answer is not XML: ${parsed.message}\n${xml}`);
  const body = parsed.root.children.find((c) => c.name === 'Body');
  const first = body?.children[0];
  if (first === undefined) throw new Error(`the answer has no Body content:\n${xml}`);
  if (first.name !== 'Fault') return { status, values: flatten(first, first.name, []) };
  const faultcode = find(first, 'faultcode')?.text ?? find(first, 'Value')?.text ?? '';
  const orderFault = find(first, 'OrderFault');
  const fields = (orderFault?.children ?? [])
    .filter((c) => c.name === 'FieldError')
    .map((c) => find(c, 'Field')?.text ?? '');
  return {
    status,
    fault: {
      side: faultcode.replace(/^.*:/, ''),
      code: orderFault?.children.find((c) => c.name === 'Code')?.text ?? '',
      fields,
    },
  };
}
