import { z } from 'zod';

const maxPages = () =>
  z
    .number()
    .int()
    .min(1)
    .default(100_000)
    .describe('Stops with an error after this many pages: a guard against endless loops.');

const autoSchema = z
  .strictObject({ type: z.literal('auto'), max_pages: maxPages() })
  .describe('Follows a `Link: rel="next"` header when the API sends one; otherwise reads a single page.');
const noneSchema = z.strictObject({ type: z.literal('none') }).describe('Reads a single page.');
const linkHeaderSchema = z
  .strictObject({ type: z.literal('link_header'), max_pages: maxPages() })
  .describe('Follows `Link: rel="next"` headers (RFC 8288).');
const pageNumberSchema = z
  .strictObject({
    type: z.literal('page_number'),
    page_param: z.string().min(1).default('page').describe('Query parameter carrying the page number.'),
    size_param: z.string().min(1).default('per_page').describe('Query parameter carrying the page size.'),
    page_size: z.number().int().min(1).default(100).describe('Records requested per page.'),
    start: z.number().int().min(0).default(1).describe('Number of the first page.'),
    max_pages: maxPages(),
  })
  .describe(
    'Counts pages up until one comes back empty, the announced total is reached, or an `end_of_data` response rule matches; a short page does not end the read (servers cap page sizes).',
  );
const offsetSchema = z
  .strictObject({
    type: z.literal('offset'),
    offset_param: z.string().min(1).default('offset').describe('Query parameter carrying the offset.'),
    limit_param: z.string().min(1).default('limit').describe('Query parameter carrying the limit.'),
    limit: z.number().int().min(1).default(100).describe('Records requested per page.'),
    max_pages: maxPages(),
  })
  .describe(
    'Advances an offset by the number of records received until a page comes back empty, the announced total is reached, or an `end_of_data` response rule matches; a short page does not end the read.',
  );
const cursorSchema = z
  .strictObject({
    type: z.literal('cursor'),
    cursor_path: z
      .string()
      .min(1)
      .default('meta.next_cursor')
      .describe('Dot path to the next cursor in the body; absent, null or "" ends.'),
    cursor_param: z.string().min(1).default('cursor').describe('Query parameter the cursor is sent in.'),
    max_pages: maxPages(),
  })
  .describe('Sends the cursor found in each body with the next request.');
const nextUrlSchema = z
  .strictObject({
    type: z.literal('next_url'),
    next_url_path: z
      .string()
      .min(1)
      .default('links.next')
      .describe('Dot path to the next page URL in the body; absent, null or "" ends.'),
    max_pages: maxPages(),
  })
  .describe('Follows a next-page URL found in each body (same origin only).');

/** The `pagination` block: how the source's pages are walked, chosen by `type`. */
export const paginationSchema = z
  .discriminatedUnion('type', [
    autoSchema,
    noneSchema,
    linkHeaderSchema,
    pageNumberSchema,
    offsetSchema,
    cursorSchema,
    nextUrlSchema,
  ])
  .prefault({ type: 'auto' })
  .describe('How to walk the source pages.');

/** Pagination settings as code sees them. */
export type PaginationConfig =
  | { readonly type: 'auto'; readonly maxPages: number }
  | { readonly type: 'none' }
  | { readonly type: 'link_header'; readonly maxPages: number }
  | {
      readonly type: 'page_number';
      readonly pageParam: string;
      readonly sizeParam: string;
      readonly pageSize: number;
      readonly start: number;
      readonly maxPages: number;
    }
  | {
      readonly type: 'offset';
      readonly offsetParam: string;
      readonly limitParam: string;
      readonly limit: number;
      readonly maxPages: number;
    }
  | {
      readonly type: 'cursor';
      readonly cursorPath: string;
      readonly cursorParam: string;
      readonly maxPages: number;
    }
  | { readonly type: 'next_url'; readonly nextUrlPath: string; readonly maxPages: number };

/** Converts a parsed `pagination` block to its camelCase form. */
export function toPaginationConfig(parsed: z.output<typeof paginationSchema>): PaginationConfig {
  switch (parsed.type) {
    case 'auto':
    case 'link_header':
      return { type: parsed.type, maxPages: parsed.max_pages };
    case 'none':
      return { type: 'none' };
    case 'page_number':
      return {
        type: 'page_number',
        pageParam: parsed.page_param,
        sizeParam: parsed.size_param,
        pageSize: parsed.page_size,
        start: parsed.start,
        maxPages: parsed.max_pages,
      };
    case 'offset':
      return {
        type: 'offset',
        offsetParam: parsed.offset_param,
        limitParam: parsed.limit_param,
        limit: parsed.limit,
        maxPages: parsed.max_pages,
      };
    case 'cursor':
      return {
        type: 'cursor',
        cursorPath: parsed.cursor_path,
        cursorParam: parsed.cursor_param,
        maxPages: parsed.max_pages,
      };
    case 'next_url':
      return { type: 'next_url', nextUrlPath: parsed.next_url_path, maxPages: parsed.max_pages };
  }
}
