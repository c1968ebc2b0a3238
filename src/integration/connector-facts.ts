import type { z } from 'zod';
import { type AuthConfig, type authSchema, toAuthConfig } from '../config/auth-schema.ts';
import type { ConnectorConfig } from './integration-schema.ts';

/**
 * The credentials a connector block sends, for the checks and hints that name them; undefined for a
 * connector without an `auth` block (a file). Every HTTP connector spreads the same auth schema.
 */
export function authOf(connector: ConnectorConfig): AuthConfig | undefined {
  const auth = connector.options.auth;
  // The integration schema parsed the block with the connector's schema, which spreads authSchema.
  return auth === undefined ? undefined : toAuthConfig(auth as z.output<typeof authSchema>);
}

/** The connector's URL (`url`, or `endpoint` for SOAP) when it has one, for messages. */
export function urlOf(connector: ConnectorConfig): string | undefined {
  const { url, endpoint } = connector.options;
  return typeof url === 'string' ? url : typeof endpoint === 'string' ? endpoint : undefined;
}

/** Where a connector block points, for summaries: its URL's origin, its file, or its type. */
export function whereOf(connector: ConnectorConfig): string {
  const url = urlOf(connector);
  if (url !== undefined && URL.canParse(url)) return new URL(url).origin;
  const { path } = connector.options;
  return typeof path === 'string' ? `${connector.type} ${path}` : connector.type;
}
