import type { IntegrationInput } from './integration-schema.ts';

/** Types an integration written in TypeScript; validate it with resolveIntegration(). */
export function defineIntegration(config: IntegrationInput): IntegrationInput {
  return config;
}

/** A `${NAME}` (or `${NAME:-fallback}`) reference, the way secrets must be given in code as in YAML. */
export function envRef(name: string, fallback?: string): string {
  return fallback === undefined ? `\${${name}}` : `\${${name}:-${fallback}}`;
}

/** A `${file:path}` reference; relative paths resolve against the integration's baseDir. */
export function fileRef(path: string): string {
  return `\${file:${path}}`;
}
