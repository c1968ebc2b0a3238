import type { AuthConfig } from '../config/auth-schema.ts';
import { FerryError } from '../core/errors.ts';
import { authOf } from '../integration/connector-facts.ts';
import type { IntegrationConfig } from '../integration/integration-schema.ts';

type Side = 'source' | 'destination';

/** The keys of each auth type that hold what a server can refuse, snake_case, with their config field. */
const CREDENTIAL_KEYS: Record<AuthConfig['type'], ReadonlyArray<readonly [string, string]>> = {
  api_key: [['value', 'value']],
  bearer: [['token', 'token']],
  basic: [
    ['username', 'username'],
    ['password', 'password'],
  ],
  oauth2_client_credentials: [
    ['client_id', 'clientId'],
    ['client_secret', 'clientSecret'],
    ['private_key', 'privateKey'],
  ],
  jwt_bearer: [
    ['private_key', 'privateKey'],
    ['issuer', 'issuer'],
  ],
  none: [],
};

/**
 * Adds to an error meaning "these credentials were refused" what to check: the variables they came from
 * (`check DEST_CLIENT_ID / DEST_CLIENT_SECRET`), or the key paths in the file when written there. Any
 * other error is returned as it is.
 */
export function withCredentialHint(error: FerryError, config: IntegrationConfig): FerryError {
  const side = refusedSide(error, config);
  if (!side) return error;
  const auth = authOf(config[side]);
  if (!auth) return error;
  const hint =
    auth.type === 'none'
      ? noCredentialsHint(config, side)
      : `check ${credentialNames(config, side, auth).join(' / ')} (${side}.auth in ${config.file})`;
  return new FerryError(error.code, `${error.message}; ${hint}`, {
    details: error.details,
    ...(error.cause === undefined ? {} : { cause: error.cause }),
  });
}

/** A side that sent no credentials: either its file has no auth block, or its API key came out empty. */
function noCredentialsHint(config: IntegrationConfig, side: Side): string {
  const emptyKey = config.references[`${side}.auth.value`];
  if (emptyKey) {
    return `no API key was sent because ${emptyKey.join(' / ')} is empty or unset: set it (${side}.auth.value in ${config.file})`;
  }
  return `${side} has no auth block, but the server wants credentials: add ${side}.auth to ${config.file}`;
}

/** Which side's credentials the error says were refused, if it says that. */
function refusedSide(error: FerryError, config: IntegrationConfig): Side | undefined {
  if (error.code === 'FERRY_ERR_AUTH_TOKEN') {
    const tokenUrl = error.details.tokenUrl;
    for (const side of ['destination', 'source'] as const) {
      const auth = authOf(config[side]);
      if (auth?.type === 'oauth2_client_credentials' && auth.tokenUrl === tokenUrl) return side;
    }
    return undefined;
  }
  if (error.code === 'FERRY_ERR_HTTP_UNAUTHORIZED') {
    const endpoint = error.details.endpoint;
    return endpoint === 'source' || endpoint === 'destination' ? endpoint : undefined;
  }
  return undefined;
}

function credentialNames(config: IntegrationConfig, side: Side, auth: AuthConfig): string[] {
  const names: string[] = [];
  for (const [key, field] of CREDENTIAL_KEYS[auth.type]) {
    if ((auth as Record<string, unknown>)[field] === undefined) continue;
    const path = `${side}.auth.${key}`;
    const references = config.references[path];
    if (!references) names.push(path);
    else
      for (const name of references)
        names.push(name.startsWith('file:') ? `the file ${name.slice(5)}` : name);
  }
  return [...new Set(names)];
}
