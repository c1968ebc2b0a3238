import Fastify, {
  type FastifyError,
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
} from 'fastify';
import { listenOn } from '../create-mock-app.ts';
import { randomCredential, sameSecret } from '../credentials.ts';
import type { FieldError } from '../field-errors.ts';
import { createRequestStats } from '../request-stats.ts';
import { createErpFaults, type ErpFaultOptions } from './erp-faults.ts';
import { createOrderResponseXml, getOrderResponseXml, readCreateOrder, readGetOrder } from './erp-order.ts';
import { createErpStore, type StoredErpOrder } from './erp-store.ts';
import {
  ERP_NAMESPACE,
  ERP_SERVICE_PATH,
  ERP_SOAP_ACTIONS,
  type ErpOperation,
  erpWsdlFor,
} from './erp-wsdl.ts';
import {
  readEnvelope,
  SOAP_CONTENT_TYPES,
  type SoapFault,
  type SoapVersion,
  soapEnvelope,
  soapFaultResponse,
} from './soap-message.ts';
import { createUsernameTokenVerifier, type PasswordType } from './ws-security.ts';
import { screenXml } from './xml-guard.ts';
import { parseXml, type XmlElement } from './xml-tree.ts';

/** Options of the SOAP ERP mock. */
export interface MockErpOptions {
  /** @default 0 (any free port) */
  port?: number;
  /** @default '127.0.0.1' */
  host?: string;
  /** UsernameToken username. @default a random one */
  username?: string;
  /** UsernameToken password. @default a random one */
  password?: string;
  /** Password forms accepted. @default 'both' */
  passwordType?: PasswordType;
  /** Seed of the fault draws. @default 42 */
  seed?: number;
  faults?: ErpFaultOptions;
  /** Largest request body in bytes; a larger one is refused with 413 before it is read. @default 1048576 */
  bodyLimit?: number;
  /** Deepest element nesting accepted; deeper is refused before parsing. @default 32 */
  maxDepth?: number;
  /** Log every request (pino). @default false */
  logger?: boolean;
  /** Clock in milliseconds, for the UsernameToken window. @default Date.now */
  now?: () => number;
  /**
   * HTTP authentication the service requires besides the UsernameToken, as ERPs behind an API gateway do:
   * every request to the service path (the WSDL too) without it is answered 401 with WWW-Authenticate.
   * `verify` decides a bearer token (an OAuth access token checked with its issuer). @default none
   */
  httpAuth?:
    | { readonly type: 'basic'; readonly username: string; readonly password: string }
    | { readonly type: 'bearer'; readonly verify: (token: string) => boolean | Promise<boolean> };
  /**
   * Serves HTTPS with this key and certificate (PEM). With `ca`, a client certificate signed by it is
   * required (mutual TLS): a client without one cannot complete the handshake. @default plain HTTP
   */
  tls?: { readonly key: string; readonly cert: string; readonly ca?: string };
}

/** Counters of the ERP mock (also served at GET /__stats). */
export interface ErpStats {
  /** Answered requests by `METHOD /route` and status; a dropped acknowledgement counts as `lost`. */
  requests: Record<string, Record<string, number>>;
  /** Authenticated, well-formed requests per operation. */
  operations: Record<ErpOperation, number>;
  ordersStored: number;
  /** Orders created twice (stored minus distinct OrderNumbers): must stay 0. */
  duplicates: number;
  /** CreateOrder requests refused with DUPLICATE_ORDER. */
  duplicatesRefused: number;
  /** VALIDATION_FAILED faults for an operation's content. */
  validationFailures: number;
  /** Requests refused before reaching an operation: too large, hostile or malformed XML, bad envelope. */
  malformedRequests: number;
  /** AUTHENTICATION_FAILED faults, nonce replays included. */
  authFailures: number;
  /** Requests refused with 401 by the HTTP authentication (`httpAuth`). */
  httpAuthFailures: number;
  noncesReplayed: number;
  /** Seeded faults answered. */
  faultsInjected: { serviceBusy: number; internalError: number; unavailable: number; lostAcks: number };
}

/** An ERP mock built but not listening: use `app.inject()` in tests. */
export interface MockErp {
  app: FastifyInstance;
  username: string;
  password: string;
  stats(): ErpStats;
  /** Every stored order in arrival order. */
  orders(): readonly StoredErpOrder[];
  /** Forgets orders, nonces, counters and fault sequences; credentials stay. */
  reset(): void;
}

