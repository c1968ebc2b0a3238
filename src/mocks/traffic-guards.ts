import { setTimeout as sleep } from 'node:timers/promises';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { createFaultInjector } from './fault-injector.ts';
import type { ResolvedFaults } from './fault-options.ts';
import type { RequestStats } from './request-stats.ts';
import { type BucketState, createTokenBucket, type TokenBucket } from './token-bucket.ts';

type Hook = (request: FastifyRequest, reply: FastifyReply) => Promise<unknown>;

/** A refusal the guards send: a 429 or an injected 500/503, with a REST-style error name and message. */
export interface Refusal {
  status: number;
  error: string;
  message: string;
}

/** Sends a refusal in the protocol of the route (a JSON error object, a GraphQL errors array...). */
export type Refuse = (request: FastifyRequest, reply: FastifyReply, refusal: Refusal) => FastifyReply;

/** The fault hooks for a set of routes. */
export interface GuardHooks {
  /** onRequest hooks, in order: rate limit, then latency (empty when neither is configured). */
  readonly onRequest: Hook[];
  /** preValidation hooks: the seeded error / 429 / lost-ack draw (empty when no rate is set). */
  readonly preValidation: Hook[];
}

/** A GraphQL fault this request drew, for the GraphQL handler to act on; `at` picks the failing customer. */
export type GraphqlFault = { kind: 'graphql_error' } | { kind: 'graphql_partial'; at: number };

/** The fault hooks of one mock server, to put on the routes the faults apply to. */
export interface TrafficGuards extends GuardHooks {
  /**
   * The same guards (one token bucket, one fault sequence) refusing in another protocol, for routes that
   * must not answer with the REST error object.
   */
  hooks(refuse: Refuse): GuardHooks;
  /** True when this request drew a lost acknowledgement: answer it, then drop the connection. */
  isLostAck(request: FastifyRequest): boolean;
  /** The GraphQL fault this request drew, if any (drawn on every faulted route, acted on by GraphQL only). */
  graphqlFault(request: FastifyRequest): GraphqlFault | undefined;
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
  const graphqlFaults = new WeakMap<FastifyRequest, GraphqlFault>();
  const anyFault =
    faults.errorRate > 0 ||
    faults.rateLimitedRate > 0 ||
    (options.lostAcks && faults.lostAckRate > 0) ||
    faults.graphqlErrorRate > 0 ||
    faults.graphqlPartialRate > 0;

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

  const restRefuse: Refuse = (_request, reply, { status, error, message }) =>
    reply.code(status).send({ error, message });

  const hooks = (refuse: Refuse): GuardHooks => {
    const tooMany = (
      request: FastifyRequest,
      reply: FastifyReply,
      why: string,
      seconds: number,
      message: string,
    ) => {
      stats.add('rateLimited');
      stats.add(why);
      reply.header('Retry-After', injector.retryAfter(seconds, now()));
      return refuse(request, reply, { status: 429, error: 'rate_limited', message });
    };
    const onRequest: Hook[] = [];
    if (bucket) {
      onRequest.push(async (request, reply) => {
        const state = bucket.take();
        setRateLimitHeaders(reply, state);
        if (state.allowed) return;
        const message = `more than ${state.limit} requests per second`;
        return tooMany(request, reply, 'rateLimitExceeded', state.retryAfterSeconds, message);
      });
    }
    if (faults.latencyMs > 0) onRequest.push(() => sleep(faults.latencyMs));

    const preValidation: Hook[] = [];
    if (anyFault) {
      preValidation.push(async (request, reply) => {
        const decision = injector.next();
        if (decision.kind === 'none') return;
        if (decision.kind === 'lost_ack') {
          if (options.lostAcks) lostAckRequests.add(request);
          return;
        }
        if (decision.kind === 'graphql_error' || decision.kind === 'graphql_partial') {
          graphqlFaults.set(request, decision);
          return;
        }
        if (decision.kind === 'rate_limited') {
          const message = 'injected 429 (mock fault)';
          return tooMany(request, reply, 'injectedRateLimited', faults.retryAfterSeconds, message);
        }
        stats.add('injectedErrors');
        return refuse(
          request,
          reply,
          decision.status === 500
            ? { status: 500, error: 'internal_error', message: 'injected 500 (mock fault)' }
            : { status: 503, error: 'service_unavailable', message: 'injected 503 (mock fault)' },
        );
      });
    }
    return { onRequest, preValidation };
  };
  const rest = hooks(restRefuse);

  return {
    ...rest,
    hooks,
    isLostAck: (request) => lostAckRequests.has(request),
    graphqlFault: (request) => graphqlFaults.get(request),
    setRateLimitHeaders,
    reset() {
      injector.reset();
      bucket?.reset();
    },
  };
}
