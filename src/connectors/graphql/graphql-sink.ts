import { randomUUID } from 'node:crypto';
import type {
  DeliveryOutcome,
  LookupResult,
  OutgoingRecord,
  ProbeResult,
  SinkConnector,
} from '../../core/connector-types.ts';
import { errorKindOf, FerryError } from '../../core/errors.ts';
import type { HttpRequest, HttpResponse, ResponseAction, Send } from '../../core/http-types.ts';
import type { Reason } from '../../core/ledger-types.ts';
import { redactSecrets } from '../../core/secret-registry.ts';
import { readPath } from '../../pagination/dot-path.ts';
import { readLookupAnswer } from '../rest/lookup-match.ts';
import {
  decidingClass,
  describeError,
  describeErrors,
  type ErrorClass,
  fieldText,
  type GraphqlAnswer,
  type GraphqlErrorEntry,
  isVariableError,
  variableFieldOf,
  variableOf,
  withoutPrefix,
} from './graphql-errors.ts';
import { actionOfResponse, answerOf, type ClassOf, graphqlRequest, serverSaid } from './graphql-exchange.ts';
import type { GraphqlOperation } from './graphql-operation.ts';

/** How the GraphQL sink finds a record at the destination. */
export interface GraphqlLookupSettings {
  readonly operation: GraphqlOperation;
  /** Variables with `{key}`, `{idempotencyKey}` and `{field}` placeholders. */
  readonly variables: Readonly<Record<string, unknown>>;
  /** Dot path in `data` to the record found, or to a list of candidates. */
  readonly resultPath: string;
  /** Dot paths of mapped fields not compared (`compare: false`). */
  readonly ignoreFields?: readonly string[];
}

/** How the GraphQL sink writes. */
export interface GraphqlSinkSettings {
  readonly url: string;
  /**
   * The composed HTTP stack. Its retry layer asks `canResend` before resending a mutation whose first try
   * may have been applied, unless the idempotency header alone makes it safe.
   */
  readonly send: Send;
  readonly operation: GraphqlOperation;
  readonly valueVariable: string;
  readonly keyVariable?: string | undefined;
  /** Static variables sent with every mutation. */
  readonly variables: Readonly<Record<string, unknown>>;
  /** Dot path in `data` that holds a value when the record was stored. */
  readonly resultPath: string;
  /** Dot path to a list of refusals returned as data (Shopify's `userErrors`). */
  readonly userErrorsPath?: string | undefined;
  /** Header carrying the idempotency key; null for none. */
  readonly idempotencyHeader: string | null;
  readonly lookup?: GraphqlLookupSettings | undefined;
  readonly classOf: ClassOf;
  /** The body reading the stack was given, for responses the stack did not classify. */
  readonly classifyBody: (response: HttpResponse) => ResponseAction | undefined;
  readonly headers?: Readonly<Record<string, string>>;
  /** Names the endpoint in metrics and messages. @default "destination" */
  readonly endpoint?: string;
}

/** The GraphQL sink, plus the hook its HTTP stack's retry layer asks before an unclear resend. */
export interface GraphqlSink extends SinkConnector {
  /** Whether a mutation this sink sent may be resent: only when a lookup says the record is not there. */
  canResend(request: HttpRequest): Promise<boolean>;
}

/** What one send learnt along the way: a lookup made before a resend was refused. */
interface SendState {
  readonly record: OutgoingRecord;
  lookedUp?: LookupResult;
}

/** What an answer says about the record, before any lookup. */
type Verdict =
  | { readonly kind: 'delivered'; readonly note?: string }
  | { readonly kind: 'refused'; readonly reasons: readonly [Reason, ...Reason[]] }
  | { readonly kind: 'conflict'; readonly reasons: readonly [Reason, ...Reason[]] }
  | { readonly kind: 'unclear'; readonly reasons: readonly [Reason, ...Reason[]] };

/**
 * A sink that sends each record through one GraphQL mutation, the mapped value in one variable, and reads
 * what became of it from the body: a value at the result path is delivered; errors are classified by
 * their codes (refused input fails the record as refused with its fields; a conflict is looked up and
 * compared; passing failures were retried by the stack); an answer that does not say leaves the record
 * failed, not refused, so it is looked up before anything is sent again.
 */
