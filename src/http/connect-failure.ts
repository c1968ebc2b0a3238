// Its own file, apart from the transport (and undici): the token endpoint's errors are judged with it by
// code that `ferry validate` loads without ever sending a request.

/** Errors that happen before any byte could reach the server: safe to resend even a POST. */
const NOT_SENT_CODES = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'UND_ERR_CONNECT_TIMEOUT',
]);

/** True for a network error code that proves no byte reached the server (refused, unknown host...). */
export function isConnectFailureCode(code: string | undefined): boolean {
  return code !== undefined && NOT_SENT_CODES.has(code);
}
