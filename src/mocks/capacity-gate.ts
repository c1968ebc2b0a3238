import type { FastifyReply, FastifyRequest } from 'fastify';
import type { RequestStats } from './request-stats.ts';
/** A request let into a capacity-limited server: wait for `ready`, then `release()` once answered. */
export interface Admission {
  /** Resolves when one of the workers takes the request. */
  readonly ready: Promise<void>;
  /** Frees the worker (or the queue place); idempotent. */
  release(): void;
}

/** What a capacity-limited server has seen. */
export interface CapacityStats {
  readonly inFlight: number;
  /** The most requests in flight at once (working and queued). */
  readonly peakInFlight: number;
  /** Requests refused because more than twice the capacity were in flight. */
  readonly overloaded: number;
  /**
   * Requests in flight integrated over time (request·ms) since the gate was made: two readings give the
   * mean number in flight between them.
   */
  readonly inFlightMs: number;
}

/** A server with a fixed number of workers and a bounded queue in front of them. */
export interface CapacityGate {
  /** Admits a request, or returns null when more than twice the capacity are in flight (answer 503). */
  enter(): Admission | null;
  stats(): CapacityStats;
  reset(): void;
}

/**
 * `capacity` workers take requests in arrival order; past them requests queue, so latency grows once more
 * than `capacity` are in flight; past twice the capacity they are refused. The model of a real server's
 * worker pool that the adaptive concurrency of ferry has to find (mock option `capacity`).
 */
export function createCapacityGate(capacity: number): CapacityGate {
  if (!Number.isInteger(capacity) || capacity < 1)
    throw new RangeError(`capacity must be >= 1, got ${capacity}`);
  let working = 0;
  let inFlight = 0;
  let peakInFlight = 0;
  let overloaded = 0;
  let inFlightMs = 0;
  let countedAt = performance.now();
  const count = (): void => {
    const at = performance.now();
    inFlightMs += inFlight * (at - countedAt);
    countedAt = at;
  };
  const queue: Array<() => void> = [];
  const next = (): void => {
    while (working < capacity && queue.length > 0) {
      working++;
      queue.shift()!();
    }
  };
  return {
    enter() {
      if (inFlight >= 2 * capacity) {
        overloaded++;
        return null;
      }
      count();
      inFlight++;
      if (inFlight > peakInFlight) peakInFlight = inFlight;
      let state: 'queued' | 'working' | 'done' = 'queued';
      let resolveReady!: () => void;
      const ready = new Promise<void>((resolve) => {
        resolveReady = resolve;
      });
      const start = () => {
        state = 'working';
        resolveReady();
      };
      queue.push(start);
      next();
      return {
        ready,
        release() {
          if (state === 'done') return;
          count();
          inFlight--;
          if (state === 'working') working--;
          else queue.splice(queue.indexOf(start), 1);
          state = 'done';
          next();
        },
      };
    },
    stats: () => {
      count();
      return { inFlight, peakInFlight, overloaded, inFlightMs };
    },
    reset() {
      peakInFlight = inFlight;
      overloaded = 0;
    },
  };
}

/**
 * An onRequest hook that admits each request through the gate (503 past twice the capacity) and frees its
 * worker when the response is sent or the connection closes; put it first, before any latency the worker
 * must hold.
 */
export function capacityHook(gate: CapacityGate, stats: RequestStats, capacity: number) {
  return async (_request: FastifyRequest, reply: FastifyReply) => {
    const admission = gate.enter();
    if (admission === null) {
      stats.add('overloaded');
      return reply.code(503).send({
        error: 'service_unavailable',
        message: `over capacity: more than ${2 * capacity} requests in flight`,
      });
    }
    reply.raw.once('close', admission.release);
    await admission.ready;
  };
}