export function createGraphqlSink(settings: GraphqlSinkSettings): GraphqlSink {
  const endpoint = settings.endpoint ?? 'destination';
  const lookupSettings = settings.lookup;
  const ignore = new Set(lookupSettings?.ignoreFields ?? []);
  // Top-level fields the lookup filters by identify a record among a list's items.
  const identityFields = lookupSettings
    ? [...new Set(placeholders(lookupSettings.variables))].filter(
        (name) => name !== 'key' && name !== 'idempotencyKey' && !name.includes('.'),
      )
    : [];
  const sending = new WeakMap<HttpRequest, SendState>();
  const headers = settings.headers ?? {};

  /** The sink's reading of an error: a variable error about anything but the record's value is the config's fault. */
  const classOf: ClassOf = (error, answer) => {
    const errorClass = settings.classOf(error, answer);
    if (errorClass === 'refused' && isVariableError(error) && variableOf(error) !== settings.valueVariable) {
      return 'invalid';
    }
    return errorClass;
  };

  function requestFor(record: OutgoingRecord): HttpRequest {
    const variables: Record<string, unknown> = {
      ...settings.variables,
      [settings.valueVariable]: record.value,
      ...(settings.keyVariable === undefined ? {} : { [settings.keyVariable]: record.idempotencyKey }),
    };
    return graphqlRequest({
      url: settings.url,
      operation: settings.operation,
      variables,
      headers: settings.idempotencyHeader
        ? { ...headers, [settings.idempotencyHeader.toLowerCase()]: record.idempotencyKey }
        : headers,
      endpoint,
      signal: record.signal,
    });
  }

  async function lookup(record: OutgoingRecord): Promise<LookupResult> {
    if (!lookupSettings) return { found: false };
    const sent = asObject(record.value);
    const context = `looking up record ${record.key} at ${redactSecrets(settings.url)}`;
    const response = await settings.send(
      graphqlRequest({
        url: settings.url,
        operation: lookupSettings.operation,
        variables: fillTemplate(lookupSettings.variables, placeholderValues(record, sent)) as Record<
          string,
          unknown
        >,
        headers,
        endpoint: `${endpoint}_lookup`,
        signal: record.signal,
      }),
    );
    const action = actionOfResponse(response, settings.classifyBody);
    const answer = answerOf(response);
    if (answer && answer.errors.length > 0) {
      const errorClass = decidingClass(answer.errors.map((error) => classOf(error, answer)));
      if (errorClass === 'invalid')
        throw invalid(`${context}: the API refused the lookup query`, response, 'destination.lookup');
      const found = answer.hasData ? readPath(answer.data, lookupSettings.resultPath) : undefined;
      if (!found?.found || found.value === null) {
        // The lookup itself failed: whether the record is there is unknown, so nothing may be resent.
        throw new FerryError('FERRY_ERR_HTTP_TRANSIENT', `${context}: ${describeErrors(answer.errors)}`, {
          details: { status: response.status, endpoint },
        });
      }
    }
    if ((action.type !== 'success' && action.type !== 'ignore') || !answer) {
      throw new FerryError(
        'FERRY_ERR_HTTP_TRANSIENT',
        `${context}: unexpected answer (${response.status}): ${serverSaid(response)}`,
        { details: { status: response.status, endpoint } },
      );
    }
    const found = readPath(answer.data, lookupSettings.resultPath);
    if (!found.found) {
      // Every record would be looked up the same way: a configuration problem, not this record's.
      throw new FerryError(
        'FERRY_ERR_CONFIG_INVALID',
        `${context}: the answer has no data.${lookupSettings.resultPath} (lookup.result_path); select it in the lookup query`,
        { details: { field: 'destination.lookup.result_path' } },
      );
    }
    if (found.value === null) return { found: false };
    const result = readLookupAnswer(sent, found.value, { recordsPath: '', identityFields, ignore });
    if ('invalid' in result) {
      throw new FerryError(
        'FERRY_ERR_CONFIG_INVALID',
        `${context}: ${result.invalid}; check destination.lookup`,
        {
          details: { field: 'destination.lookup.result_path' },
        },
      );
    }
    return result;
  }

  async function canResend(request: HttpRequest): Promise<boolean> {
    const state = sending.get(request);
    if (!state || !lookupSettings) return false;
    state.lookedUp = await lookup(state.record);
    return !state.lookedUp.found;
  }

  /** The API says the record exists: delivered when what it holds is what was sent. */
  async function settleConflict(
    record: OutgoingRecord,
    reasons: readonly [Reason, ...Reason[]],
  ): Promise<DeliveryOutcome> {
    if (!lookupSettings) {
      return failed([
        {
          ...reasons[0],
          message: `${reasons[0].message}; configure destination.lookup so ferry can compare`,
        },
        ...reasons.slice(1),
      ]);
    }
    const found = await lookup(record);
    if (found.found && found.matches) return delivered('reconciled: the destination already had this record');
    if (found.found) return holdsDifferent('the destination reports a conflict and holds a different record');
    return failed([
      { ...reasons[0], message: `${reasons[0].message}; the lookup does not find the record` },
      ...reasons.slice(1),
    ]);
  }

  /** What an answer the stack let through says about the record. */
  function verdictOf(response: HttpResponse, action: ResponseAction, record: OutgoingRecord): Verdict {
    const context = `sending record ${record.key} to ${redactSecrets(settings.url)}`;
    if (action.type === 'refresh_auth') {
      throw new FerryError(
        'FERRY_ERR_HTTP_UNAUTHORIZED',
        `${context}: credentials refused even after refreshing them (${response.status}): ${serverSaid(response)}`,
        { details: { status: response.status, endpoint } },
      );
    }
    const answer = answerOf(response);
    const succeeded = action.type === 'success' || action.type === 'ignore';
    if (!answer) {
      if (succeeded && response.status >= 200 && response.status < 300) {
        return unclear(
          'graphql_bad_response',
          `${response.status} from the destination, but not a GraphQL response: ${serverSaid(response)}`,
        );
      }
      return statusVerdict(response, action, context);
    }
    const result = answer.hasData ? readPath(answer.data, settings.resultPath) : undefined;
    const stored = result?.found === true && result.value !== null && result.value !== undefined;
    const userErrors = settings.userErrorsPath && answer.hasData ? userErrorsIn(answer) : [];
    if (userErrors.length > 0 && !stored) {
      const classes = userErrors.map((error) => classOf(error, answer));
      const reasons = reasonsFor(userErrors, 'graphql_user_error', 'the destination refused the record');
      return classes.includes('conflict') ? { kind: 'conflict', reasons } : { kind: 'refused', reasons };
    }
    if (stored && succeeded) {
      return answer.errors.length > 0
        ? {
            kind: 'delivered',
            note: `stored, with errors elsewhere in the answer: ${describeErrors(answer.errors)}`,
          }
        : { kind: 'delivered' };
    }
    if (answer.errors.length === 0) {
      if (!succeeded) return statusVerdict(response, action, context);
      return unclear(
        'graphql_no_result',
        `${response.status} from the destination without errors, but data.${settings.resultPath} is ${
          result?.found ? 'null' : 'missing'
        } (result_path)`,
      );
    }
    const errorClass = decidingClass(answer.errors.map((error) => classOf(error, answer)));
    return classVerdict(errorClass, answer, response, context);
  }

  function classVerdict(
    errorClass: ErrorClass,
    answer: GraphqlAnswer,
    response: HttpResponse,
    context: string,
  ): Verdict {
    switch (errorClass) {
      case 'invalid':
        throw invalid(`${context}: the API refused the mutation`, response, 'destination.mutation');
      case 'forbidden':
        throw new FerryError(
          'FERRY_ERR_GRAPHQL_ERRORS',
          `${context}: access denied: ${describeErrors(answer.errors)}`,
          {
            details: { status: response.status, endpoint },
          },
        );
      case 'refresh_auth':
        throw new FerryError(
          'FERRY_ERR_HTTP_UNAUTHORIZED',
          `${context}: credentials refused even after refreshing them: ${describeErrors(answer.errors)}`,
          { details: { status: response.status, endpoint } },
        );
      case 'refused':
        return {
          kind: 'refused',
          reasons: reasonsFor(answer.errors, undefined, 'the destination refused the record'),
        };
      case 'conflict':
        return {
          kind: 'conflict',
          reasons: reasonsFor(answer.errors, undefined, 'the destination holds this record already'),
        };
      default:
        return { kind: 'unclear', reasons: reasonsFor(answer.errors, undefined, 'the destination failed') };
    }
  }

  /** A response without a GraphQL body: judged by its status, as the REST sink does. */
  function statusVerdict(response: HttpResponse, action: ResponseAction, context: string): Verdict {
    const { status } = response;
    if (status === 404 || status === 405 || status === 403) {
      throw new FerryError(
        'FERRY_ERR_HTTP_STATUS',
        `${context}: ${status}: ${serverSaid(response)}; check destination.url and its permissions`,
        { details: { status, endpoint } },
      );
    }
    const reason: Reason = {
      code: `destination_${status}`,
      message: `${status} from the destination: ${serverSaid(response)}`,
    };
    if (action.type === 'conflict') return { kind: 'conflict', reasons: [reason] };
    const refused = status >= 400 && status < 500 && status !== 408 && status !== 409 && status !== 429;
    return refused ? { kind: 'refused', reasons: [reason] } : { kind: 'unclear', reasons: [reason] };
  }

  function userErrorsIn(answer: GraphqlAnswer): GraphqlErrorEntry[] {
    const found = readPath(answer.data, settings.userErrorsPath!);
    if (!found.found || !Array.isArray(found.value)) return [];
    return found.value.map((entry: unknown) => {
      const raw = entry !== null && typeof entry === 'object' ? (entry as Record<string, unknown>) : {};
      const code = typeof raw.code === 'string' && raw.code !== '' ? raw.code : undefined;
      return {
        message: typeof raw.message === 'string' ? raw.message : '(a user error without a message)',
        ...(code ? { code } : {}),
        extensions: { field: raw.field },
      };
    });
  }

  /** The main reason, then one per error that names a field of the record. */
  function reasonsFor(
    errors: readonly GraphqlErrorEntry[],
    code: string | undefined,
    what: string,
  ): [Reason, ...Reason[]] {
    const codes = new Set(errors.map((error) => error.code));
    const only = codes.size === 1 ? [...codes][0] : undefined;
    const main: Reason = {
      code: code ?? (only ? `graphql_${only.toLowerCase().replace(/[^a-z0-9]+/g, '_')}` : 'graphql_error'),
      message: `${what}: ${describeErrors(errors)}`,
    };
    const fields = errors.slice(0, 20).flatMap((error): Reason[] => {
      const field = fieldOf(error);
      return field ? [{ field, code: 'destination_field', message: describeError(error) }] : [];
    });
    return [main, ...fields];
  }

  function fieldOf(error: GraphqlErrorEntry): string | undefined {
    if (isVariableError(error)) {
      const field = variableFieldOf(error, settings.valueVariable);
      return field === '' ? undefined : field;
    }
    const text = fieldText(error.extensions?.field);
    if (text === undefined) return undefined;
    return withoutPrefix(text, settings.valueVariable) || undefined;
  }

  async function send(record: OutgoingRecord): Promise<DeliveryOutcome> {
    const request = requestFor(record);
    const state: SendState = { record };
    sending.set(request, state);
    let response: HttpResponse;
    try {
      response = await settings.send(request);
    } catch (error) {
      if (state.lookedUp?.found) return fromLookup(state.lookedUp);
      const kind = errorKindOf(error);
      if (kind === 'transient' || kind === 'rate_limited') {
        const message = redactSecrets(error instanceof Error ? error.message : String(error));
        const why =
          !settings.idempotencyHeader && !lookupSettings ? ' (not resent: no idempotency key or lookup)' : '';
        return failed([{ code: 'destination_unreachable', message: `${message}${why}` }]);
      }
      throw error;
    }
    const action = actionOfResponse(response, settings.classifyBody);
    // The stack gave a passing failure back without resending: a lookup found the record, or nothing made
    // a resend safe.
    if (state.lookedUp?.found && (action.type === 'retry' || action.type === 'rate_limited')) {
      return fromLookup(state.lookedUp);
    }
    const verdict = verdictOf(response, action, record);
    switch (verdict.kind) {
      case 'delivered':
        return delivered(verdict.note);
      case 'refused':
        return { state: 'failed', attempts: 1, reasons: verdict.reasons, refused: true };
      case 'conflict':
        return settleConflict(record, verdict.reasons);
      case 'unclear':
        return failed(verdict.reasons);
    }
  }

  /**
   * Something harmless with the run's credentials: the lookup of a key that cannot exist when one is
   * configured (it also proves the API accepts the lookup query), else `{ __typename }`, which every
   * GraphQL server answers.
   */
  async function probe(): Promise<ProbeResult> {
    const key = `ferry-check-${randomUUID()}`;
    const operation = lookupSettings?.operation ?? TYPENAME_QUERY;
    // Every placeholder gets the same key that cannot exist.
    const variables = lookupSettings ? fillTemplate(lookupSettings.variables, () => key) : {};
    const what = `POST ${redactSecrets(settings.url)} (${lookupSettings ? 'lookup of a key that does not exist' : '{ __typename }'})`;
    const response = await settings.send(
      graphqlRequest({
        url: settings.url,
        operation,
        variables: variables as Record<string, unknown>,
        headers,
        endpoint: lookupSettings ? `${endpoint}_lookup` : endpoint,
      }),
    );
    const action = actionOfResponse(response, settings.classifyBody);
    const answer = answerOf(response);
    const errorClass =
      answer && answer.errors.length > 0
        ? decidingClass(answer.errors.map((e) => classOf(e, answer)))
        : undefined;
    const said = `${response.status}: ${serverSaid(response)}`;
    if (
      response.status === 401 ||
      response.status === 403 ||
      errorClass === 'refresh_auth' ||
      errorClass === 'forbidden'
    ) {
      return {
        ok: false,
        code: 'FERRY_ERR_HTTP_UNAUTHORIZED',
        detail: `${what}: credentials refused: ${said}`,
      };
    }
    if (errorClass === 'invalid') {
      return {
        ok: false,
        code: 'FERRY_ERR_GRAPHQL_INVALID',
        detail: `${what}: the API refuses the query: ${said}`,
      };
    }
    if (response.status >= 500 || action.type === 'retry' || action.type === 'rate_limited') {
      return { ok: false, code: 'FERRY_ERR_HTTP_TRANSIENT', detail: `${what}: ${said}` };
    }
    if (!answer)
      return {
        ok: false,
        code: 'FERRY_ERR_HTTP_BAD_RESPONSE',
        detail: `${what}: not a GraphQL response: ${said}`,
      };
    return {
      ok: true,
      detail: `${what}: answered ${response.status}${answer.errors.length > 0 ? ` with errors: ${describeErrors(answer.errors)}` : ''}`,
    };
  }

  return {
    send,
    canResend,
    probe,
    ...(lookupSettings ? { lookup } : {}),
    close: async () => {},
  };
}

