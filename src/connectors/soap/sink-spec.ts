import { originOf } from '../../auth/origin.ts';
import { sinkHttp } from '../../config/http-options.ts';
import { lookupBeforeSend } from '../../config/refuses-duplicates-schema.ts';
import { FerryError } from '../../core/errors.ts';
import { registerSecret } from '../../core/secret-registry.ts';
import { type ConnectorContext, defineSink } from '../spec.ts';
import { soapFaultClassifier } from './fault-rules.ts';
import { checkInsecure, loadWsdl } from './load-wsdl.ts';
import { selectOperation, WsdlError } from './read-wsdl.ts';
import { pathSteps, type SoapSinkConfig, soapSinkOptions, wsdlOption } from './sink-options.ts';
import { createSoapCaller } from './soap-call.ts';
import { createSoapSink, type SoapSink, typeAt } from './soap-sink.ts';
import { templatePaths } from './template.ts';
import { checkMappingAgainstOperation } from './validate-against-wsdl.ts';
import type { SoapOperation, WsdlModel } from './wsdl-model.ts';

const ENDPOINT = 'destination';

/** `type: soap` as a destination: one operation call per record, validated against the WSDL first. */
export const soapSink = defineSink({
  type: 'soap',
  options: soapSinkOptions,
  docs: {
    title: 'SOAP destination',
    summary: 'Calls a SOAP operation per record, driven by the WSDL: validated, exactly once via a lookup.',
    description: `Reads the WSDL (a URL, \`?wsdl\`, or a file) and its schemas, and calls \`operation\` once per
record: the mapped value is the operation's input as a plain object (docs/xml.md), written with the envelope,
SOAPAction, namespaces and element order the WSDL gives; SOAP 1.1 and 1.2, document/literal wrapped or bare, and
rpc/literal.

Before anything is sent, the value is checked against the schema (required elements, unknown elements,
occurrences, patterns, lengths, enumerations, ranges, xs:dateTime, xs:decimal, xs:int...). A record that does
not fit is **quarantined**, never marked in flight nor sent, with one reason per problem, its element path
as field and a code \`wsdl_<problem>\` (\`Order/Customer/Email: is required\`, \`wsdl_required\`). A dry run
counts it among the records it would quarantine; it is replayed after the mapping or the data is fixed.

Faults (1.1 and 1.2) are read into code, reason and detail, with the service's own code and field errors taken
from the detail (\`fault_detail\`). \`fault_rules\` says what each code means: \`reject\` (failed, refused, with
the field errors), \`dead_letter\`, \`retry\` (resent with backoff once the lookup says it is not stored),
\`back_off\` (nothing stored; resent after a wait, like a 429), \`reconcile\` (the record exists: the lookup
compares), \`credentials_refused\` (the run stops, exit 3) and \`fail_run\`. HTTP 503 with Retry-After, 429,
timeouts and resets are handled by the HTTP stack as for REST.

Without an idempotency key, \`lookup\` keeps the exactly-once promise: before resending anything that may have
arrived (a crash, a reset after the service stored it, a 5xx, a duplicate fault), ferry calls the lookup
operation; found and equal (compared in the schema's terms, \`compare: false\` fields left out) is delivered,
found and different fails naming the differing elements, not found is sent.

\`security.username_token\` adds a WS-Security UsernameToken (PasswordText, or PasswordDigest with a fresh nonce
and time on every attempt); the HTTP \`auth\` and \`tls\` options (client certificates included) apply as well.
Credentials only go to the endpoint's origin; the WSDL is fetched without them unless it is on that origin.
Responses are parsed without DTDs or entities and within size and depth limits; an HTML page, a truncated
document or a wrong namespace fails the record with a message naming the endpoint and what was expected.`,
    example: `destination:
  type: soap
  endpoint: \${ERP_URL} # the WSDL is read from \${ERP_URL}?wsdl
  operation: CreateOrder
  security:
    username_token:
      username: \${ERP_USERNAME}
      password: \${ERP_PASSWORD}
      password_type: digest
  lookup:
    operation: GetOrder
    request: { OrderNumber: "{Order.OrderNumber}" }
    result_path: Order
  fault_rules:
    - { code: VALIDATION_FAILED, action: reject }
    - { code: DUPLICATE_ORDER, action: reconcile }
    - { code: AUTHENTICATION_FAILED, action: credentials_refused }
    - { code: SERVICE_BUSY, action: back_off }
    - { code: INTERNAL_ERROR, action: retry }
  fault_detail: { code: OrderFault/Code, field_errors: OrderFault/FieldError }
  concurrency: 8`,
  },
  async checkMapping(options, mapping, context) {
    registerSecret(options.security.username_token?.password);
    const model = await loadSinkWsdl(options, context);
    return checkMappingAgainstOperation(
      choose(model, options, options.operation, 'destination.operation'),
      mapping,
    );
  },
  async create(options, context) {
    const token = options.security.username_token;
    registerSecret(token?.password);
    const http = sinkHttp(options, context.concurrency);
    const model = await loadSinkWsdl(options, context);
    const operation = choose(model, options, options.operation, 'destination.operation');
    const lookupOperation = options.lookup
      ? choose(model, options, options.lookup.operation, 'destination.lookup.operation')
      : undefined;
    const url = endpointUrl(options.endpoint, operation, context);
    checkLookup(options, operation, lookupOperation);

    let sink: SoapSink | undefined;
    const rules = options.fault_rules;
    const faultDetail = {
      code: options.fault_detail.code,
      fieldErrors: options.fault_detail.field_errors,
      field: options.fault_detail.field,
      message: options.fault_detail.message,
    };
    const stack = context.http({
      ...http,
      endpoint: ENDPOINT,
      origins: [originOf(url)],
      // No header makes a SOAP write safe to resend: every unsure resend asks the sink, which looks it up.
      idempotencyKeyHeader: null,
      classifyBody: soapFaultClassifier(operation.version, rules, faultDetail),
      canResend: () => sink?.canResend,
      circuitBreaker: {
        ...http.circuitBreaker,
        // Lookups answer while writes fail (a read replica, an outage of writes): only sends close the breaker.
        provesRecovery: (request) => request.endpoint === ENDPOINT,
      },
      // Lookups answer far sooner than writes: only the writes' round trips tell the destination's latency.
      concurrencyMeasures: (request) => request.endpoint === ENDPOINT,
    });
    const caller = createSoapCaller({
      url,
      headers: options.headers,
      ...(token
        ? {
            usernameToken: {
              username: token.username,
              password: token.password,
              passwordType: token.password_type,
              mustUnderstand: token.must_understand,
            },
          }
        : {}),
      faultRules: rules,
      faultDetail,
    });
    sink = createSoapSink({
      operation,
      caller,
      send: stack.send,
      url,
      endpoint: ENDPOINT,
      ...(options.lookup && lookupOperation
        ? {
            lookup: {
              operation: lookupOperation,
              request: options.lookup.request,
              resultPath: pathSteps(options.lookup.result_path),
              comparePath: pathSteps(options.lookup.compare_path ?? options.lookup.result_path),
              ignoreFields: context.ignoreFields,
            },
          }
        : {}),
    });
    return {
      ...sink,
      prepare: stack.prepare,
      ...(stack.concurrency ? { concurrency: stack.concurrency } : {}),
      ...(options.lookup
        ? { lookupBeforeSend: lookupBeforeSend(options.lookup.before_send, options.refuses_duplicates) }
        : {}),
    };
  },
});

