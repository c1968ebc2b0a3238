import { GraphQLError } from 'graphql';
import { decodeCursor } from './customer-cursor.ts';
import { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE } from './schema.ts';

/** The paging arguments of `customers`, as graphql-js hands them over (absent or null when not given). */
export interface PageArgs {
  first?: number | null;
  after?: string | null;
  offset?: number | null;
  limit?: number | null;
}

/** The half-open range [start, end) of the data set one `customers` query returns. */
export interface PageWindow {
  start: number;
  end: number;
}

function badInput(argument: string, message: string): GraphQLError {
  return new GraphQLError(`${argument}: ${message}`, { extensions: { code: 'BAD_USER_INPUT', argument } });
}

function size(argument: 'first' | 'limit', value: number): number {
  if (value < 0) throw badInput(argument, `must be 0 or more, got ${value}`);
  if (value > MAX_PAGE_SIZE) throw badInput(argument, `must be at most ${MAX_PAGE_SIZE}, got ${value}`);
  return value;
}

/**
 * Which customers a query asks for, out of `total`: cursor paging (first, after) or offset paging (offset,
 * limit). Mixing the two, a size over the cap, a negative value or a cursor this API did not issue is a
 * GraphQL BAD_USER_INPUT error naming the argument.
 */
export function pageWindow(args: PageArgs, total: number): PageWindow {
  const { first, after, offset, limit } = args;
  if (first != null && limit != null) throw badInput('limit', 'give first or limit, not both');
  if (after != null && offset != null) throw badInput('offset', 'give after (cursor) or offset, not both');
  if (offset != null && offset < 0) throw badInput('offset', `must be 0 or more, got ${offset}`);
  const count =
    first != null ? size('first', first) : limit != null ? size('limit', limit) : DEFAULT_PAGE_SIZE;
  const start = after != null ? decodeCursor(after, total) + 1 : Math.min(offset ?? 0, total);
  return { start, end: Math.min(total, start + count) };
}
