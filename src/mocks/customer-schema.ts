/**
 * JSON Schema of a customer as the mock source serves it, for its OpenAPI document. Deliberately loose:
 * the source serves dirty records (ids as numbers, fields missing, extra fields) and documents that.
 */
export const customerSchema = {
  type: 'object',
  additionalProperties: true,
  properties: {
    customer_id: {
      type: ['string', 'integer'],
      description: 'Usually a string; sometimes a number or empty.',
    },
    first_name: { type: 'string' },
    last_name: { type: 'string' },
    email: { type: 'string', description: 'May be missing, implausible or padded with spaces.' },
    address: {
      type: 'object',
      additionalProperties: true,
      properties: {
        street: { type: 'string' },
        city: { type: 'string' },
        state: { type: 'string' },
        zip: { type: ['string', 'integer'] },
      },
    },
    phone: { type: ['string', 'null'] },
    updated_at: { type: 'string', format: 'date-time', description: 'When the customer last changed (UTC).' },
    deleted_at: {
      type: 'string',
      format: 'date-time',
      description: 'Only on deleted customers (soft delete: they are still listed), when they were deleted.',
    },
  },
  example: {
    customer_id: '123',
    first_name: 'John',
    last_name: 'Doe',
    email: 'john.doe@example.com',
    address: { street: '123 Main St', city: 'Anytown', state: 'CA', zip: '12345' },
    phone: '555-123-4567',
    updated_at: '2025-01-01T00:00:41.000Z',
  },
} as const;
