import type { FieldError } from '../field-errors.ts';
import { ERP_NAMESPACE } from './erp-wsdl.ts';
import { escapeXml } from './soap-message.ts';
import type { XmlElement } from './xml-tree.ts';

/** An order as the ERP stores it: the contract's OrderType. */
export interface ErpOrder {
  orderNumber: string;
  customer: { customerNumber: string; fullName: string; email: string; phone?: string };
  shipTo: { street: string; city: string; region: string; postalCode: string };
  orderDate: string;
}

/** One element of an xs:sequence: a simple value with its check, or a nested sequence. */
interface ElementRule {
  name: string;
  optional?: boolean;
  check?: (value: string) => string | null;
  children?: readonly ElementRule[];
}

function nonEmptyString(value: string): string | null {
  // xs:length counts characters (code points), not UTF-16 units: an emoji is one.
  const length = [...value].length;
  return length >= 1 && length <= 200 ? null : `must be 1 to 200 characters long, got ${length}`;
}

const ORDER_ID = /^ORD-[A-Za-z0-9_.-]{1,64}$/;
function orderId(value: string): string | null {
  return ORDER_ID.test(value) ? null : 'must match the pattern ORD-[A-Za-z0-9_.\\-]{1,64}';
}

const DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d+)?(Z|[+-]00:00)$/;
function utcDateTime(value: string): string | null {
  const parts = DATE_TIME.exec(value)?.slice(1, 7).map(Number);
  if (parts) {
    const [year, month, day, hour, minute, second] = parts as [
      number,
      number,
      number,
      number,
      number,
      number,
    ];
    const daysInMonth = new Date(Date.UTC(year, month, 0)).getUTCDate();
    if (
      month >= 1 &&
      month <= 12 &&
      day >= 1 &&
      day <= daysInMonth &&
      hour < 24 &&
      minute < 60 &&
      second < 60
    )
      return null;
  }
  return 'must be an xs:dateTime in UTC, e.g. 2026-12-03T14:30:00Z';
}

const CUSTOMER: readonly ElementRule[] = [
  { name: 'CustomerNumber', check: nonEmptyString },
  { name: 'FullName', check: nonEmptyString },
  { name: 'Email', check: nonEmptyString },
  { name: 'Phone', check: nonEmptyString, optional: true },
];
const ADDRESS: readonly ElementRule[] = [
  { name: 'Street', check: nonEmptyString },
  { name: 'City', check: nonEmptyString },
  { name: 'Region', check: nonEmptyString },
  { name: 'PostalCode', check: nonEmptyString },
];
const ORDER: readonly ElementRule[] = [
  { name: 'OrderNumber', check: orderId },
  { name: 'Customer', children: CUSTOMER },
  { name: 'ShipTo', children: ADDRESS },
  { name: 'OrderDate', check: utcDateTime },
];
const CREATE_ORDER: readonly ElementRule[] = [{ name: 'Order', children: ORDER }];
const GET_ORDER: readonly ElementRule[] = [{ name: 'OrderNumber', check: orderId }];

const at = (path: string, name: string) => (path === '' ? name : `${path}/${name}`);

/**
 * Checks the children of `parent` against an xs:sequence: every element qualified in the contract's
 * namespace, known, present when required, at most once, in the schema's order; then each one's content.
 * One FieldError per problem, named by its path (`Order/Customer/Email`).
 */
function checkSequence(
  parent: XmlElement,
  rules: readonly ElementRule[],
  path: string,
  errors: FieldError[],
) {
  if (parent.text.trim() !== '') errors.push({ field: path, message: 'must hold elements, not text' });
  const present = new Map<string, XmlElement>();
  const misplaced = new Set<string>();
  let furthest = -1;
  for (const element of parent.children) {
    const field = at(path, element.name);
    const index = rules.findIndex((rule) => rule.name === element.name);
    if (index === -1) {
      errors.push({ field, message: 'is not an element of the schema here' });
    } else if (element.ns !== ERP_NAMESPACE) {
      // Named right but unqualified: one error says so, rather than a second "is required" for it.
      misplaced.add(element.name);
      errors.push({ field, message: `must be qualified in the namespace ${ERP_NAMESPACE}` });
    } else if (present.has(element.name)) {
      errors.push({ field, message: 'appears more than once' });
    } else {
      present.set(element.name, element);
      if (index < furthest) {
        const later = rules[furthest]?.name ?? '';
        errors.push({ field, message: `is out of order: it must come before ${later}` });
      }
      furthest = Math.max(furthest, index);
    }
  }
  for (const rule of rules) {
    const field = at(path, rule.name);
    const element = present.get(rule.name);
    if (element === undefined) {
      if (!rule.optional && !misplaced.has(rule.name)) errors.push({ field, message: 'is required' });
    } else if (rule.children) {
      checkSequence(element, rule.children, field, errors);
    } else if (element.children.length > 0) {
      errors.push({ field, message: 'must hold text, not elements' });
    } else {
      const problem = rule.check?.(element.text) ?? null;
      if (problem !== null) errors.push({ field, message: problem });
    }
  }
}

