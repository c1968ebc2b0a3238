import { originOf } from '../../auth/origin.ts';
import { sourceHttp } from '../../config/http-options.ts';
import { FerryError } from '../../core/errors.ts';
import { registerSecret } from '../../core/secret-registry.ts';
import { defineSource } from '../spec.ts';
import { soapFaultClassifier } from './fault-rules.ts';
import { checkInsecure, loadWsdl } from './load-wsdl.ts';
import { pathSteps, wsdlOption } from './sink-options.ts';
import { choose, endpointUrl } from './sink-spec.ts';
import { createSoapCaller } from './soap-call.ts';
import { typeAt } from './soap-sink.ts';
import { createSoapSource, type SoapPaging } from './soap-source.ts';
import { soapSourceOptions } from './source-options.ts';
import type { SoapOperation } from './wsdl-model.ts';

const ENDPOINT = 'source';

/** `type: soap` as a source: a list operation called page after page. */
export const soapSource = defineSource({
  type: 'soap',
  options: soapSourceOptions,
  docs: {
    title: 'SOAP source',
    summary: 'Reads records from a SOAP list operation, paged by page number, offset or continuation token.',
    description: `Reads the WSDL and calls \`operation\` with \`request\` (the operation's input as a plain object,
docs/xml.md), page after page: \`{page}\`, \`{offset}\` or \`{token}\` in the request are filled in by the
\`pagination\`. The records are the elements at \`records_path\` in each answer, read by the schema (repeated
elements are lists, numbers and booleans typed, dates kept as text). The checkpoint is the next page number,
offset or token, so an interrupted run resumes at the first page not settled.

Faults are read and judged by \`fault_rules\` as for the SOAP destination: Server/Receiver faults and 5xx are
retried; any other fault stops the read with a message naming the page and the fault
(\`credentials_refused\` with exit 3). Answers are parsed without DTDs or entities, within limits; an HTML page
or a wrong namespace stops the read with a message naming the endpoint and what was expected.`,
    example: `source:
  type: soap
  wsdl: ./schemas/customer-service.wsdl
  endpoint: \${CRM_URL}
  operation: ListCustomers
  request: { Page: "{page}", PageSize: 200 }
  records_path: Customers/Customer
  total_path: Total
  pagination: { type: page_number, start: 1 }
  security:
    username_token: { username: \${CRM_USERNAME}, password: \${CRM_PASSWORD} }`,
  },
  async create(options, context) {
    const token = options.security.username_token;
    registerSecret(token?.password);
    const http = sourceHttp(options);
    if (options.endpoint !== undefined) checkInsecure(options.endpoint, 'source.endpoint', context);
    const model = await loadWsdl(wsdlOption(options, 'source'), 'source.wsdl', context, {
      auth: http.auth,
      retry: http.retry,
      timeouts: http.timeouts,
      tls: http.tls,
      origins: options.endpoint === undefined ? [] : [originOf(options.endpoint)],
    });
    const operation = choose(model, options, options.operation, 'source.operation');
    const url = endpointUrl(options.endpoint, operation, context);
    checkOutputPaths(operation, {
      'source.records_path': options.records_path,
      ...(options.total_path ? { 'source.total_path': options.total_path } : {}),
      ...(options.pagination.type === 'token'
        ? { 'source.pagination.token_path': options.pagination.token_path }
        : {}),
    });
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
      idempotencyKeyHeader: null,
      classifyBody: soapFaultClassifier(operation.version, options.fault_rules, faultDetail),
      // A list operation only reads: resending it after an unclear failure is always safe.
      canResend: () => async () => true,
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
      faultRules: options.fault_rules,
      faultDetail,
    });
    const pagination = options.pagination;
    const paging: SoapPaging =
      pagination.type === 'token'
        ? { type: 'token', tokenPath: pathSteps(pagination.token_path) }
        : pagination;
    return createSoapSource({
      operation,
      caller,
      send: stack.send,
      url,
      request: options.request,
      recordsPath: pathSteps(options.records_path),
      ...(options.total_path ? { totalPath: pathSteps(options.total_path) } : {}),
      paging,
      endpoint: ENDPOINT,
    });
  },
});

/** Each path must name elements of the operation's output, so a typo fails before the first call. */
function checkOutputPaths(operation: SoapOperation, paths: Record<string, string>) {
  const output =
    operation.output.kind === 'element' ? operation.output.element.type() : operation.output.type;
  for (const [option, path] of Object.entries(paths)) {
    try {
      typeAt(output, pathSteps(path));
    } catch (error) {
      throw new FerryError(
        'FERRY_ERR_CONFIG_INVALID',
        `${option}: ${(error as Error).message} of ${operation.name}'s output`,
        {
          details: { option },
        },
      );
    }
  }
}
