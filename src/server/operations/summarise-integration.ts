import { redactSecrets } from '../../core/secret-registry.ts';
import type { ConnectorConfig, IntegrationConfig } from '../../integration/integration-schema.ts';
import type { ConnectorSummary, IntegrationSummary } from './operations-types.ts';

/** Option keys that say where a connector reads or writes, in the order they are looked for. */
const ENDPOINT_KEYS = ['url', 'endpoint', 'path', 'file', 'directory'] as const;

function summariseConnector(connector: ConnectorConfig): ConnectorSummary {
  const options = connector.options;
  const endpoint = ENDPOINT_KEYS.map((key) => options[key]).find((value) => typeof value === 'string');
  const auth = options.auth;
  const authType =
    typeof auth === 'object' && auth !== null && typeof (auth as { type?: unknown }).type === 'string'
      ? (auth as { type: string }).type
      : 'none';
  return {
    type: connector.type,
    // A URL may carry a key in its query or a password before its host: masked like any logged text.
    endpoint: typeof endpoint === 'string' ? redactSecrets(endpoint) : null,
    auth: authType,
  };
}

/**
 * An integration's config as the API and pages show it. Only named, non-secret facts are copied out
 * (types, where, auth types), never option values wholesale, so no credential can come along.
 */
export function summariseIntegration(config: IntegrationConfig): IntegrationSummary {
  return {
    file: config.file,
    source: summariseConnector(config.source),
    destination: summariseConnector(config.destination),
    mapping: config.mappingPath,
  };
}