function text(parent: XmlElement, name: string): string | undefined {
  return parent.children.find((c) => c.name === name)?.text;
}

function element(parent: XmlElement, name: string): XmlElement {
  return parent.children.find((c) => c.name === name) as XmlElement;
}

/** Validates a CreateOrder element against the contract's schema and reads its order. */
export function readCreateOrder(operation: XmlElement): { order: ErpOrder } | { errors: FieldError[] } {
  const errors: FieldError[] = [];
  checkSequence(operation, CREATE_ORDER, '', errors);
  if (errors.length > 0) return { errors };
  const order = element(operation, 'Order');
  const customer = element(order, 'Customer');
  const shipTo = element(order, 'ShipTo');
  const phone = text(customer, 'Phone');
  return {
    order: {
      orderNumber: text(order, 'OrderNumber') as string,
      customer: {
        customerNumber: text(customer, 'CustomerNumber') as string,
        fullName: text(customer, 'FullName') as string,
        email: text(customer, 'Email') as string,
        ...(phone === undefined ? {} : { phone }),
      },
      shipTo: {
        street: text(shipTo, 'Street') as string,
        city: text(shipTo, 'City') as string,
        region: text(shipTo, 'Region') as string,
        postalCode: text(shipTo, 'PostalCode') as string,
      },
      orderDate: text(order, 'OrderDate') as string,
    },
  };
}

/** Validates a GetOrder element and reads the OrderNumber asked for. */
export function readGetOrder(operation: XmlElement): { orderNumber: string } | { errors: FieldError[] } {
  const errors: FieldError[] = [];
  checkSequence(operation, GET_ORDER, '', errors);
  return errors.length > 0 ? { errors } : { orderNumber: text(operation, 'OrderNumber') as string };
}

const leaf = (name: string, value: string) => `<erp:${name}>${escapeXml(value)}</erp:${name}>`;

/** The `erp:Order` element of an order, in the schema's element order. */
export function orderXml(order: ErpOrder): string {
  const { customer, shipTo } = order;
  return (
    `<erp:Order>${leaf('OrderNumber', order.orderNumber)}<erp:Customer>` +
    leaf('CustomerNumber', customer.customerNumber) +
    leaf('FullName', customer.fullName) +
    leaf('Email', customer.email) +
    (customer.phone === undefined ? '' : leaf('Phone', customer.phone)) +
    `</erp:Customer><erp:ShipTo>${leaf('Street', shipTo.street)}${leaf('City', shipTo.city)}` +
    `${leaf('Region', shipTo.region)}${leaf('PostalCode', shipTo.postalCode)}</erp:ShipTo>` +
    `${leaf('OrderDate', order.orderDate)}</erp:Order>`
  );
}

/** The body of a CreateOrderResponse. */
export function createOrderResponseXml(orderNumber: string, erpReference: string): string {
  return (
    `<erp:CreateOrderResponse xmlns:erp="${ERP_NAMESPACE}">${leaf('OrderNumber', orderNumber)}` +
    `${leaf('ErpReference', erpReference)}</erp:CreateOrderResponse>`
  );
}

/** The body of a GetOrderResponse: empty when the order is unknown. */
export function getOrderResponseXml(found: { order: ErpOrder; erpReference: string } | undefined): string {
  const content = found ? `${orderXml(found.order)}${leaf('ErpReference', found.erpReference)}` : '';
  return `<erp:GetOrderResponse xmlns:erp="${ERP_NAMESPACE}">${content}</erp:GetOrderResponse>`;
}