/** A running ERP mock. */
export interface MockErpHandle extends Omit<MockErp, 'app'> {
  /** The OrderService endpoint, e.g. `http://127.0.0.1:40123/erp/OrderService`. */
  url: string;
  /** `<url>?wsdl`. */
  wsdlUrl: string;
  origin: string;
  close(): Promise<void>;
}

/** A SOAP answer before it is sent. */
interface SoapAnswer {
  status: number;
  xml: string;
}

/** The seeded soap:Server faults, with the stats counter each one adds to. */
const INJECTED_FAULTS = {
  service_busy: {
    counter: 'serviceBusy',
    fault: { code: 'SERVICE_BUSY', message: 'the ERP is overloaded; retry later (injected fault)' },
  },
  internal_error: {
    counter: 'internalError',
    fault: { code: 'INTERNAL_ERROR', message: 'the ERP failed (injected fault)' },
  },
} as const;
const ROUTE = `POST ${ERP_SERVICE_PATH}`;
const OPERATIONS: readonly ErpOperation[] = ['CreateOrder', 'GetOrder'];

function versionOf(contentType: string | undefined): SoapVersion {
  return contentType?.toLowerCase().startsWith('application/soap+xml') ? '1.2' : '1.1';
}

function mediaParameter(contentType: string, name: string): string | undefined {
  const match = new RegExp(`;\\s*${name}\\s*=\\s*("([^"]*)"|[^;\\s]*)`, 'i').exec(contentType);
  return match ? (match[2] ?? match[1]) : undefined;
}

/** The soapAction a request names: the SOAPAction header (1.1) or the action parameter (1.2). */
function requestedAction(request: FastifyRequest, version: SoapVersion): string | undefined {
  if (version === '1.2') return mediaParameter(request.headers['content-type'] ?? '', 'action');
  const header = request.headers.soapaction;
  return typeof header === 'string' ? header.trim().replace(/^"(.*)"$/, '$1') : undefined;
}

/**
 * Builds the ERP OrderService mock: the partner's contract (examples/schemas/erp-order-service.wsdl and
 * erp-order-service.md) over SOAP 1.1 and 1.2, WS-Security UsernameToken (text and digest, nonce replay
 * refused), strict schema validation with FieldErrors, DUPLICATE_ORDER, GetOrder, and seeded faults.
 */
