import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { FerryError } from '../core/errors.ts';
import type { HttpRequest, HttpResponse, Send } from '../core/http-types.ts';
import { createCircuitBreaker } from './circuit-breaker.ts';
import { circuitBreakerInterceptor } from './circuit-breaker-interceptor.ts';

beforeEach(() => {
  vi.useFakeTimers();
  vi.setSystemTime(0);
});
afterEach(() => vi.useRealTimers());

async function fail(breaker: ReturnType<typeof createCircuitBreaker>, times: number): Promise<void> {
  for (let i = 0; i < times; i++) (await breaker.acquire()).failure();
}

/** Settles a promise's state without awaiting it forever. */
function track<T>(promise: Promise<T>): { done: () => boolean; error: () => unknown } {
  let done = false;
  let error: unknown;
  promise.then(
    () => {
      done = true;
    },
    (e) => {
      done = true;
      error = e;
    },
  );
  return { done: () => done, error: () => error };
}

describe('createCircuitBreaker', () => {
  it('opens after the configured consecutive transient failures, not before', async () => {
    const states: string[] = [];
    const breaker = createCircuitBreaker({
      consecutiveFailures: 3,
      observer: { onBreakerState: (e) => states.push(e.state) },
    });
    await fail(breaker, 2);
    expect(breaker.state()).toEqual({ status: 'closed', openedAt: null, failures: 2 });
    (await breaker.acquire()).success(); // a 4xx or 2xx resets the streak
    await fail(breaker, 2);
    expect(breaker.state().status).toBe('closed');
    await fail(breaker, 1);
    expect(breaker.state()).toEqual({ status: 'open', openedAt: 0, failures: 3 });
    expect(states).toEqual(['open']);
  });

  it('counts a burst refused together as one failure, and an outage as every failure after its first', async () => {
    // A gateway capping connections: 24 requests out, 12 more sent at once and refused within a millisecond,
    // before the 24 answer. Counted one by one, the 12 opened the breaker on a destination answering all along.
    const breaker = createCircuitBreaker({ consecutiveFailures: 10 });
    const earlier = await Promise.all(Array.from({ length: 24 }, () => breaker.acquire()));
    await vi.advanceTimersByTimeAsync(5);
    const burst = await Promise.all(Array.from({ length: 12 }, () => breaker.acquire()));
    await vi.advanceTimersByTimeAsync(1);
    for (const permit of burst) permit.failure();
    expect(breaker.state()).toEqual({ status: 'closed', openedAt: null, failures: 1 });
    await vi.advanceTimersByTimeAsync(14);
    for (const permit of earlier) permit.success();
    expect(breaker.state().failures).toBe(0);

    // An outage: what was out fails, then so does everything sent after the first failure came back.
    const outAtOutage = await Promise.all(Array.from({ length: 16 }, () => breaker.acquire()));
    await vi.advanceTimersByTimeAsync(1);
    for (const permit of outAtOutage) permit.failure();
    expect(breaker.state().failures).toBe(1);
    await vi.advanceTimersByTimeAsync(1);
    await fail(breaker, 8);
    expect(breaker.state().status).toBe('closed');
    await fail(breaker, 1);
    expect(breaker.state().status).toBe('open');
  });

  it('opens only once the requests sent before a streak have answered, or the streak outlasts a pause', async () => {
    // nginx's limit_conn at 100 ms: a slow-start step refused at once, then its retries, ten failures in the
    // 70 ms before the requests sent earlier answered. Opened there, the run paused 5 s.
    const breaker = createCircuitBreaker({ consecutiveFailures: 10, halfOpenAfterMs: 5_000 });
    const earlier = await Promise.all(Array.from({ length: 20 }, () => breaker.acquire()));
    await vi.advanceTimersByTimeAsync(1);
    await fail(breaker, 12);
    expect(breaker.state()).toEqual({ status: 'closed', openedAt: null, failures: 12 });
    await vi.advanceTimersByTimeAsync(70);
    for (const permit of earlier) permit.success();
    expect(breaker.state()).toEqual({ status: 'closed', openedAt: null, failures: 0 });

    // An outage: what was out when it began fails too, and then the breaker opens.
    const outAtOutage = await Promise.all(Array.from({ length: 3 }, () => breaker.acquire()));
    await fail(breaker, 10);
    expect(breaker.state().status).toBe('closed');
    for (const permit of outAtOutage) permit.failure();
    expect(breaker.state().status).toBe('open');

    // One whose requests hang: the breaker does not wait for them longer than it would pause.
    const hanging = createCircuitBreaker({ consecutiveFailures: 10, halfOpenAfterMs: 5_000 });
    const stuck = await Promise.all(Array.from({ length: 3 }, () => hanging.acquire()));
    await fail(hanging, 10);
    await vi.advanceTimersByTimeAsync(4_999);
    await fail(hanging, 1);
    expect(hanging.state().status).toBe('closed');
    await vi.advanceTimersByTimeAsync(1);
    await fail(hanging, 1);
    expect(hanging.state().status).toBe('open');
    for (const permit of stuck) permit.failure();
    expect(hanging.state().status).toBe('open');
  });

  it('hands out a permit at once only while closed and not aborted', async () => {
    const breaker = createCircuitBreaker({ consecutiveFailures: 2 });
    const aborted = AbortSignal.abort();
    expect(breaker.tryAcquire(aborted)).toBeNull();
    const permit = breaker.tryAcquire();
    if (permit === null) throw new Error('expected a permit while closed');
    // Its outcome counts as an acquire()d permit's would, once, even when its method is handed on alone.
    const { failure } = permit;
    failure();
    failure();
    expect(breaker.state().failures).toBe(1);
    breaker.tryAcquire()?.failure();
    expect(breaker.state().status).toBe('open');
    expect(breaker.tryAcquire()).toBeNull();
  });

  it('makes callers wait while open, lets one probe through half-open, and closes on its success', async () => {
    const states: string[] = [];
    const breaker = createCircuitBreaker({
      consecutiveFailures: 1,
      halfOpenAfterMs: 5000,
      observer: { onBreakerState: (e) => states.push(e.state) },
    });
    await fail(breaker, 1);
    const probe = breaker.acquire();
    const other = breaker.acquire();
    const probeState = track(probe);
    const otherState = track(other);
    await vi.advanceTimersByTimeAsync(4999);
    expect(probeState.done()).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(probeState.done()).toBe(true);
    expect(breaker.state().status).toBe('half_open');
    await vi.advanceTimersByTimeAsync(10_000);
    expect(otherState.done()).toBe(false); // only ONE probe
    (await probe).success();
    await vi.advanceTimersByTimeAsync(0);
    expect(otherState.done()).toBe(true);
    expect(breaker.state()).toEqual({ status: 'closed', openedAt: null, failures: 0 });
    expect(states).toEqual(['open', 'half_open', 'closed']);
    (await other).success();
  });

  it('re-opens when the probe fails and probes again later', async () => {
    const breaker = createCircuitBreaker({ consecutiveFailures: 1, halfOpenAfterMs: 1000 });
    await fail(breaker, 1);
    const first = breaker.acquire();
    await vi.advanceTimersByTimeAsync(1000);
    (await first).failure();
    expect(breaker.state()).toMatchObject({ status: 'open', openedAt: 1000 });
    const second = track(breaker.acquire());
    await vi.advanceTimersByTimeAsync(999);
    expect(second.done()).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(second.done()).toBe(true);
    expect(breaker.state().status).toBe('half_open');
  });

  it('fails waiting callers with FERRY_ERR_CIRCUIT_OPEN once the total pause passes maxPauseMs', async () => {
    const breaker = createCircuitBreaker({ consecutiveFailures: 1, halfOpenAfterMs: 1000, maxPauseMs: 3500 });
    await fail(breaker, 1);
    for (let i = 0; i < 3; i++) {
      const probe = breaker.acquire();
      await vi.advanceTimersByTimeAsync(1000);
      (await probe).failure();
    }
    expect(breaker.pausedMs()).toBe(3000);
    const waiter = breaker.acquire();
    const assertion = expect(waiter).rejects.toMatchObject({
      code: 'FERRY_ERR_CIRCUIT_OPEN',
      kind: 'aborted',
    });
    await vi.advanceTimersByTimeAsync(500);
    await assertion;
    await expect(breaker.acquire()).rejects.toThrow(/kept failing for more than 3.5s \(circuit breaker/);
  });

  it('says when waiting callers will give up in every state change while paused', async () => {
    const events: { state: string; givesUpAt?: number }[] = [];
    const breaker = createCircuitBreaker({
      consecutiveFailures: 1,
      halfOpenAfterMs: 1000,
      maxPauseMs: 60_000,
      observer: { onBreakerState: (e) => events.push(e) },
    });
    vi.setSystemTime(5_000);
    await fail(breaker, 1);
    const probe = breaker.acquire();
    await vi.advanceTimersByTimeAsync(1000);
    (await probe).success();
    expect(events).toEqual([
      { endpoint: 'destination', state: 'open', givesUpAt: 65_000 },
      { endpoint: 'destination', state: 'half_open', givesUpAt: 65_000 },
      { endpoint: 'destination', state: 'closed' },
    ]);
  });

  it('frees the probe slot when the probe is released without a verdict', async () => {
    const breaker = createCircuitBreaker({ consecutiveFailures: 1, halfOpenAfterMs: 100 });
    await fail(breaker, 1);
    const probe = breaker.acquire();
    await vi.advanceTimersByTimeAsync(100);
    const next = track(breaker.acquire());
    (await probe).release();
    await vi.advanceTimersByTimeAsync(0);
    expect(next.done()).toBe(true);
  });

  it('stops waiting when the caller aborts', async () => {
    const breaker = createCircuitBreaker({ consecutiveFailures: 1, halfOpenAfterMs: 10_000 });
    await fail(breaker, 1);
    const controller = new AbortController();
    const waiter = breaker.acquire(controller.signal);
    const assertion = expect(waiter).rejects.toMatchObject({ code: 'FERRY_ERR_ABORTED' });
    controller.abort();
    await assertion;
  });
});

describe('createCircuitBreaker: a destination that never answered', () => {
  it('opens at the first refused connection and fails callers after maxWaitForFirstAnswerMs, not maxPauseMs', async () => {
    const breaker = createCircuitBreaker({ halfOpenAfterMs: 5000, maxWaitForFirstAnswerMs: 10_000 });
    (await breaker.acquire()).unreachable('connect ECONNREFUSED 127.0.0.1:9');
    expect(breaker.state().status).toBe('open');
    // The probe at 5 s is refused too; the caller waiting behind it gives up at 10 s.
    const probe = breaker.acquire();
    await vi.advanceTimersByTimeAsync(5000);
    (await probe).unreachable('connect ECONNREFUSED 127.0.0.1:9');
    const waiter = track(breaker.acquire());
    await vi.advanceTimersByTimeAsync(4999);
    expect(waiter.done()).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(waiter.done()).toBe(true);
    expect(waiter.error()).toMatchObject({ code: 'FERRY_ERR_DESTINATION_UNREACHABLE', kind: 'aborted' });
    expect(String(waiter.error())).toContain('no answer since the run started');
    expect(String(waiter.error())).toContain('last: connect ECONNREFUSED 127.0.0.1:9');
    await expect(breaker.acquire()).rejects.toMatchObject({ code: 'FERRY_ERR_DESTINATION_UNREACHABLE' });
  });

  it('keeps the pause-and-probe patience once the destination has answered in this run', async () => {
    const breaker = createCircuitBreaker({
      consecutiveFailures: 2,
      halfOpenAfterMs: 5000,
      maxPauseMs: 600_000,
      maxWaitForFirstAnswerMs: 10_000,
    });
    (await breaker.acquire()).success(); // a 201, or a 422: it answered
    (await breaker.acquire()).unreachable('connect ECONNREFUSED');
    expect(breaker.state().status).toBe('closed'); // counted against the threshold as before
    (await breaker.acquire()).unreachable('connect ECONNREFUSED');
    expect(breaker.state().status).toBe('open');
    for (let i = 0; i < 6; i++) {
      const probe = breaker.acquire();
      await vi.advanceTimersByTimeAsync(5000);
      (await probe).unreachable('connect ECONNREFUSED');
    }
    const waiter = track(breaker.acquire());
    await vi.advanceTimersByTimeAsync(5000);
    expect(waiter.error()).toBeUndefined();
    expect(breaker.state().status).toBe('half_open');
  });

  it('waits for a probe still in flight at the deadline, and carries on when it answers', async () => {
    const breaker = createCircuitBreaker({ halfOpenAfterMs: 5000, maxWaitForFirstAnswerMs: 6000 });
    (await breaker.acquire()).unreachable('connect ETIMEDOUT');
    const probe = breaker.acquire();
    await vi.advanceTimersByTimeAsync(5000);
    const waiter = track(breaker.acquire());
    await vi.advanceTimersByTimeAsync(3000);
    expect(waiter.done()).toBe(false);
    (await probe).success();
    await vi.advanceTimersByTimeAsync(0);
    expect(waiter.done()).toBe(true);
    expect(waiter.error()).toBeUndefined();
    expect(breaker.state().status).toBe('closed');
  });
});

describe('circuitBreakerInterceptor', () => {
  const req: HttpRequest = {
    method: 'POST',
    url: 'https://dest.example.com/orders',
    headers: {},
    endpoint: 'orders',
  };
  const respond =
    (status: number, headers: Record<string, string> = {}): Send =>
    async () =>
      ({ status, headers, body: Buffer.alloc(0), url: req.url }) satisfies HttpResponse;

  it('counts 5xx and network errors, not 4xx or a 503 that says when to come back', async () => {
    const breaker = createCircuitBreaker({ consecutiveFailures: 2 });
    await circuitBreakerInterceptor(breaker)(respond(500))(req);
    await circuitBreakerInterceptor(breaker)(respond(422))(req);
    await circuitBreakerInterceptor(breaker)(respond(503, { 'retry-after': '1' }))(req);
    expect(breaker.state().failures).toBe(0);
    await circuitBreakerInterceptor(breaker)(respond(502))(req);
    const reset: Send = async () => {
      throw Object.assign(new Error('reset'), { code: 'FERRY_ERR_HTTP_TRANSIENT' });
    };
    await expect(circuitBreakerInterceptor(breaker)(reset)(req)).rejects.toThrow('reset');
    expect(breaker.state().status).toBe('open');
  });

  it('tells a connection that was never made from one that failed after the destination answered', async () => {
    const breaker = createCircuitBreaker({ consecutiveFailures: 5 });
    const refused: Send = async () => {
      throw new FerryError('FERRY_ERR_HTTP_TRANSIENT', 'network error ECONNREFUSED', {
        details: { sent: false },
      });
    };
    await expect(circuitBreakerInterceptor(breaker)(refused)(req)).rejects.toThrow('ECONNREFUSED');
    // Never answered: one refusal opens it, instead of five.
    expect(breaker.state().status).toBe('open');
  });

  it('lets only requests that prove recovery reset the streak: a lookup answering between failing sends does not', async () => {
    const breaker = createCircuitBreaker({ consecutiveFailures: 2 });
    const guard = circuitBreakerInterceptor(breaker, { provesRecovery: (r) => r.endpoint === 'orders' });
    const lookup: HttpRequest = { ...req, method: 'GET', endpoint: 'orders_lookup' };
    await guard(respond(500))(req);
    await guard(respond(404))(lookup);
    expect(breaker.state().failures).toBe(1);
    await guard(respond(500))(req);
    expect(breaker.state().status).toBe('open');
  });
});

describe('a breaker shared through a board', () => {
  /** A board as another process would leave it: what read() says, and what this process wrote. */
  function board(initial: { open: boolean; probeFree: boolean }) {
    const state = { ...initial, opened: 0, closed: 0, probes: 0 };
    return {
      state,
      board: {
        read: async () => state.open,
        open: async () => {
          state.open = true;
          state.opened++;
        },
        claimProbe: async () => {
          if (!state.probeFree) return false;
          state.probeFree = false;
          state.probes++;
          return true;
        },
        close: async () => {
          state.open = false;
          state.closed++;
        },
      },
    };
  }

  it('tells the board when it opens, and opens when another process opened it', async () => {
    const shared = board({ open: false, probeFree: true });
    const breaker = createCircuitBreaker({ consecutiveFailures: 2, board: shared.board });
    await fail(breaker, 2);
    expect(shared.state.opened).toBe(1);

    const other = createCircuitBreaker({ consecutiveFailures: 2, board: shared.board, boardPollMs: 500 });
    // The first request after a read interval looks at the board, and the next ones are held back.
    expect(other.tryAcquire()).not.toBeNull();
    await vi.advanceTimersByTimeAsync(0);
    expect(other.state().status).toBe('open');
    expect(other.tryAcquire()).toBeNull();
  });

  it('waits while another process probes, and sends again once that probe closed the board', async () => {
    const shared = board({ open: true, probeFree: false });
    const breaker = createCircuitBreaker({
      consecutiveFailures: 1,
      halfOpenAfterMs: 1000,
      board: shared.board,
      boardPollMs: 500,
    });
    (await breaker.acquire()).failure();
    const waiting = track(breaker.acquire());
    await vi.advanceTimersByTimeAsync(3000);
    // Half open long ago, but the probe is another process's.
    expect(waiting.done()).toBe(false);
    expect(shared.state.probes).toBe(0);
    shared.state.open = false;
    await vi.advanceTimersByTimeAsync(600);
    expect(waiting.done()).toBe(true);
    expect(breaker.state().status).toBe('closed');
    // It followed the board: nothing for it to publish.
    expect(shared.state.closed).toBe(0);
  });

  it('sends the one probe when it claims it, and closes the board for everyone when it succeeds', async () => {
    const shared = board({ open: true, probeFree: true });
    const breaker = createCircuitBreaker({
      consecutiveFailures: 1,
      halfOpenAfterMs: 1000,
      board: shared.board,
    });
    (await breaker.acquire()).failure();
    const probe = breaker.acquire();
    await vi.advanceTimersByTimeAsync(1000);
    expect(breaker.state().status).toBe('half_open');
    expect(shared.state.probes).toBe(1);
    (await probe).success();
    expect(breaker.state().status).toBe('closed');
    await vi.advanceTimersByTimeAsync(0);
    expect(shared.state.closed).toBe(1);
  });
});
