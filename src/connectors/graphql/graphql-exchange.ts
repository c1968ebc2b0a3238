import { FerryError } from '../../core/errors.ts';
import type { HttpRequest, HttpResponse, ResponseAction } from '../../core/http-types.ts';
import { redactSecrets } from '../../core/secret-registry.ts';
import { bodySnippet } from '../../http/body-snippet.ts';
import { classify } from '../../http/classify.ts';
import { readJson } from '../../http/read-json.ts';
import {
  actionFor,
  decidingClass,
  describeErrors,
  type ErrorClass,
  type GraphqlAnswer,
  type GraphqlErrorEntry,
  readGraphqlAnswer,
} from './graphql-errors.ts';
import type { GraphqlOperation } from './graphql-operation.ts';

/**
 * GraphQL over HTTP's media type first, the legacy one as a fallback: a server that knows the new one then
 * answers a request it refuses with a 4xx instead of a 200.
 */
export const GRAPHQL_ACCEPT = 'application/graphql-response+json, application/json;q=0.9';

/** One POST of an operation with its variables. */
export function graphqlRequest(options: {
  readonly url: string;
  readonly operation: GraphqlOperation;
  readonly variables: Readonly<Record<string, unknown>>;
  readonly headers: Readonly<Record<string, string>>;
  readonly endpoint: string;
  readonly signal?: AbortSignal | undefined;
}): HttpRequest {
  const { operation } = options;
  return {
    method: 'POST',
    url: options.url,
    headers: { 'content-type': 'application/json', accept: GRAPHQL_ACCEPT, ...options.headers },
    body: JSON.stringify({
      query: operation.text,
      ...(operation.operationName === undefined ? {} : { operationName: operation.operationName }),
      variables: options.variables,
    }),
    endpoint: options.endpoint,
    ...(options.signal ? { signal: options.signal } : {}),
  };
}

/** A body read as a GraphQL response, or what is wrong with it (without saying where: callers do). */
type Parsed = GraphqlAnswer | { readonly problem: string };

// The stack's classify layer and the connector both read a body: parse each body once.
const parsed = new WeakMap<Buffer, Parsed>();

function parse(response: HttpResponse): Parsed {
  const cached = parsed.get(response.body);
  if (cached !== undefined) return cached;
  let result: Parsed;
  try {
    const answer = readGraphqlAnswer(readJson(response));
    result = typeof answer === 'string' ? { problem: answer } : answer;
  } catch (error) {
    const problem = (error as { details?: { problem?: unknown } }).details?.problem;
    result = { problem: typeof problem === 'string' ? problem : String(error) };
  }
  parsed.set(response.body, result);
  return result;
}

/** The body as a GraphQL response, or undefined when it is not one. */
export function answerOf(response: HttpResponse): GraphqlAnswer | undefined {
  const result = parse(response);
  return 'problem' in result ? undefined : result;
}

/**
 * The body as a GraphQL response; a FERRY_ERR_HTTP_BAD_RESPONSE (transient: a proxy's error page, a
 * truncated body) naming `context` when it is not one.
 */
export function requireAnswer(response: HttpResponse, context: string): GraphqlAnswer {
  const result = parse(response);
  if (!('problem' in result)) return result;
  const url = redactSecrets(response.url);
  throw new FerryError('FERRY_ERR_HTTP_BAD_RESPONSE', `${context} ${url}: ${result.problem}`, {
    details: { url, status: response.status, problem: result.problem },
  });
}

/** Classifies one GraphQL error (see createErrorClassifier). */
export type ClassOf = (error: GraphqlErrorEntry, answer: { readonly hasData: boolean }) => ErrorClass;

/**
 * The `classifyBody` a connector gives ferry's HTTP stack: a 2xx whose operation failed as a whole
 * (`failedWhole` says when: no data, or the part the connector needs is null) is classified by its
 * errors' codes, so the stack retries, waits, refreshes credentials or gives up as for a status. Other
 * responses are left to the status defaults.
 */
export function graphqlBodyClassifier(
  classOf: ClassOf,
  failedWhole: (answer: GraphqlAnswer) => boolean,
): (response: HttpResponse) => ResponseAction | undefined {
  return (response) => {
    if (response.status < 200 || response.status > 299) return undefined;
    // A body without the word cannot hold errors: most pages skip the parse here.
    if (!response.body.includes('"errors"')) return undefined;
    const answer = answerOf(response);
    if (answer === undefined || answer.errors.length === 0 || !failedWhole(answer)) return undefined;
    const errorClass = decidingClass(answer.errors.map((error) => classOf(error, answer)));
    return actionFor(errorClass, `GraphQL errors: ${describeErrors(answer.errors)}`);
  };
}

/**
 * The action decided for a response: by the stack when it classified it (the decision travels on the
 * response), else by the connector's body reading and the status defaults.
 */
export function actionOfResponse(
  response: HttpResponse,
  classifyBody: (response: HttpResponse) => ResponseAction | undefined,
): ResponseAction {
  return response.action ?? classify({ response }, [], { classifyBody });
}

/** The class deciding for a failed answer's errors. */
export function classOfAnswer(answer: GraphqlAnswer, classOf: ClassOf): ErrorClass {
  return decidingClass(answer.errors.map((error) => classOf(error, answer)));
}

/** What the server said, for a message: its GraphQL errors when the body has them, else the body's start. */
export function serverSaid(response: HttpResponse): string {
  const answer = answerOf(response);
  if (answer !== undefined && answer.errors.length > 0) return describeErrors(answer.errors);
  return bodySnippet(response.body, 300) || '(empty body)';
}
