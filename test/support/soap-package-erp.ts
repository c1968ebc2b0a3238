// A second, independent implementation of the ERP OrderService contract, on the `soap` package's server:
// the same configuration must work against it and against ferry's own mock (src/mocks/erp/).
import { createHash, timingSafeEqual } from 'node:crypto';
import { createServer } from 'node:http';
import * as soap from 'soap';
import { erpWsdlFor } from '../../src/mocks/erp/erp-wsdl.ts';

/** A running soap-package OrderService. */
export interface SoapPackageErp {
  url: string;
  wsdlUrl: string;
  username: string;
  password: string;
  /** OrderNumbers stored, in arrival order. */
  orderNumbers(): string[];
  close(): Promise<void>;
}

const NS = 'http://erp.example.com/orders/v1';
const TEXT_TYPE =
  'http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-username-token-profile-1.0#PasswordText';
const DIGEST_TYPE =
  'http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-username-token-profile-1.0#PasswordDigest';

type Tree = { [key: string]: unknown };
interface FieldProblem {
  field: string;
  message: string;
}

const escapeText = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

function orderFault(side: 'Client' | 'Server', code: string, message: string, fields: FieldProblem[] = []) {
  const errors = fields
    .map(
      (f) =>
        `<e:FieldError><e:Field>${escapeText(f.field)}</e:Field><e:Message>${escapeText(f.message)}</e:Message></e:FieldError>`,
    )
    .join('');
  return {
    Fault: {
      faultcode: `soap:${side}`,
      faultstring: message,
      detail: {
        $xml: `<e:OrderFault xmlns:e="${NS}"><e:Code>${code}</e:Code><e:Message>${escapeText(message)}</e:Message>${errors}</e:OrderFault>`,
      },
      statusCode: 500,
    },
  };
}

function textOf(node: unknown): string | undefined {
  if (node instanceof Date) return Number.isNaN(node.getTime()) ? '(invalid date)' : node.toISOString();
  if (typeof node === 'string') return node;
  if (typeof node === 'number' || typeof node === 'boolean') return String(node);
  if (node !== null && typeof node === 'object' && '$value' in node) return textOf((node as Tree).$value);
  return undefined;
}

function same(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

// The contract's simple types, written independently of src/mocks/erp/erp-order.ts.
const nonEmpty = (v: string) =>
  v.length >= 1 && [...v].length <= 200 ? null : 'must be 1 to 200 characters';
const orderNumber = (v: string) =>
  /^ORD-[A-Za-z0-9_.-]{1,64}$/.test(v) ? null : 'does not match OrderIdType';
const utc = (v: string) =>
  /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]00:00)$/.test(v) && !Number.isNaN(Date.parse(v))
    ? null
    : 'is not a UTC xs:dateTime';

const SHAPE: Record<string, Record<string, ((v: string) => string | null) | Record<string, unknown>>> = {
  Order: {
    OrderNumber: orderNumber,
    Customer: { CustomerNumber: nonEmpty, FullName: nonEmpty, Email: nonEmpty, 'Phone?': nonEmpty },
    ShipTo: { Street: nonEmpty, City: nonEmpty, Region: nonEmpty, PostalCode: nonEmpty },
    OrderDate: utc,
  },
};

function check(node: unknown, shape: Record<string, unknown>, path: string, problems: FieldProblem[]): void {
  const object = (node ?? {}) as Tree;
  for (const [key, rule] of Object.entries(shape)) {
    const name = key.replace(/\?$/, '');
    const field = path === '' ? name : `${path}/${name}`;
    const value = object[name];
    if (value === undefined || value === null) {
      if (!key.endsWith('?')) problems.push({ field, message: 'is required' });
    } else if (typeof rule === 'function') {
      const text = textOf(value);
      const problem = text === undefined ? 'must be text' : (rule as (v: string) => string | null)(text);
      if (problem !== null) problems.push({ field, message: problem });
    } else check(value, rule as Record<string, unknown>, field, problems);
  }
}

