import { randomUUID } from 'node:crypto';
import type {
  DeliveryOutcome,
  LookupResult,
  OutgoingRecord,
  ProbeResult,
  SinkConnector,
} from '../../core/connector-types.ts';
import { errorKindOf, FerryError } from '../../core/errors.ts';
import type { HttpRequest, HttpResponse, Send } from '../../core/http-types.ts';
import type { Reason } from '../../core/ledger-types.ts';
import { redactSecrets } from '../../core/secret-registry.ts';
import { differences } from '../../xml/schema/compare-value.ts';
import { allowedElements } from '../../xml/schema/content-model.ts';
import type { SchemaType } from '../../xml/schema/xsd-model.ts';
import type { JudgedFault } from './fault-rules.ts';
import type { SoapCaller } from './soap-call.ts';
import { fillEveryPlaceholder, fillTemplate } from './template.ts';
import type { SoapOperation } from './wsdl-model.ts';

/** How the SOAP sink finds a record at the destination (GetOrder for CreateOrder). */
export interface SoapLookupOptions {
  readonly operation: SoapOperation;
  /** The lookup operation's input, with `{key}` and `{dot.path}` placeholders filled from the record. */
  readonly request: unknown;
  /** Where the stored record is in the lookup's output (local names); [] for the whole output. */
  readonly resultPath: readonly string[];
  /** Where the same record is in the mapped value; defaults to resultPath. */
  readonly comparePath: readonly string[];
  /** Dot paths of the mapped value not compared (the mapping's `compare: false`). */
  readonly ignoreFields: readonly string[];
}

/** How the SOAP sink talks to its destination. */
export interface SoapSinkOptions {
  readonly operation: SoapOperation;
  readonly caller: SoapCaller;
  /** ferry's HTTP stack; its retry layer asks `canResend` before an ambiguous resend. */
  readonly send: Send;
  readonly lookup?: SoapLookupOptions;
  /** Names the endpoint in metrics and messages. @default "destination" */
  readonly endpoint?: string;
  /** The endpoint URL, for messages. */
  readonly url: string;
}

/** The SOAP sink, plus the hook its HTTP stack's retry layer asks before an ambiguous resend. */
export interface SoapSink extends SinkConnector {
  /** Whether a request may be sent again: lookups always; a write only when the lookup does not find it. */
  canResend(request: HttpRequest): Promise<boolean>;
}

interface SendState {
  readonly record: OutgoingRecord;
  lookedUp?: Found;
}

type Found = LookupResult & { readonly differences?: readonly string[] };

/**
 * A sink that calls one SOAP operation per record: offers the WSDL's schema as its `validate` (the engine
 * quarantines what does not fit, with element paths, before sending), writes the envelope, reads the answer or the fault,
 * and keeps the exactly-once promise without an idempotency key through the lookup operation.
 */
