import { FerryError } from '../core/errors.ts';
import type { HttpRequest, HttpResponse, Interceptor, Send } from '../core/http-types.ts';
import { redactSecrets } from '../core/secret-registry.ts';
import { originOf } from './origin-of.ts';

const REDIRECTS = new Set([301, 302, 303, 307, 308]);

/** Options for following redirects. */
export interface RedirectOptions {
  /** Most redirects followed for one request. @default 5 */
  maxRedirects?: number;
}

/**
 * Follows 301/302/303/307/308 for GET when Location stays on the request's origin, up to maxRedirects.
 * A redirect to another origin throws FERRY_ERR_HTTP_CROSS_ORIGIN before anything is sent there, so
 * credentials (applied by the auth interceptor inside this one) never leave their origin. Other methods
 * get the 3xx back unchanged.
 */
export function redirectInterceptor(options: RedirectOptions = {}): Interceptor {
  const maxRedirects = options.maxRedirects ?? 5;
  const follow = async (next: Send, req: HttpRequest): Promise<HttpResponse> => {
    const origin = originOf(req.url);
    let current = req;
    for (let hops = 0; ; hops++) {
      const response = await next(current);
      const location = response.headers.location;
      if (req.method !== 'GET' || !REDIRECTS.has(response.status) || location === undefined) return response;
      const target = new URL(location, current.url);
      const from = redactSecrets(current.url);
      if (target.origin !== origin) {
        throw new FerryError(
          'FERRY_ERR_HTTP_CROSS_ORIGIN',
          `GET ${from} (${req.endpoint}): refused a ${response.status} redirect to another origin ${target.origin}; credentials are only sent to ${origin}`,
          {
            details: {
              url: from,
              status: response.status,
              targetOrigin: target.origin,
              endpoint: req.endpoint,
            },
          },
        );
      }
      if (hops >= maxRedirects) {
        throw new FerryError(
          'FERRY_ERR_HTTP_STATUS',
          `GET ${redactSecrets(req.url)} (${req.endpoint}): more than ${maxRedirects} redirects`,
          { details: { url: redactSecrets(req.url), status: response.status, endpoint: req.endpoint } },
        );
      }
      current = { ...current, url: target.href };
    }
  };
  return (next) => (req) => {
    if (req.method === 'GET') return follow(next, req);
    // Nothing to follow: straight through, without an async layer of its own; failures still reject,
    // an unparsable URL with the same TypeError as before.
    try {
      originOf(req.url);
      return next(req);
    } catch (error) {
      return Promise.reject(error);
    }
  };
}