export async function buildMockErp(options: MockErpOptions = {}): Promise<MockErp> {
  const username = options.username ?? randomCredential('erp', 6);
  const password = options.password ?? randomCredential('pw');
  const now = options.now ?? Date.now;
  const maxDepth = options.maxDepth ?? 32;
  const faults = createErpFaults(options.seed ?? 42, options.faults);
  const verifier = createUsernameTokenVerifier({
    username,
    password,
    passwordType: options.passwordType ?? 'both',
    now,
  });
  const store = createErpStore();
  const stats = createRequestStats();
  const snapshot = (): ErpStats => ({
    requests: stats.requests(),
    operations: { CreateOrder: stats.counter('CreateOrder'), GetOrder: stats.counter('GetOrder') },
    ordersStored: store.all().length,
    duplicates: store.duplicates(),
    duplicatesRefused: stats.counter('duplicatesRefused'),
    validationFailures: stats.counter('validationFailures'),
    malformedRequests: stats.counter('malformedRequests'),
    authFailures: stats.counter('authFailures'),
    httpAuthFailures: stats.counter('httpAuthFailures'),
    noncesReplayed: stats.counter('noncesReplayed'),
    faultsInjected: {
      serviceBusy: stats.counter('serviceBusy'),
      internalError: stats.counter('internalError'),
      unavailable: stats.counter('unavailable'),
      lostAcks: stats.counter('lostAcks'),
    },
  });
  const reset = () => {
    store.reset();
    stats.reset();
    faults.reset();
    verifier.reset();
  };

  const { tls } = options;
  const app = Fastify({
    logger: options.logger ?? false,
    bodyLimit: options.bodyLimit ?? 1_048_576,
    ...(tls
      ? {
          https: {
            key: tls.key,
            cert: tls.cert,
            ...(tls.ca ? { ca: tls.ca, requestCert: true, rejectUnauthorized: true } : {}),
          },
        }
      : {}),
  });
  app.removeAllContentTypeParsers();
  app.addContentTypeParser(
    ['text/xml', 'application/soap+xml'],
    { parseAs: 'string' },
    (request, body, done) => {
      const charset = mediaParameter(request.headers['content-type'] ?? '', 'charset');
      if (charset !== undefined && charset.toLowerCase() !== 'utf-8') {
        done(
          Object.assign(new Error(`charset "${charset}" is not supported; send utf-8`), { statusCode: 415 }),
        );
      } else done(null, body);
    },
  );

  const send = (reply: FastifyReply, version: SoapVersion, answer: SoapAnswer) =>
    reply.code(answer.status).type(SOAP_CONTENT_TYPES[version]).send(answer.xml);
  const fault = (version: SoapVersion, counter: string, spec: SoapFault): SoapAnswer => {
    stats.add(counter);
    return soapFaultResponse(version, spec);
  };
  const malformed = (version: SoapVersion, message: string) =>
    fault(version, 'malformedRequests', { side: 'Client', code: 'VALIDATION_FAILED', message });

  // Errors fastify raises before the handler (body too large, unsupported media type) still get a SOAP fault.
  app.setErrorHandler<FastifyError>((error, request, reply) => {
    const version = versionOf(request.headers['content-type']);
    const status = error.statusCode ?? 500;
    if (status >= 500) {
      request.log.error({ err: error }, 'ERP mock handler failed');
      const answer = soapFaultResponse(version, {
        side: 'Server',
        code: 'INTERNAL_ERROR',
        message: 'the ERP mock failed to handle the request',
      });
      return send(reply, version, answer);
    }
    const answer = malformed(version, error.message);
    return send(reply, version, { status, xml: answer.xml });
  });
  app.addHook('onResponse', (request, reply, done) => {
    stats.record(`${request.method} ${request.routeOptions.url ?? '*'}`, reply.statusCode);
    done();
  });

  const httpAuth = options.httpAuth;
  if (httpAuth) {
    app.addHook('onRequest', async (request, reply) => {
      if (request.routeOptions.url !== ERP_SERVICE_PATH) return;
      const header = request.headers.authorization ?? '';
      const basic = /^Basic\s+(\S+)\s*$/i.exec(header)?.[1];
      const bearer = /^Bearer\s+(\S+)\s*$/i.exec(header)?.[1];
      let ok = false;
      if (httpAuth.type === 'basic' && basic !== undefined) {
        const expected = Buffer.from(`${httpAuth.username}:${httpAuth.password}`, 'utf8').toString('base64');
        ok = sameSecret(basic, expected);
      } else if (httpAuth.type === 'bearer' && bearer !== undefined) ok = await httpAuth.verify(bearer);
      if (ok) return;
      stats.add('httpAuthFailures');
      const scheme = httpAuth.type === 'basic' ? 'Basic' : 'Bearer';
      return reply
        .code(401)
        .header('WWW-Authenticate', `${scheme} realm="erp"`)
        .type('text/plain; charset=utf-8')
        .send('401 Unauthorized: the gateway in front of the ERP refused the HTTP credentials\n');
    });
  }

  app.get(ERP_SERVICE_PATH, async (request, reply) => {
    // Clients spell it ?wsdl or ?WSDL.
    if (!Object.keys(request.query as object).some((key) => key.toLowerCase() === 'wsdl'))
      return reply
        .code(404)
        .type('text/plain')
        .send(`POST SOAP requests here; the WSDL is at ${ERP_SERVICE_PATH}?wsdl\n`);
    const url = `${request.protocol}://${request.host}${ERP_SERVICE_PATH}`;
    return reply.type('text/xml; charset=utf-8').send(erpWsdlFor(url));
  });

  /** Takes a request apart up to its operation; a request that gets no further gets its fault. */
  const accept = (
    request: FastifyRequest,
    version: SoapVersion,
  ): SoapAnswer | { name: ErpOperation; operation: XmlElement } => {
    const text = request.body;
    if (typeof text !== 'string') return malformed(version, 'the body must be a SOAP envelope');
    const refused = screenXml(text, { maxDepth });
    if (refused !== null) return malformed(version, `refused before parsing: ${refused}`);
    const parsed = parseXml(text);
    if (!parsed.ok) return malformed(version, parsed.message);
    const envelope = readEnvelope(parsed.root, version);
    if ('side' in envelope) return fault(version, 'malformedRequests', envelope);
    const refusal = verifier.verify(envelope.headers);
    if (refusal !== null) {
      if (refusal.replay) stats.add('noncesReplayed');
      return fault(version, 'authFailures', {
        side: 'Client',
        code: 'AUTHENTICATION_FAILED',
        message: `the UsernameToken was refused: ${refusal.reason}`,
      });
    }
    const { operation } = envelope;
    const name = OPERATIONS.find((op) => op === operation.name);
    if (operation.ns !== ERP_NAMESPACE || name === undefined)
      return malformed(version, `unknown operation {${operation.ns}}${operation.name}`);
    const action = requestedAction(request, version);
    if (version === '1.1' && action === undefined)
      return malformed(version, `the SOAPAction header is missing; expected "${ERP_SOAP_ACTIONS[name]}"`);
    if (action !== undefined && action !== ERP_SOAP_ACTIONS[name])
      return malformed(version, `SOAPAction "${action}" does not match the body's ${name}`);
    return { name, operation };
  };

  const invalid = (version: SoapVersion, message: string, fieldErrors: FieldError[]) =>
    fault(version, 'validationFailures', { side: 'Client', code: 'VALIDATION_FAILED', message, fieldErrors });

  const perform = (version: SoapVersion, name: ErpOperation, operation: XmlElement): SoapAnswer => {
    if (name === 'GetOrder') {
      const read = readGetOrder(operation);
      if ('errors' in read) return invalid(version, 'the GetOrder request is not valid', read.errors);
      return { status: 200, xml: soapEnvelope(version, getOrderResponseXml(store.get(read.orderNumber))) };
    }
    const read = readCreateOrder(operation);
    if ('errors' in read)
      return invalid(version, `the order is not valid: ${read.errors.length} field error(s)`, read.errors);
    const stored = store.create(read.order);
    if (stored === undefined)
      return fault(version, 'duplicatesRefused', {
        side: 'Client',
        code: 'DUPLICATE_ORDER',
        message: `an order with OrderNumber ${read.order.orderNumber} exists already`,
      });
    return {
      status: 200,
      xml: soapEnvelope(version, createOrderResponseXml(stored.order.orderNumber, stored.erpReference)),
    };
  };

  app.post(
    ERP_SERVICE_PATH,
    {
      onRequest:
        faults.latencyMs > 0
          ? // The global timer, not node:timers/promises, so tests can drive latency with fake timers.
            [() => new Promise<void>((resolve) => setTimeout(resolve, faults.latencyMs))]
          : [],
    },
    async (request, reply) => {
      const version = versionOf(request.headers['content-type']);
      const accepted = accept(request, version);
      if ('status' in accepted) return send(reply, version, accepted);
      stats.add(accepted.name);
      // Drawn after authentication and before validation, as the REST mocks do.
      const decision = faults.next();
      if (decision === 'unavailable') {
        stats.add('unavailable');
        return reply
          .code(503)
          .header('Retry-After', faults.retryAfter(now()))
          .type('text/plain; charset=utf-8')
          .send('503 Service Unavailable (injected fault)\n');
      }
      const injected =
        decision === 'service_busy' || decision === 'internal_error' ? INJECTED_FAULTS[decision] : undefined;
      if (injected)
        return send(reply, version, fault(version, injected.counter, { side: 'Server', ...injected.fault }));
      const answer = perform(version, accepted.name, accepted.operation);
      // GetOrder is how a client recovers a lost acknowledgement, so only CreateOrder loses one.
      if (decision === 'lost_ack' && accepted.name === 'CreateOrder') {
        stats.add('lostAcks');
        stats.record(ROUTE, 'lost');
        reply.hijack();
        reply.raw.socket?.destroy();
        return reply;
      }
      return send(reply, version, answer);
    },
  );

  const routes = (prefix: string) => {
    app.get(`${prefix}stats`, async () => snapshot());
    app.get(`${prefix}orders`, async () => ({ total: store.all().length, orders: store.all() }));
    app.post(`${prefix}reset`, async (_request, reply) => {
      reset();
      return reply.code(204).send();
    });
  };
  routes('/__admin/');
  routes('/__');

  await app.ready();
  return { app, username, password, stats: snapshot, orders: () => store.all(), reset };
}

/** Starts the ERP mock on host:port (port 0 by default) and returns its endpoint and credentials. */
export async function startMockErp(options: MockErpOptions = {}): Promise<MockErpHandle> {
  const erp = await buildMockErp(options);
  const origin = await listenOn(erp.app, options.host ?? '127.0.0.1', options.port ?? 0, {
    https: options.tls !== undefined,
  });
  const url = `${origin}${ERP_SERVICE_PATH}`;
  return {
    url,
    wsdlUrl: `${url}?wsdl`,
    origin,
    username: erp.username,
    password: erp.password,
    stats: erp.stats,
    orders: erp.orders,
    reset: erp.reset,
    close: () => erp.app.close(),
  };
}