export function createSoapSink(options: SoapSinkOptions): SoapSink {
  const { caller, operation } = options;
  const endpoint = options.endpoint ?? 'destination';
  const lookupOptions = options.lookup;
  const sending = new WeakMap<HttpRequest, SendState>();
  const lookups = new WeakSet<HttpRequest>();
  const where = `${redactSecrets(options.url)} (${operation.name})`;
  const comparedType = lookupOptions ? typeAt(inputType(operation), lookupOptions.comparePath) : undefined;
  const ignore = new Set(
    (lookupOptions?.ignoreFields ?? []).flatMap((path) => {
      const prefix = lookupOptions?.comparePath.join('.') ?? '';
      if (prefix === '') return [path];
      return path.startsWith(`${prefix}.`) ? [path.slice(prefix.length + 1)] : [];
    }),
  );

  async function lookup(record: OutgoingRecord): Promise<Found> {
    if (!lookupOptions || !comparedType) return { found: false };
    const input = fillTemplate(lookupOptions.request, record.key, record.value);
    // A record whose identity does not fit the lookup's schema cannot be at the destination under it; its
    // own send is refused by the same schema.
    if (caller.validate(lookupOptions.operation, input).length > 0) return { found: false };
    const request = caller.request(lookupOptions.operation, input, `${endpoint}_lookup`, record.signal);
    lookups.add(request);
    const response = await options.send(request);
    const result = caller.read(lookupOptions.operation, response);
    const context = `looking up record ${record.key} with ${lookupOptions.operation.name} at ${redactSecrets(options.url)}`;
    if (result.kind === 'invalid') {
      throw new FerryError('FERRY_ERR_HTTP_BAD_RESPONSE', `${context}: ${result.message}`, {
        details: { status: response.status, endpoint },
      });
    }
    if (result.kind === 'fault') {
      if (result.judged.action === 'credentials_refused') throw credentialsRefused(context, result.judged);
      throw new FerryError('FERRY_ERR_HTTP_TRANSIENT', `${context}: ${result.judged.summary}`, {
        details: { status: response.status, endpoint },
      });
    }
    const stored = at(result.value, lookupOptions.resultPath);
    if (isEmpty(stored)) return { found: false };
    const sent = at(record.value, lookupOptions.comparePath);
    const differing = differences(comparedType, sent, stored, ignore);
    return { found: true, matches: differing.length === 0, body: stored, differences: differing };
  }

  async function canResend(request: HttpRequest): Promise<boolean> {
    if (lookups.has(request)) return true;
    const state = sending.get(request);
    if (!state || !lookupOptions) return false;
    state.lookedUp = await lookup(state.record);
    return !state.lookedUp.found;
  }

  async function reconcile(record: OutgoingRecord, judged: JudgedFault): Promise<DeliveryOutcome> {
    if (!lookupOptions)
      return failed(
        [
          reason(
            'destination_duplicate',
            `${judged.summary}; configure destination.lookup so ferry can compare it`,
          ),
        ],
        false,
      );
    const found = await lookup(record);
    if (found.found && found.matches) return delivered('reconciled: the destination already had this record');
    if (found.found) return holdsDifferent(found, judged.summary);
    return failed(
      [
        reason(
          'destination_duplicate',
          `${judged.summary}, but ${lookupOptions.operation.name} does not find the record`,
        ),
      ],
      false,
    );
  }

  /**
   * The WSDL's schema is the destination's contract for a record's shape: the engine asks before anything
   * is sent, and quarantines what does not fit, one reason per problem at its element path, coded
   * `wsdl_<problem>` (`wsdl_required`) so they group apart from the mapping's own checks.
   */
  function validate(value: unknown): Reason[] {
    return caller.validate(operation, value).map((p) => ({
      ...(p.path ? { field: p.path } : {}),
      code: `wsdl_${p.code}`,
      message: redactSecrets(p.path ? p.message : `${operation.name}'s input ${p.message}`),
    }));
  }

  async function send(record: OutgoingRecord): Promise<DeliveryOutcome> {
    const request = caller.request(operation, record.value, endpoint, record.signal);
    const state: SendState = { record };
    sending.set(request, state);
    let response: HttpResponse;
    try {
      response = await options.send(request);
    } catch (error) {
      if (state.lookedUp?.found) return fromLookup(state.lookedUp);
      const kind = errorKindOf(error);
      if (kind === 'transient' || kind === 'rate_limited') {
        const message = redactSecrets(error instanceof Error ? error.message : String(error));
        const why = !lookupOptions && isAmbiguous(error) ? ' (not resent: no lookup is configured)' : '';
        return failed([reason('destination_unreachable', `${message}${why}`)], false);
      }
      throw error;
    }
    const result = caller.read(operation, response);
    if (result.kind === 'result') {
      if (response.status >= 200 && response.status < 300) return delivered();
      return failed(
        [reason(`destination_${response.status}`, `${where} answered ${response.status} with a result`)],
        false,
      );
    }
    if (result.kind === 'invalid') return notSoap(response, result.message);
    const { judged } = result;
    switch (judged.action) {
      case 'reject':
        return failed([reason('destination_fault', judged.summary), ...fieldReasons(judged)], true);
      case 'dead_letter':
        return failed([reason('destination_fault', judged.summary), ...fieldReasons(judged)], false);
      case 'reconcile':
        return reconcile(record, judged);
      case 'credentials_refused':
        throw credentialsRefused(`sending record ${record.key} to ${where}`, judged);
      case 'fail_run':
        throw new FerryError(
          'FERRY_ERR_ABORTED',
          `sending record ${record.key} to ${where}: ${judged.summary}; every record would fail the same way (fault_rules says fail_run)`,
          { details: { status: response.status, endpoint } },
        );
      default:
        // retry or back_off given back by the retry layer without resending: the lookup found the record,
        // or nothing made a resend safe.
        if (state.lookedUp?.found) return fromLookup(state.lookedUp);
        return failed(
          [
            reason(
              'destination_fault',
              `${judged.summary}${lookupOptions ? '' : ' (not resent: no lookup is configured)'}`,
            ),
          ],
          false,
        );
    }
  }

  function notSoap(response: HttpResponse, message: string): DeliveryOutcome {
    const { status } = response;
    if (status === 401 || status === 403)
      throw new FerryError(
        'FERRY_ERR_HTTP_UNAUTHORIZED',
        `sending to ${where}: ${status}; the destination refused the credentials (check destination.auth and destination.security)`,
        { details: { status, endpoint } },
      );
    if (status === 404 || status === 405)
      throw new FerryError(
        'FERRY_ERR_HTTP_STATUS',
        `sending to ${where}: ${status}; no SOAP service answers there (check destination.endpoint and the WSDL's soap:address)`,
        { details: { status, endpoint } },
      );
    return failed([reason(`destination_${status}`, message)], false);
  }

  /**
   * For `ferry check`: the lookup of an identity that cannot exist, with the run's credentials. An answer,
   * or any fault but a refused credential, proves the service is there and took the token.
   */
  async function probe(): Promise<ProbeResult> {
    if (!lookupOptions) throw new FerryError('FERRY_ERR_INTERNAL', 'probe() needs a lookup');
    const placeholder = `ferry-check-${randomUUID().slice(0, 8)}`;
    const input = fillEveryPlaceholder(lookupOptions.request, placeholder);
    const request = caller.request(lookupOptions.operation, input, `${endpoint}_lookup`);
    lookups.add(request);
    const what = `${lookupOptions.operation.name} at ${redactSecrets(options.url)} (lookup of an identity that does not exist)`;
    const response = await options.send(request);
    const result = caller.read(lookupOptions.operation, response);
    if (result.kind === 'fault') {
      if (result.judged.action === 'credentials_refused')
        return {
          ok: false,
          code: 'FERRY_ERR_HTTP_UNAUTHORIZED',
          detail: `${what}: ${redactSecrets(result.judged.summary)}`,
        };
      return { ok: true, detail: `${what}: answered ${redactSecrets(result.judged.summary)}` };
    }
    if (response.status === 401 || response.status === 403)
      return {
        ok: false,
        code: 'FERRY_ERR_HTTP_UNAUTHORIZED',
        detail: `${what}: credentials refused: ${response.status}`,
      };
    if (result.kind === 'invalid')
      return { ok: false, code: 'FERRY_ERR_HTTP_BAD_RESPONSE', detail: result.message };
    return { ok: true, detail: `${what}: answered ${response.status}` };
  }

  return {
    send,
    validate,
    canResend,
    ...(lookupOptions ? { lookup, probe } : {}),
    close: async () => {},
  };
}

