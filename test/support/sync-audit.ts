import { fileURLToPath } from 'node:url';
import { loadMapping } from '../../src/mapping/load-mapping.ts';
import type { CompiledMapping } from '../../src/mapping/mapping-types.ts';
import type { MockCustomer } from '../../src/mocks/customer-data.ts';
import type { MockOrder } from '../../src/mocks/order-schema.ts';

const mappingFile = fileURLToPath(
  new URL('../../examples/customers-to-orders.mapping.yaml', import.meta.url),
);

/** What the order API must hold: for each customer id, the order its latest version maps to, or none. */
async function expectedOrders(customers: readonly MockCustomer[], mapping: CompiledMapping) {
  // The latest version of each customer id: the last by updated_at, then position (the order the API lists).
  const latest = new Map<string, MockCustomer>();
  const byTime = customers
    .map((customer, index) => ({ customer, index }))
    .sort((a, b) =>
      a.customer.updated_at! < b.customer.updated_at!
        ? -1
        : a.customer.updated_at! > b.customer.updated_at!
          ? 1
          : a.index - b.index,
    );
  for (const { customer } of byTime) {
    const key = await mapping.keyOf(customer);
    if (key.ok) latest.set(key.key, customer);
  }
  const orders = new Map<string, Record<string, unknown>>();
  for (const customer of latest.values()) {
    if (await mapping.isDeleted?.(customer)) continue;
    const mapped = await mapping.apply(customer, { firstMappedAt: '2000-01-01T00:00:00Z' });
    if (!mapped.ok) continue;
    const { orderDate: _date, ...body } = mapped.body;
    orders.set(String(body.orderId), body);
  }
  return orders;
}

/**
 * The orders an order API holds against the flagship mapping of every customer's latest version: what is
 * missing, extra, stale or doubled.
 */
export async function auditSync(customers: readonly MockCustomer[], held: readonly MockOrder[]) {
  const mapping = await loadMapping(mappingFile);
  const expected = await expectedOrders(customers, mapping);
  const perId = new Map<string, MockOrder[]>();
  for (const order of held) perId.set(order.orderId, [...(perId.get(order.orderId) ?? []), order]);
  const stale: string[] = [];
  for (const [id, body] of expected) {
    const [order] = perId.get(id) ?? [];
    if (order === undefined) continue;
    const { orderDate: _date, ...rest } = order;
    if (JSON.stringify(rest) !== JSON.stringify(body)) stale.push(id);
  }
  return {
    expected: expected.size,
    missing: [...expected.keys()].filter((id) => !perId.has(id)),
    unexpected: [...perId.keys()].filter((id) => !expected.has(id)),
    duplicated: [...perId].filter(([, orders]) => orders.length > 1).map(([id]) => id),
    stale,
  };
}
