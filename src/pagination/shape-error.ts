import { FerryError } from '../core/errors.ts';
import { redactSecrets } from '../core/secret-registry.ts';
import { jsonTypeOf } from './dot-path.ts';

/**
 * The FERRY_ERR_SOURCE_SHAPE error for a page whose body is not what the config says: names the page,
 * the URL, the path and what was found there ("expected an array at data.items, found object").
 */
export function sourceShapeError(
  where: { readonly url: URL | string; readonly pageNumber: number },
  expected: string,
  path: string,
  found: { readonly value: unknown } | { readonly missingAt: string },
): FerryError {
  const url = redactSecrets(String(where.url));
  const at = path === '' ? 'the top of the body' : path;
  const what =
    'value' in found
      ? jsonTypeOf(found.value)
      : `nothing (no ${found.missingAt === '' ? 'value' : `"${found.missingAt}"`})`;
  return new FerryError(
    'FERRY_ERR_SOURCE_SHAPE',
    `page ${where.pageNumber} from ${url}: expected ${expected} at ${at}, found ${what}`,
    {
      details: {
        url,
        pageNumber: where.pageNumber,
        path,
        expected,
        found: 'value' in found ? what : 'nothing',
      },
    },
  );
}