function credentialsRefused(context: string, judged: JudgedFault): FerryError {
  return new FerryError(
    'FERRY_ERR_HTTP_UNAUTHORIZED',
    `${context}: ${redactSecrets(judged.summary)}; check destination.security (the UsernameToken) and destination.auth`,
    { details: { code: judged.detail.code ?? judged.fault.code } },
  );
}

function reason(code: string, message: string): Reason {
  return { code, message: redactSecrets(message) };
}

function fieldReasons(judged: JudgedFault): Reason[] {
  return judged.detail.fieldErrors.map((error) => ({
    ...(error.field ? { field: error.field } : {}),
    code: 'destination_field',
    message: redactSecrets(error.message),
  }));
}

function failed(reasons: [Reason, ...Reason[]], refused: boolean): DeliveryOutcome {
  return { state: 'failed', attempts: 1, reasons, ...(refused ? { refused: true } : {}) };
}

function delivered(note?: string): DeliveryOutcome {
  return { state: 'delivered', attempts: 1, ...(note ? { note } : {}) };
}

function holdsDifferent(found: Found, why: string): DeliveryOutcome {
  const fields = found.differences?.length ? `; it differs in ${found.differences.join(', ')}` : '';
  return failed(
    [
      reason(
        'destination_holds_different',
        `${why}: the destination holds a different record with this key${fields}`,
      ),
    ],
    false,
  );
}

function fromLookup(found: Found): DeliveryOutcome {
  if (found.found && found.matches)
    return delivered('the outcome was unclear; the lookup found it delivered');
  return holdsDifferent(found, 'the outcome was unclear');
}

/** A network-level failure after which the request may or may not have reached the destination. */
function isAmbiguous(error: unknown): boolean {
  const details = (error as { details?: { sent?: unknown } }).details;
  return details?.sent !== false;
}

function at(value: unknown, path: readonly string[]): unknown {
  let current = value;
  for (const step of path) {
    if (current === null || typeof current !== 'object' || Array.isArray(current)) return undefined;
    current = (current as Record<string, unknown>)[step];
  }
  return current;
}

function isEmpty(value: unknown): boolean {
  if (value === undefined || value === null || value === '') return true;
  return typeof value === 'object' && !Array.isArray(value) && Object.keys(value).length === 0;
}

function inputType(operation: SoapOperation): SchemaType {
  return operation.input.kind === 'element' ? operation.input.element.type() : operation.input.type;
}

/** The schema type at a path of element names below `type`; throws when the schema has no such element. */
export function typeAt(type: SchemaType, path: readonly string[]): SchemaType {
  let current = type;
  for (const [index, step] of path.entries()) {
    const element = current.kind === 'complex' ? allowedElements(current.content).get(step) : undefined;
    if (!element)
      throw new FerryError(
        'FERRY_ERR_CONFIG_INVALID',
        `${path.slice(0, index + 1).join('/')} is not an element of the operation's schema (${current.name})`,
        { details: { path: path.join('/') } },
      );
    current = element.decl.type();
  }
  return current;
}
