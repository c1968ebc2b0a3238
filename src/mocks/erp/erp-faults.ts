import { FerryError } from '../../core/errors.ts';
import { createFaultInjector } from '../fault-injector.ts';
import { type RetryAfterForm, resolveFaults } from '../fault-options.ts';
import { createRandom, hashSeed } from '../prng.ts';

/** Seeded faults of the ERP mock; every rate is a share of authenticated SOAP requests between 0 and 1. */
export interface ErpFaultOptions {
  /** Share answered with a `soap:Server` fault `SERVICE_BUSY`. @default 0 */
  serviceBusyRate?: number;
  /** Share answered with a `soap:Server` fault `INTERNAL_ERROR`. @default 0 */
  internalErrorRate?: number;
  /** Share answered `503` with `Retry-After` and a non-SOAP body, as a gateway in front would. @default 0 */
  unavailableRate?: number;
  /** Share of CreateOrder requests handled in full (the order stored), then the connection reset. @default 0 */
  lostAckRate?: number;
  /** Added before every SOAP request is answered. @default 0 */
  latencyMs?: number;
  /** Form of Retry-After on a 503. @default 'seconds' */
  retryAfter?: RetryAfterForm;
  /** Seconds a 503 asks to wait. @default 1 */
  retryAfterSeconds?: number;
}

/** What the draw decided for one request. */
export type ErpFaultDecision = 'none' | 'service_busy' | 'internal_error' | 'unavailable' | 'lost_ack';

/** The seeded fault draws of one ERP mock: request n gets the same fate for the same seed. */
export interface ErpFaults {
  readonly latencyMs: number;
  /** Decides the fate of the next authenticated request; always consumes the same number of draws. */
  next(): ErpFaultDecision;
  /** The Retry-After value of a 503, in the configured form. */
  retryAfter(nowMs: number): string;
  /** Starts the sequences again, as a fresh server with the same seed would. */
  reset(): void;
}

function rate(name: keyof ErpFaultOptions, value: number | undefined): number {
  if (value === undefined) return 0;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || value > 1) {
    throw new FerryError(
      'FERRY_ERR_USAGE',
      `ERP mock fault option ${name} must be a number from 0 to 1, got ${String(value)}`,
      { details: { option: name, value } },
    );
  }
  return value;
}

/** Checks the options (FERRY_ERR_USAGE naming the option) and creates the draws. */
export function createErpFaults(seed: number, options: ErpFaultOptions = {}): ErpFaults {
  // The options the REST mocks share are checked, and Retry-After written, by the same code as theirs.
  const shared = resolveFaults({
    ...(options.lostAckRate === undefined ? {} : { lostAckRate: options.lostAckRate }),
    ...(options.latencyMs === undefined ? {} : { latencyMs: options.latencyMs }),
    ...(options.retryAfter === undefined ? {} : { retryAfter: options.retryAfter }),
    ...(options.retryAfterSeconds === undefined ? {} : { retryAfterSeconds: options.retryAfterSeconds }),
  });
  const busy = rate('serviceBusyRate', options.serviceBusyRate);
  const internal = busy + rate('internalErrorRate', options.internalErrorRate);
  const unavailable = internal + rate('unavailableRate', options.unavailableRate);
  const lostAck = unavailable + shared.lostAckRate;
  if (lostAck > 1 + 1e-9) {
    throw new FerryError(
      'FERRY_ERR_USAGE',
      `ERP mock fault rates add up to ${lostAck}, more than 1 ` +
        '(serviceBusyRate + internalErrorRate + unavailableRate + lostAckRate)',
      { details: { ...options } },
    );
  }
  const retryAfter = createFaultInjector(seed, shared);
  let draws = createRandom(hashSeed(seed, 0x0e7f));
  return {
    latencyMs: shared.latencyMs,
    next() {
      const u = draws();
      if (u < busy) return 'service_busy';
      if (u < internal) return 'internal_error';
      if (u < unavailable) return 'unavailable';
      if (u < lostAck) return 'lost_ack';
      return 'none';
    },
    retryAfter: (nowMs) => retryAfter.retryAfter(shared.retryAfterSeconds, nowMs),
    reset() {
      draws = createRandom(hashSeed(seed, 0x0e7f));
      retryAfter.reset();
    },
  };
}