const TYPENAME_QUERY: GraphqlOperation = {
  text: 'query FerryCheck { __typename }',
  kind: 'query',
  variables: new Map(),
  rootFields: ['__typename'],
};

function invalid(message: string, response: HttpResponse, option: string): FerryError {
  return new FerryError(
    'FERRY_ERR_GRAPHQL_INVALID',
    `${message} (${response.status}): ${serverSaid(response)}; check ${option} and its variables against the API's schema`,
    { details: { status: response.status, field: option } },
  );
}

function unclear(code: string, message: string): Verdict {
  return { kind: 'unclear', reasons: [{ code, message }] };
}

function delivered(note?: string): DeliveryOutcome {
  return { state: 'delivered', attempts: 1, ...(note ? { note } : {}) };
}

function failed(reasons: readonly [Reason, ...Reason[]]): DeliveryOutcome {
  return { state: 'failed', attempts: 1, reasons };
}

function holdsDifferent(message: string): DeliveryOutcome {
  return failed([{ code: 'destination_holds_different', message }]);
}

function fromLookup(found: LookupResult & { found: true }): DeliveryOutcome {
  if (found.matches) return delivered('the outcome was unclear; the lookup found it delivered');
  return holdsDifferent('the outcome was unclear and the lookup found a different record with this key');
}

