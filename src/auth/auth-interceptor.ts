import type { HttpRequest, Interceptor } from '../core/http-types.ts';
import { isAllowedOrigin } from './origin.ts';
import type { AuthObserver, RefreshableAuthStrategy } from './refreshable-auth-strategy.ts';
import { withoutCredentials } from './request-credentials.ts';

/**
 * Creates the auth interceptor: requests to an allowed origin get the strategy's credentials, requests to
 * any other origin go out with every credential stripped. On a 401 it refreshes once and retries once;
 * a second 401 is returned as it is, for the classifier to turn into FERRY_ERR_HTTP_UNAUTHORIZED.
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
    if (response.status !== 401) return response;
    if (!(await strategy.refresh(authorized))) return response;
    return next(await strategy.authorize(request));
  };
}
