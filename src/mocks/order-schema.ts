import { readExampleFile } from './example-file.ts';

/** The order as the mock destination takes it (examples/schemas/order.schema.json). */
export interface MockOrder {
  orderId: string;
  customerInfo: { id: string; name: string; contactEmail: string; contactPhone?: string };
  shippingAddress: { line1: string; city: string; region: string; postalCode: string };
  orderDate: string;
}

let cached: Record<string, unknown> | undefined;

/** The destination's JSON Schema, read once from examples/schemas/order.schema.json (a fresh copy each call). */
export function loadOrderSchema(): Record<string, unknown> {
  cached ??= JSON.parse(readExampleFile('schemas/order.schema.json')) as Record<string, unknown>;
  return structuredClone(cached);
}

/** The seed's example order, used in the OpenAPI document. */
export const EXAMPLE_ORDER: MockOrder = {
  orderId: 'ORD-001',
  customerInfo: {
    id: '123',
    name: 'John Doe',
    contactEmail: 'john.doe@example.com',
    contactPhone: '555-123-4567',
  },
  shippingAddress: { line1: '123 Main St', city: 'Anytown', region: 'CA', postalCode: '12345' },
  orderDate: '2023-10-15T14:30:00Z',
};