function asObject(value: unknown): Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : {};
}

/** The `{name}` placeholders in a template's strings. */
function placeholders(template: unknown): string[] {
  if (typeof template === 'string') return [...template.matchAll(PLACEHOLDER)].map((match) => match[1]!);
  if (Array.isArray(template)) return template.flatMap(placeholders);
  if (template !== null && typeof template === 'object') return Object.values(template).flatMap(placeholders);
  return [];
}

const PLACEHOLDER = /\{([A-Za-z0-9_.-]+)\}/g;
const WHOLE_PLACEHOLDER = /^\{([A-Za-z0-9_.-]+)\}$/;

/** What `{key}`, `{idempotencyKey}` and `{field.path}` stand for with one record. */
function placeholderValues(
  record: OutgoingRecord,
  value: Record<string, unknown>,
): (name: string) => unknown {
  return (name) => {
    if (name === 'key') return record.key;
    if (name === 'idempotencyKey') return record.idempotencyKey;
    const found = readPath(value, name);
    return found.found ? found.value : null;
  };
}

/**
 * Fills a lookup's variables: a string that is one placeholder takes the value itself (a number stays a
 * number); placeholders inside text are replaced by their text.
 */
export function fillTemplate(template: unknown, resolve: (name: string) => unknown): unknown {
  if (typeof template === 'string') {
    const whole = WHOLE_PLACEHOLDER.exec(template);
    if (whole) return resolve(whole[1]!);
    return template.replace(PLACEHOLDER, (_, name: string) => {
      const found = resolve(name);
      return found === null || found === undefined
        ? ''
        : typeof found === 'object'
          ? JSON.stringify(found)
          : String(found);
    });
  }
  if (Array.isArray(template)) return template.map((item) => fillTemplate(item, resolve));
  if (template !== null && typeof template === 'object') {
    return Object.fromEntries(
      Object.entries(template).map(([name, item]) => [name, fillTemplate(item, resolve)]),
    );
  }
  return template;
}