/** Starts a `soap.listen` OrderService on 127.0.0.1, port 0, with its own store and its own UsernameToken check (text and digest). */
export async function startSoapPackageErp(
  options: { username?: string; password?: string } = {},
): Promise<SoapPackageErp> {
  const username = options.username ?? 'soap-user';
  const password = options.password ?? 'soap-pass & <more>';
  const stored = new Map<string, { order: Tree; reference: string }>();
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  const url = `http://127.0.0.1:${port}/erp/OrderService`;

  // Both password forms of the contract, checked independently of src/mocks/erp/ws-security.ts; a digest
  // nonce is remembered and refused the second time, as the contract asks.
  const nonces = new Set<string>();
  const authenticate = (headers: unknown) => {
    const token = ((headers as Tree | undefined)?.Security as Tree | undefined)?.UsernameToken as
      | Tree
      | undefined;
    const passwordNode = token?.Password as Tree | string | undefined;
    const type =
      typeof passwordNode === 'object' ? (passwordNode.attributes as Tree | undefined)?.Type : TEXT_TYPE;
    const given = textOf(passwordNode);
    const user = textOf(token?.Username);
    const refuse = () => orderFault('Client', 'AUTHENTICATION_FAILED', 'the UsernameToken was refused');
    if (given === undefined || user === undefined || !same(user, username)) throw refuse();
    if (type === TEXT_TYPE) {
      if (!same(given, password)) throw refuse();
      return;
    }
    if (type !== DIGEST_TYPE) throw refuse();
    const nonce = textOf(token?.Nonce);
    const created = textOf(token?.Created);
    if (nonce === undefined || created === undefined || nonces.has(nonce)) throw refuse();
    const age = Date.now() - Date.parse(created);
    if (!(age < 5 * 60_000 && age > -60_000)) throw refuse();
    const expected = createHash('sha1')
      .update(Buffer.concat([Buffer.from(nonce, 'base64'), Buffer.from(created + password, 'utf8')]))
      .digest('base64');
    if (!same(given, expected)) throw refuse();
    nonces.add(nonce);
  };

  const orderOut = (order: Tree) => {
    const customer = order.Customer as Tree;
    const shipTo = order.ShipTo as Tree;
    return {
      OrderNumber: textOf(order.OrderNumber),
      Customer: {
        CustomerNumber: textOf(customer.CustomerNumber),
        FullName: textOf(customer.FullName),
        Email: textOf(customer.Email),
        ...(customer.Phone === undefined ? {} : { Phone: textOf(customer.Phone) }),
      },
      ShipTo: {
        Street: textOf(shipTo.Street),
        City: textOf(shipTo.City),
        Region: textOf(shipTo.Region),
        PostalCode: textOf(shipTo.PostalCode),
      },
      OrderDate: textOf(order.OrderDate),
    };
  };

  const services = {
    OrderService: {
      OrderPort: {
        CreateOrder(args: Tree, _callback: unknown, headers: unknown) {
          authenticate(headers);
          const problems: FieldProblem[] = [];
          check(args, SHAPE, '', problems);
          if (problems.length > 0)
            throw orderFault('Client', 'VALIDATION_FAILED', 'the order is not valid', problems);
          const order = args.Order as Tree;
          const number = textOf(order.OrderNumber) as string;
          if (stored.has(number))
            throw orderFault('Client', 'DUPLICATE_ORDER', `order ${number} exists already`);
          const reference = `SOAPPKG-${stored.size + 1}`;
          stored.set(number, { order, reference });
          return { OrderNumber: number, ErpReference: reference };
        },
        GetOrder(args: Tree, _callback: unknown, headers: unknown) {
          authenticate(headers);
          const problem = orderNumber(textOf(args.OrderNumber) ?? '');
          if (problem !== null)
            throw orderFault('Client', 'VALIDATION_FAILED', 'the request is not valid', [
              { field: 'OrderNumber', message: problem },
            ]);
          const found = stored.get(textOf(args.OrderNumber) as string);
          return found ? { Order: orderOut(found.order), ErpReference: found.reference } : {};
        },
      },
    },
  };
  soap.listen(server, { path: '/erp/OrderService', services, xml: erpWsdlFor(url) });
  return {
    url,
    wsdlUrl: `${url}?wsdl`,
    username,
    password,
    orderNumbers: () => [...stored.keys()],
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}
