/** The integration config loader: YAML or code in, a validated camelCase IntegrationConfig out. */
export type { AuthConfig } from '../config/auth-schema.ts';
export type { CircuitBreakerConfig } from '../config/circuit-breaker-schema.ts';
export type { ConfigProblem } from '../config/config-problem.ts';
export type { OptionsConfig } from '../config/options-schema.ts';
export type { PaginationConfig } from '../config/pagination-schema.ts';
export type { RateLimitConfig } from '../config/rate-limit-schema.ts';
export type { ResponseRuleConfig } from '../config/responses-schema.ts';
export type { RetryConfig } from '../config/retry-schema.ts';
export type { TimeoutsConfig } from '../config/timeouts-schema.ts';
export { insecureUrlReason, isLoopbackUrl } from '../config/url-policy.ts';
export { defineIntegration, envRef, fileRef } from './define-integration.ts';
export { renderConfigurationReference } from './generate-docs.ts';
export { type IntegrationConfig, type IntegrationInput, integrationSchema } from './integration-schema.ts';
export { type LoadIntegrationOptions, loadIntegrationConfig } from './load-integration-config.ts';
export { type ParseIntegrationOptions, parseIntegrationConfig } from './parse-integration-config.ts';
export {
  type ConfigEnv,
  type ReadTextFile,
  type ResolveOptions,
  resolveIntegration,
} from './resolve-integration.ts';