/**
 * Reads the destination's WSDL with its HTTP options. The WSDL gets credentials only from the endpoint's
 * own origin; without an endpoint option the endpoint is known only once the WSDL is read, so the WSDL is
 * fetched without any.
 */
function loadSinkWsdl(options: SoapSinkConfig, context: ConnectorContext): Promise<WsdlModel> {
  const http = sinkHttp(options);
  if (options.endpoint !== undefined) checkInsecure(options.endpoint, 'destination.endpoint', context);
  return loadWsdl(wsdlOption(options, 'destination'), 'destination.wsdl', context, {
    auth: http.auth,
    retry: http.retry,
    timeouts: http.timeouts,
    tls: http.tls,
    origins: options.endpoint === undefined ? [] : [originOf(options.endpoint)],
  });
}

/** One operation of the WSDL by the options' service and port; a wrong name is a config error. */
export function choose(
  model: WsdlModel,
  options: { service?: string | undefined; port?: string | undefined },
  name: string,
  option: string,
): SoapOperation {
  try {
    return selectOperation(model, { service: options.service, port: options.port, operation: name });
  } catch (error) {
    if (error instanceof WsdlError)
      throw new FerryError('FERRY_ERR_CONFIG_INVALID', `${option}: ${error.message}`, {
        details: { option },
      });
    throw error;
  }
}

/** The URL requests go to: the endpoint option, else the WSDL's soap:address. */
export function endpointUrl(
  endpoint: string | undefined,
  operation: SoapOperation,
  context: ConnectorContext,
): string {
  const url = endpoint ?? operation.address;
  const parsed = url === undefined ? null : URL.parse(url);
  if (url === undefined || !parsed || (parsed.protocol !== 'http:' && parsed.protocol !== 'https:'))
    throw new FerryError(
      'FERRY_ERR_CONFIG_INVALID',
      `the port ${operation.port} has no http(s) soap:address${url ? ` ("${url}")` : ''}; set endpoint:`,
      { details: { option: 'endpoint' } },
    );
  checkInsecure(url, endpoint === undefined ? "the WSDL's soap:address" : 'endpoint', context);
  return url;
}

function checkLookup(options: SoapSinkConfig, operation: SoapOperation, lookup: SoapOperation | undefined) {
  if (!options.lookup || !lookup) return;
  const input = operation.input.kind === 'element' ? operation.input.element.type() : operation.input.type;
  const output = lookup.output.kind === 'element' ? lookup.output.element.type() : lookup.output.type;
  const comparePath = pathSteps(options.lookup.compare_path ?? options.lookup.result_path);
  try {
    typeAt(input, comparePath);
    typeAt(output, pathSteps(options.lookup.result_path));
  } catch (error) {
    throw new FerryError('FERRY_ERR_CONFIG_INVALID', `destination.lookup: ${(error as Error).message}`, {
      details: { option: 'destination.lookup' },
    });
  }
  for (const path of templatePaths(options.lookup.request)) {
    if (path === 'key') continue;
    try {
      typeAt(input, path.split('.'));
    } catch {
      throw new FerryError(
        'FERRY_ERR_CONFIG_INVALID',
        `destination.lookup.request: {${path}} is not an element of ${operation.name}'s input`,
        { details: { option: 'destination.lookup.request' } },
      );
    }
  }
}
