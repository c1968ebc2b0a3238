import type { Interceptor } from '../../core/http-types.ts';
import { createHttpStack } from '../../runtime/http-stack.ts';
import type { ConnectorContext, HttpStackOptions } from '../spec.ts';

/**
 * A ConnectorContext for the connector's own tests: the runtime's real HTTP stack (retry, breaker,
 * limiter, auth, classification with the connector's body reading, transport), with its retry waits
 * shortened, and the requests the connector sends counted per endpoint (the stack's own resends aside).
 */
export function testContext(overrides: Partial<ConnectorContext> = {}): ConnectorContext & {
  close(): Promise<void>;
  readonly sent: Map<string, number>;
} {
  const stacks: Array<{ close(): Promise<void> }> = [];
  const sent = new Map<string, number>();
  const base: Omit<ConnectorContext, 'http'> = {
    integration: 'test',
    baseDir: process.cwd(),
    allowInsecureHttp: false,
    ignoreFields: [],
    ...overrides,
  };
  return {
    ...base,
    sent,
    http(options: HttpStackOptions) {
      // Nothing in these tests is about timing: retries come at once.
      const retry = { ...options.retry, baseDelayMs: 1, maxDelayMs: 1, maxRetryAfterMs: 1 };
      const stack = createHttpStack(
        { ...options, retry },
        { observer: {}, allowInsecureHttp: base.allowInsecureHttp, baseDir: base.baseDir },
      );
      stacks.push(stack);
      const count: Interceptor = (next) => (request) => {
        sent.set(request.endpoint, (sent.get(request.endpoint) ?? 0) + 1);
        return next(request);
      };
      return { ...stack, send: count(stack.send) };
    },
    async close() {
      await Promise.all(stacks.map((stack) => stack.close()));
    },
  };
}
