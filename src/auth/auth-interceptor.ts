import type { HttpRequest, Interceptor } from '../core/http-types.ts';
import { isAllowedOrigin } from './origin.ts';
import type { AuthObserver, RefreshableAuthStrategy } from './refreshable-auth-strategy.ts';
import { withoutCredentials } from './request-credentials.ts';

/**
 * Creates the auth interceptor: requests to an allowed origin get the strategy's credentials, requests to
 * any other origin go out with every credential stripped. On a 401, or a response the classify layer
 * judged refresh_auth, it refreshes once and retries once; a second refusal is returned as it is, for the
 * connector to turn into FERRY_ERR_HTTP_UNAUTHORIZED.
 * Any AuthStrategy can be passed; ferry's own also report refreshes to `observer`.
 */
export function authInterceptor(strategy: RefreshableAuthStrategy, observer?: AuthObserver): Interceptor {
  if (observer && strategy.observe) strategy.observe(observer);
  return (next) => async (request: HttpRequest) => {
    if (!isAllowedOrigin(request.url, strategy.allowedOrigins)) {
      return next(withoutCredentials(request, strategy.credentialNames));
    }
    const authorized = strategy.authorizeNow?.(request) ?? (await strategy.authorize(request));
    const response = await next(authorized);
    // A 401, or a protocol's own "unauthenticated" inside a 200 (GraphQL's UNAUTHENTICATED), as the
    // classify layer below judged it.
    if (response.status !== 401 && response.action?.type !== 'refresh_auth') return response;
    if (!(await strategy.refresh(authorized))) return response;
    return next(await strategy.authorize(request));
  };
}
