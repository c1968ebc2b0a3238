// ConnectorContexts for testing connectors on their own. connectorContext() builds ferry's real HTTP
// stack (src/runtime/http-stack.ts), as a run does. recordingContext() records every attempt for tests that
// look at what went on the wire: a real transport under a retry loop with the stack's contract (a copy of
// the request per attempt, classifyBody before the status defaults, an ambiguous POST resent only when
// canResend says so, rate_limited never ambiguous).
import type { ConnectorContext, HttpStack, HttpStackOptions } from '../../src/connectors/spec.ts';
import type { HttpRequest, HttpResponse, ResponseAction } from '../../src/core/http-types.ts';
import { classify } from '../../src/http/classify.ts';
import { createHttpTransport } from '../../src/http/http-transport.ts';
import { createHttpStack } from '../../src/runtime/http-stack.ts';

/** What the test context saw: every stack built and every request sent, by endpoint. */
export interface TestContext extends ConnectorContext {
  readonly stacks: HttpStackOptions[];
  readonly requests: HttpRequest[];
  close(): Promise<void>;
}

/** A context whose stacks are ferry's own, composed as for a run. */
export function connectorContext(overrides: Partial<ConnectorContext> = {}): TestContext {
  const stacks: HttpStackOptions[] = [];
  const built: HttpStack[] = [];
  const base = {
    integration: 'test',
    baseDir: process.cwd(),
    allowInsecureHttp: false,
    ignoreFields: [],
    ...overrides,
  };
  return {
    ...base,
    stacks,
    requests: [],
    http(options) {
      stacks.push(options);
      const stack = createHttpStack(options, {
        observer: {},
        allowInsecureHttp: base.allowInsecureHttp,
        baseDir: base.baseDir,
      });
      built.push(stack);
      return stack;
    },
    close: async () => {
      await Promise.all(built.map((stack) => stack.close()));
    },
  };
}

/** A context that records every attempt (see the top of this file). */
export function recordingContext(
  overrides: Partial<ConnectorContext> & { maxAttempts?: number } = {},
): TestContext {
  const stacks: HttpStackOptions[] = [];
  const requests: HttpRequest[] = [];
  const transports: { close(): Promise<void> }[] = [];
  const maxAttempts = overrides.maxAttempts ?? 6;
  return {
    integration: 'test',
    baseDir: process.cwd(),
    allowInsecureHttp: false,
    ignoreFields: [],
    stacks,
    requests,
    ...overrides,
    http(options): HttpStack {
      stacks.push(options);
      const transport = createHttpTransport({ maxResponseBytes: options.maxResponseBytes, connections: 4 });
      transports.push(transport);
      const judge = (response: HttpResponse): ResponseAction =>
        options.classifyBody?.(response) ?? classify({ response }, options.rules ?? []);
      const send = async (request: HttpRequest): Promise<HttpResponse> => {
        for (let attempt = 1; ; attempt++) {
          const copy = { ...request, attempt };
          requests.push(copy);
          let response: HttpResponse | undefined;
          let error: unknown;
          try {
            response = await transport.send(copy);
          } catch (caught) {
            error = caught;
          }
          const action = response ? judge(response) : classify({ error });
          if (action.type !== 'retry' && action.type !== 'rate_limited') {
            if (response) return { ...response, action } as HttpResponse;
            throw error;
          }
          const safe = request.method === 'GET' || action.type === 'rate_limited';
          const last = attempt >= maxAttempts;
          const allowed = !last && (safe || ((await options.canResend?.()?.(request)) ?? false));
          if (!allowed) {
            if (response) return { ...response, action } as HttpResponse;
            throw error;
          }
        }
      };
      // Its requests carry no credentials to fetch ahead.
      return { send, prepare: () => {}, close: async () => {} };
    },
    close: async () => {
      await Promise.all(transports.map((t) => t.close()));
    },
  };
}
