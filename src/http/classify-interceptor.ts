import type { Interceptor } from '../core/http-types.ts';
import { type ClassifyOptions, classify, type ResponseRule } from './classify.ts';

/**
 * Judges every response once, where it is first seen (just above the transport), and attaches the
 * decision: the retry, rate-limit and breaker layers and the connector then act on the same answer
 * instead of each classifying again.
 */
export function classifyInterceptor(
  rules: readonly ResponseRule[],
  options: Omit<ClassifyOptions, 'now'> = {},
): Interceptor {
  return (next) => async (request) => {
    const response = await next(request);
    return { ...response, action: classify({ response }, rules, options) };
  };
}
