import { GraphQLError } from 'graphql';

const PREFIX = 'customer:';

/** The opaque Relay cursor of the customer at `index` (0-based) of the data set. */
export function encodeCursor(index: number): string {
  return Buffer.from(`${PREFIX}${index}`).toString('base64url');
}

/**
 * The index a cursor stands for; a GraphQL BAD_USER_INPUT error when this API did not issue it or it
 * points past the data set of `count` customers.
 */
export function decodeCursor(cursor: string, count: number): number {
  const text = Buffer.from(cursor, 'base64url').toString();
  const index = text.startsWith(PREFIX) ? Number(text.slice(PREFIX.length)) : Number.NaN;
  // Re-encoding rejects strings base64url decodes leniently (padding, stray characters, "customer:01").
  if (!Number.isSafeInteger(index) || index < 0 || index >= count || encodeCursor(index) !== cursor) {
    throw new GraphQLError(
      `after: "${cursor.slice(0, 80)}" is not a cursor of this data set of ${count} customers; ` +
        'pass an edge cursor or pageInfo.endCursor as it was returned',
      { extensions: { code: 'BAD_USER_INPUT', argument: 'after' } },
    );
  }
  return index;
}
