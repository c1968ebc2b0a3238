import { setTimeout as sleep } from 'node:timers/promises';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { createFaultInjector } from './fault-injector.ts';
import type { ResolvedFaults } from './fault-options.ts';
import type { RequestStats } from './request-stats.ts';
import { type BucketState, createTokenBucket, type TokenBucket } from './token-bucket.ts';

type Hook = (request: FastifyRequest, reply: FastifyReply) => Promise<unknown>;

/** The fault hooks of one mock server, to put on the routes the faults apply to. */
export interface TrafficGuards {
  /** onRequest hooks, in order: rate limit, then latency (empty when neither is configured). */
  readonly onRequest: Hook[];
  /** preValidation hooks: the seeded error / 429 / lost-ack draw (empty when no rate is set). */
  readonly preValidation: Hook[];
  /** True when this request drew a lost acknowledgement: answer it, then drop the connection. */
  isLostAck(request: FastifyRequest): boolean;
  /** Writes RateLimit-* and X-RateLimit-* headers (no-op without a rate limit). */
  setRateLimitHeaders(reply: FastifyReply, state?: BucketState): void;
  reset(): void;
}

/** Builds the guards from resolved fault options; `now` is injectable so tests drive the token bucket. */
export function createTrafficGuards(options: {
  seed: number;
  faults: ResolvedFaults;
  stats: RequestStats;
  now: () => number;
  /** Whether lost acknowledgements are possible on these routes (the orders POST only). */
  lostAcks?: boolean;
}): TrafficGuards {
  const { faults, stats, now } = options;
  const injector = createFaultInjector(options.seed, faults);
  const bucket: TokenBucket | null =
    faults.requestsPerSecond > 0 ? createTokenBucket(faults.requestsPerSecond, now) : null;
  const lostAckRequests = new WeakSet<FastifyRequest>();

  const setRateLimitHeaders = (reply: FastifyReply, state: BucketState | undefined = bucket?.peek()) => {
    if (!state) return;
    const limit = String(state.limit);
    const remaining = String(state.remaining);
    const reset = String(state.resetSeconds);
    reply.header('RateLimit-Limit', limit);
    reply.header('RateLimit-Remaining', remaining);
    reply.header('RateLimit-Reset', reset);
    reply.header('X-RateLimit-Limit', limit);
    reply.header('X-RateLimit-Remaining', remaining);
    reply.header('X-RateLimit-Reset', reset);
  };

  const onRequest: Hook[] = [];
  if (bucket) {
    onRequest.push(async (_request, reply) => {
      const state = bucket.take();
      setRateLimitHeaders(reply, state);
      if (state.allowed) return;
      stats.add('rateLimited');
      stats.add('rateLimitExceeded');
      reply.header('Retry-After', injector.retryAfter(state.retryAfterSeconds, now()));
      return reply.code(429).send({
        error: 'rate_limited',
        message: `more than ${state.limit} requests per second`,
      });
    });
  }
  if (faults.latencyMs > 0) onRequest.push(() => sleep(faults.latencyMs));

  const preValidation: Hook[] = [];
  const anyFault =
    faults.errorRate > 0 || faults.rateLimitedRate > 0 || (options.lostAcks && faults.lostAckRate > 0);
  if (anyFault) {
    preValidation.push(async (request, reply) => {
      const decision = injector.next();
      if (decision.kind === 'none') return;
      if (decision.kind === 'lost_ack') {
        if (options.lostAcks) lostAckRequests.add(request);
        return;
      }
      if (decision.kind === 'rate_limited') {
        stats.add('rateLimited');
        stats.add('injectedRateLimited');
        reply.header('Retry-After', injector.retryAfter(faults.retryAfterSeconds, now()));
        return reply.code(429).send({ error: 'rate_limited', message: 'injected 429 (mock fault)' });
      }
      stats.add('injectedErrors');
      return reply
        .code(decision.status)
        .send(
          decision.status === 500
            ? { error: 'internal_error', message: 'injected 500 (mock fault)' }
            : { error: 'service_unavailable', message: 'injected 503 (mock fault)' },
        );
    });
  }

  return {
    onRequest,
    preValidation,
    isLostAck: (request) => lostAckRequests.has(request),
    setRateLimitHeaders,
    reset() {
      injector.reset();
      bucket?.reset();
    },
  };
}
