import { authInterceptor } from '../../auth/auth-interceptor.ts';
import { createAuthStrategy } from '../../auth/create-auth-strategy.ts';
import type { HttpRequest, HttpResponse, Interceptor, ResponseAction } from '../../core/http-types.ts';
import { classify } from '../../http/classify.ts';
import { composeSend } from '../../http/compose.ts';
import { createHttpTransport } from '../../http/http-transport.ts';
import type { ConnectorContext, HttpStackOptions } from '../spec.ts';

/**
 * A ConnectorContext for the connector's own tests: a real transport and auth, and a retry layer that
 * classifies as the runtime's does (the connector's body reading, then the status defaults) and puts the
 * decision on the response, resending without waiting. Non-idempotent requests are resent only with an
 * idempotency key or when `canResend` allows.
 */
export function testContext(overrides: Partial<ConnectorContext> = {}): ConnectorContext & {
  close(): Promise<void>;
  /** Requests sent per endpoint, attempts included. */
  readonly sent: Map<string, number>;
} {
  const closers: Array<() => Promise<void>> = [];
  const sent = new Map<string, number>();
  return {
    integration: 'test',
    baseDir: process.cwd(),
    allowInsecureHttp: false,
    ignoreFields: [],
    ...overrides,
    sent,
    http(options: HttpStackOptions) {
      const transport = createHttpTransport({ maxResponseBytes: options.maxResponseBytes });
      closers.push(() => transport.close());
      const strategy = createAuthStrategy(options.auth as Parameters<typeof createAuthStrategy>[0], {
        allowedOrigins: options.origins,
      });
      const count: Interceptor = (next) => (request) => {
        sent.set(request.endpoint, (sent.get(request.endpoint) ?? 0) + 1);
        return next(request);
      };
      const send = composeSend(transport, [retryWithoutWaiting(options), authInterceptor(strategy), count]);
      return { send, close: () => transport.close() };
    },
    async close() {
      await Promise.all(closers.map((close) => close()));
    },
  };
}

function retryWithoutWaiting(options: HttpStackOptions): Interceptor {
  const keyHeader =
    options.idempotencyKeyHeader === undefined ? 'idempotency-key' : options.idempotencyKeyHeader;
  return (next) => async (request: HttpRequest) => {
    for (let attempt = 1; ; attempt++) {
      let response: HttpResponse;
      try {
        response = await next({ ...request, attempt });
      } catch (error) {
        if (attempt >= options.retry.maxAttempts || !(await mayResend(request, options, keyHeader)))
          throw error;
        continue;
      }
      // The user's rules are left out: these tests give none.
      const action: ResponseAction = options.classifyBody?.(response) ?? classify({ response });
      const decided = { ...response, action };
      if (action.type !== 'retry' && action.type !== 'rate_limited') return decided;
      if (attempt >= options.retry.maxAttempts) return decided;
      if (!(await mayResend(request, options, keyHeader))) return decided;
    }
  };
}

async function mayResend(
  request: HttpRequest,
  options: HttpStackOptions,
  keyHeader: string | null,
): Promise<boolean> {
  if (request.method === 'GET') return true;
  if (
    keyHeader &&
    Object.keys(request.headers).some((name) => name.toLowerCase() === keyHeader.toLowerCase())
  ) {
    return true;
  }
  const canResend = options.canResend?.();
  return canResend ? canResend(request) : false;
}
