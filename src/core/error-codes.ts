/**
 * Every error ferry raises has a stable code from this one table, documented once here and in
 * docs/errors.md (a test keeps the two in step). The kind says what the engine does about it.
 */
export type ErrorKind = 'transient' | 'rate_limited' | 'auth' | 'config' | 'record' | 'aborted' | 'internal';

interface ErrorCodeSpec {
  readonly kind: ErrorKind;
  readonly description: string;
}

export const errorCodes = {
  // configuration and usage
  FERRY_ERR_CONFIG_INVALID: {
    kind: 'config',
    description: 'The integration file does not match its schema.',
  },
  FERRY_ERR_CONFIG_NOT_FOUND: {
    kind: 'config',
    description:
      'A config, mapping, schema or source file cannot be read (missing, not permitted, not a file).',
  },
  FERRY_ERR_CONFIG_SYNTAX: { kind: 'config', description: 'A YAML or JSON file is not well-formed.' },
  FERRY_ERR_CONFIG_ENV_MISSING: {
    kind: 'config',
    // biome-ignore lint/suspicious/noTemplateCurlyInString: it names the config file's ${VAR} syntax.
    description: 'A ${VAR} reference names an unset variable.',
  },
  FERRY_ERR_CONFIG_LITERAL_SECRET: {
    kind: 'config',
    description: 'A secret is written literally in a config file instead of referenced.',
  },
  FERRY_ERR_CONFIG_INSECURE_URL: {
    kind: 'config',
    description: 'A plain http:// URL points off loopback without the explicit opt-out.',
  },
  FERRY_ERR_USAGE: { kind: 'config', description: 'The command line is wrong.' },
  FERRY_ERR_NOT_FOUND: {
    kind: 'config',
    description: 'The run, record, dead letter or integration asked for is not in the ledger or the server.',
  },
  FERRY_ERR_BUSY: {
    kind: 'config',
    description: 'The integration is running or replaying already; one run of an integration at a time.',
  },
  FERRY_ERR_ACCESS_DENIED: {
    kind: 'config',
    description:
      'The operations API refused a request: no or wrong credentials, a missing CSRF token, a foreign Origin or Host.',
  },
  FERRY_ERR_UNSAFE_BINDING: {
    kind: 'config',
    description: 'The operations API would listen beyond loopback without authentication configured.',
  },
  // mapping and records
  FERRY_ERR_MAPPING_INVALID: {
    kind: 'config',
    description: 'A mapping file or expression does not compile.',
  },
  FERRY_ERR_MAPPING_TIMEOUT: { kind: 'record', description: 'A mapping expression ran past its time limit.' },
  FERRY_ERR_RECORD_INVALID: { kind: 'record', description: 'A source record fails its input checks.' },
  FERRY_ERR_RECORD_UNMAPPABLE: {
    kind: 'record',
    description: 'Mapping a record failed or produced an invalid body.',
  },
  FERRY_ERR_RECORD_REJECTED: {
    kind: 'record',
    description: 'The destination refused a record (400, 409 with another body, 422).',
  },
  // http
  FERRY_ERR_HTTP_TRANSIENT: { kind: 'transient', description: 'A 5xx, 408, reset or timeout; retried.' },
  FERRY_ERR_HTTP_RATE_LIMITED: {
    kind: 'rate_limited',
    description: 'A 429 or exhausted quota; waited and retried.',
  },
  FERRY_ERR_HTTP_UNAUTHORIZED: {
    kind: 'auth',
    description: 'Credentials were refused even after a refresh.',
  },
  FERRY_ERR_HTTP_STATUS: {
    kind: 'config',
    description: 'An unexpected status from a fixed endpoint (404, 405...).',
  },
  FERRY_ERR_HTTP_TIMEOUT: { kind: 'transient', description: 'Connect, header or body timeout.' },
  FERRY_ERR_HTTP_RESPONSE_TOO_LARGE: {
    kind: 'transient',
    description: 'A response body exceeded max_response_bytes.',
  },
  FERRY_ERR_HTTP_BAD_RESPONSE: {
    kind: 'transient',
    description: 'A response was malformed: wrong content type, bad or truncated JSON, too deep.',
  },
  FERRY_ERR_HTTP_CROSS_ORIGIN: {
    kind: 'config',
    description: 'A redirect or pagination link pointed to another origin; credentials were not sent.',
  },
  FERRY_ERR_RETRIES_EXHAUSTED: {
    kind: 'transient',
    description: 'A request kept failing until its attempts or time budget ran out.',
  },
  FERRY_ERR_CIRCUIT_OPEN: {
    kind: 'aborted',
    description: 'The destination stayed down past the allowed pause.',
  },
  FERRY_ERR_DESTINATION_UNREACHABLE: {
    kind: 'aborted',
    description: 'The destination never answered since the run started (connection refused, unknown host).',
  },
  FERRY_ERR_QUARANTINE_RATIO: {
    kind: 'aborted',
    description:
      'So many records were quarantined (options.max_quarantine_ratio) that the mapping or the source has probably changed shape; the run stopped early.',
  },
  FERRY_ERR_DESTINATION_WRITE: {
    kind: 'aborted',
    description:
      'A destination file could not be written or synced (disk full, permission denied); its records stay in flight and a rerun reconciles them.',
  },
  // auth
  FERRY_ERR_AUTH_TOKEN: {
    kind: 'auth',
    description: 'The token endpoint refused or failed to issue a token.',
  },
  FERRY_ERR_AUTH_TOKEN_UNAVAILABLE: {
    kind: 'transient',
    description: 'The token endpoint was unreachable or answered 5xx/429; retried.',
  },
  // source
  FERRY_ERR_SOURCE_PAGINATION: {
    kind: 'aborted',
    description: 'Pagination did not advance (repeated page, non-advancing link, endless loop).',
  },
  FERRY_ERR_SOURCE_SHAPE: { kind: 'aborted', description: 'A source page is not where records_path says.' },
  FERRY_ERR_SOURCE_MALFORMED: {
    kind: 'aborted',
    description:
      'A source file is not readable as its format (bad quoting, a truncated or corrupt gzip stream, binary content); the message names the file and line.',
  },
  FERRY_ERR_SOURCE_INCOMPLETE: {
    kind: 'aborted',
    description: 'A complete read returned another number of records than the source announced.',
  },
  // graphql
  FERRY_ERR_GRAPHQL_INVALID: {
    kind: 'config',
    description:
      "A GraphQL API refused the query or mutation itself: it does not validate against the API's schema, or a variable ferry fills is refused.",
  },
  FERRY_ERR_GRAPHQL_ERRORS: {
    kind: 'aborted',
    description:
      'A GraphQL API answered errors that no retry fixed: access forbidden, or errors where the read needs data (the records list, pageInfo).',
  },
  // state
  FERRY_ERR_STATE: { kind: 'internal', description: 'The ledger could not be opened or written.' },
  FERRY_ERR_STATE_LOCKED: {
    kind: 'config',
    description:
      'Another ferry run holds the same state directory or, on PostgreSQL, runs the same integration.',
  },
  FERRY_ERR_STATE_UNUSABLE: {
    kind: 'config',
    description:
      'The state directory or PostgreSQL database cannot hold a ledger: not a directory, read-only, missing or not permitted.',
  },
  FERRY_ERR_STATE_UNREACHABLE: {
    kind: 'transient',
    description:
      'The PostgreSQL ledger cannot be reached (refused, unknown host, timeout), or stayed unreachable too long.',
  },
  FERRY_ERR_STATE_AUTH: {
    kind: 'config',
    description: 'The PostgreSQL ledger refused the login: wrong user or password.',
  },
  FERRY_ERR_STATE_NOT_FOUND: {
    kind: 'config',
    description: 'A command that only reads the ledger found none where it looked; it creates none.',
  },
  // run
  FERRY_ERR_ABORTED: {
    kind: 'aborted',
    description: 'The run was stopped by a signal or an unrecoverable error.',
  },
  FERRY_ERR_INTERNAL: { kind: 'internal', description: 'A broken invariant; a bug in ferry.' },
  FERRY_ERR_LEASE_LOST: {
    kind: 'aborted',
    description:
      'A worker lost its lease on a page (cut off from PostgreSQL, or too slow to renew it): another worker takes the page over, and this one sends nothing more of it.',
  },
  FERRY_ERR_HTTP_TLS: {
    kind: 'config',
    description:
      "The TLS handshake failed: an untrusted, expired or mismatched server certificate (see ca_file), or the server requires a client certificate, or refused the one presented (see the side's tls.cert_file and tls.key_file).",
  },
  FERRY_ERR_REPORT_WRITE: {
    kind: 'config',
    description: 'The run report could not be written to the given path.',
  },
} as const satisfies Record<string, ErrorCodeSpec>;

export type ErrorCode = keyof typeof errorCodes;
