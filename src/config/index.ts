/** The integration config loader: YAML or code in, a validated camelCase IntegrationConfig out. */
export type { AuthConfig } from './auth-schema.ts';
export type { CircuitBreakerConfig } from './circuit-breaker-schema.ts';
export type { ConfigProblem } from './config-problem.ts';
export { defineIntegration, envRef, fileRef } from './define-integration.ts';
export type { DestinationConfig } from './destination-schema.ts';
export { renderConfigurationReference } from './generate-docs.ts';
export { type IntegrationConfig, type IntegrationInput, integrationSchema } from './integration-schema.ts';
export { type LoadIntegrationOptions, loadIntegrationConfig } from './load-integration-config.ts';
export type { OptionsConfig } from './options-schema.ts';
export type { PaginationConfig } from './pagination-schema.ts';
export { type ParseIntegrationOptions, parseIntegrationConfig } from './parse-integration-config.ts';
export type { RateLimitConfig } from './rate-limit-schema.ts';
export {
  type ConfigEnv,
  type ReadTextFile,
  type ResolveOptions,
  resolveIntegration,
} from './resolve-integration.ts';
export type { ResponseRuleConfig } from './responses-schema.ts';
export type { RetryConfig } from './retry-schema.ts';
export type { SourceConfig } from './source-schema.ts';
export type { TimeoutsConfig } from './timeouts-schema.ts';
export { insecureUrlReason, isLoopbackUrl } from './url-policy.ts';
