import { describe, expect, it } from 'vitest';
import {
  createErrorClassifier,
  decidingClass,
  type GraphqlErrorEntry,
  readGraphqlAnswer,
  variableFieldOf,
} from './graphql-errors.ts';

const withData = { hasData: true };
const withoutData = { hasData: false };

describe('GraphQL error classes', () => {
  const classOf = createErrorClassifier();

  it('reads the common codes, in any letter case, and leaves unknown ones unknown', () => {
    const entry = (code: string): GraphqlErrorEntry => ({ message: 'x', code });
    expect(classOf(entry('UNAUTHENTICATED'), withData)).toBe('refresh_auth');
    expect(classOf(entry('forbidden'), withData)).toBe('forbidden');
    expect(classOf(entry('THROTTLED'), withData)).toBe('rate_limited');
    expect(classOf(entry('SERVICE_UNAVAILABLE'), withData)).toBe('retry');
    expect(classOf(entry('GRAPHQL_VALIDATION_FAILED'), withData)).toBe('invalid');
    expect(classOf(entry('BAD_USER_INPUT'), withData)).toBe('refused');
    expect(classOf(entry('TAKEN'), withData)).toBe('conflict');
    expect(classOf(entry('SOMETHING_ELSE'), withData)).toBe('unknown');
  });

  it("lets the user's codes win over the defaults", () => {
    const custom = createErrorClassifier({ retry: ['BAD_USER_INPUT'], forbidden: ['NOPE'] });
    expect(custom({ message: 'x', code: 'BAD_USER_INPUT' }, withData)).toBe('retry');
    expect(custom({ message: 'x', code: 'nope' }, withData)).toBe('forbidden');
  });

  it("judges uncoded errors by graphql-js's words and GraphQL over HTTP's request errors", () => {
    expect(classOf({ message: 'Syntax Error: Expected Name, found "}".' }, withoutData)).toBe('invalid');
    expect(classOf({ message: 'Variable "$input" has invalid value at .a: boom' }, withoutData)).toBe(
      'refused',
    );
    expect(classOf({ message: 'Cannot query field "x" on type "Query".' }, withoutData)).toBe('invalid');
    expect(classOf({ message: 'resolver failed', path: ['customers'] }, withData)).toBe('unknown');
  });

  it('retries only when every error is worth retrying', () => {
    expect(decidingClass(['retry', 'rate_limited'])).toBe('rate_limited');
    expect(decidingClass(['retry', 'unknown'])).toBe('unknown');
    expect(decidingClass(['refused', 'invalid', 'retry'])).toBe('invalid');
  });
});

describe('readGraphqlAnswer', () => {
  it('tells a request error (no data) from a failed execution (data null) and keeps sloppy entries', () => {
    expect(readGraphqlAnswer({ errors: [{ message: 'm' }] })).toEqual({
      hasData: false,
      data: undefined,
      errors: [{ message: 'm' }],
    });
    expect(
      readGraphqlAnswer({
        data: null,
        errors: [{ extensions: { classification: 'DataFetchingException' } }],
      }),
    ).toEqual({
      hasData: true,
      data: null,
      errors: [
        {
          message: '(an error without a message)',
          code: 'DataFetchingException',
          extensions: { classification: 'DataFetchingException' },
        },
      ],
    });
    expect(readGraphqlAnswer([1])).toBe('expected a GraphQL response (an object with data and/or errors)');
    expect(readGraphqlAnswer({ errors: 'boom' })).toBe('expected errors to be a list');
  });
});

describe('variableFieldOf', () => {
  it('finds the field in graphql-js 17 and 16 wordings and in extensions.field', () => {
    const field = (message: string, extensions?: Record<string, unknown>) =>
      variableFieldOf({ message, ...(extensions ? { extensions } : {}) }, 'input');
    expect(field('Variable "$input" has invalid value at .customerInfo.contactEmail: Expected String.')).toBe(
      'customerInfo.contactEmail',
    );
    expect(
      field(
        'Variable "$input" has invalid value at .shippingAddress: Expected value of type "A" to include required field "city", found: {}.',
      ),
    ).toBe('shippingAddress.city');
    expect(
      field(
        'Variable "$input" has invalid value: Expected value of type "OrderInput" to include required field "orderDate".',
      ),
    ).toBe('orderDate');
    expect(
      field('Variable "$input" got invalid value 5 at "input.customerInfo.id"; Expected type "String".'),
    ).toBe('customerInfo.id');
    expect(
      field(
        'Variable "$input" got invalid value {}; Field "orderId" of required type "ID!" was not provided.',
      ),
    ).toBe('orderId');
    expect(field('refused', { field: ['input', 'orderId'] })).toBe('orderId');
    expect(field('refused')).toBeUndefined();
  });
});
