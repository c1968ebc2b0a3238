import { distinctValidCustomerIds } from '../../src/mocks/index.ts';

/** What the destination holds compared with what it should hold: one order per distinct valid customer. */
export interface OrderAudit {
  /** Orders the destination should hold (distinct valid customers). */
  readonly expected: number;
  /** Orders it stored, duplicates included. */
  readonly stored: number;
  /** Expected orderIds the destination does not hold. */
  readonly missing: readonly string[];
  /** orderIds stored more than once. */
  readonly duplicated: readonly string[];
  /** orderIds stored that no valid customer should have produced. */
  readonly unexpected: readonly string[];
}

/** The flagship mapping's orderId for a customer id (`"ORD-" & $string(customer_id)`). */
export const orderIdFor = (customerId: string): string => `ORD-${customerId}`;

/**
 * Counts `orders` per orderId against the expectation computed from the mock data set alone (seed, count),
 * never from anything ferry reported.
 */
export function auditOrders(
  orders: readonly { readonly orderId: string }[],
  seed: number,
  count: number,
): OrderAudit {
  const expectedIds = distinctValidCustomerIds(seed, count).map(orderIdFor);
  const perId = new Map<string, number>();
  for (const order of orders) perId.set(order.orderId, (perId.get(order.orderId) ?? 0) + 1);
  const expectedSet = new Set(expectedIds);
  return {
    expected: expectedIds.length,
    stored: orders.length,
    missing: expectedIds.filter((id) => !perId.has(id)),
    duplicated: [...perId].filter(([, n]) => n > 1).map(([id]) => id),
    unexpected: [...perId.keys()].filter((id) => !expectedSet.has(id)),
  };
}

/** The parts of `ferry run --json`'s report these tests read. */
export interface RunReportCounts {
  readonly status: string;
  readonly counts: {
    readonly read: number;
    readonly delivered: number;
    readonly skipped: number;
    readonly quarantined: number;
    readonly failed: number;
  };
  /** Records quarantined or failed exactly as in an earlier run; they alone do not make exit code 1. */
  readonly known: { readonly stillQuarantined: number; readonly stillFailed: number };
}

/** Parses the report `ferry run --json` printed on stdout, naming the output when it is not JSON. */
export function parseReport(stdout: string, stderr = ''): RunReportCounts {
  try {
    return JSON.parse(stdout) as RunReportCounts;
  } catch (error) {
    throw new Error(
      `ferry run --json printed no report; stdout:\n${stdout.slice(-1000)}\nstderr:\n${stderr.slice(-2000)}`,
      { cause: error },
    );
  }
}
