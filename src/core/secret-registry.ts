/**
 * Redaction that cannot be forgotten: every secret value ferry resolves (from the environment or a file)
 * is registered here, and every text ferry writes (logs, errors, reports, the ledger, dead letters,
 * dry-run output) passes through redactSecrets(). Patterns catch what was never registered.
 */
const secrets = new Set<string>();
let secretPattern: RegExp | null = null;

export const REDACTED = '[REDACTED]';

/** Query parameters and header-like keys whose values are secret wherever they appear. */
const SECRET_PARAM =
  /([?&;](?:api[_-]?key|apikey|key|token|access_token|refresh_token|id_token|client_secret|secret|password|sig|signature)=)[^&#\s"']+/gi;
const AUTH_VALUE = /\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]{6,}/g;
const URL_USERINFO = /(\b[a-z][a-z0-9+.-]*:\/\/)[^/\s:@]+:[^/\s@]+@/gi;

/** Issued credentials (access tokens, signed JWTs), each with when it may be forgotten (ms since the epoch). */
const expiring = new Map<string, number>();

/**
 * Registers a secret value so it is masked everywhere; short values are ignored to keep text readable.
 * `forgetAfterMs` is for credentials issued while a process lives (an access token): a long-lived process
 * is issued one every lifetime, and keeping every one would slow every redaction down for ever.
 */
export function registerSecret(
  value: string | undefined | null,
  options: { readonly forgetAfterMs?: number } = {},
): void {
  if (!value || value.length < 4 || secrets.has(value)) return;
  const now = Date.now();
  for (const [old, until] of expiring) {
    if (until > now) continue;
    expiring.delete(old);
    secrets.delete(old);
  }
  if (options.forgetAfterMs !== undefined) expiring.set(value, now + options.forgetAfterMs);
  secrets.add(value);
  // Longest first so a secret containing another is masked whole.
  const escaped = [...secrets]
    .sort((a, b) => b.length - a.length)
    .map((s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
  secretPattern = new RegExp(escaped.join('|'), 'g');
}

/** Masks registered secret values, secret query parameters, Authorization values and URL passwords. */
export function redactSecrets(text: string): string {
  // Most texts (field values, log lines) hold nothing to mask: a substring test, far cheaper than a regex
  // pass, rules each pattern out first. Each test is implied by its pattern, so the result is the same.
  let out = text;
  if (secretPattern !== null && containsSecret(out)) out = out.replace(secretPattern, REDACTED);
  if (out.includes('=')) out = out.replace(SECRET_PARAM, `$1${REDACTED}`);
  if (out.includes('Bearer') || out.includes('Basic')) out = out.replace(AUTH_VALUE, `$1 ${REDACTED}`);
  if (out.includes('@')) out = out.replace(URL_USERINFO, `$1${REDACTED}@`);
  return out;
}

function containsSecret(text: string): boolean {
  for (const secret of secrets) if (text.includes(secret)) return true;
  return false;
}

/** Deep-copies a JSON-like value with every string passed through redactSecrets(). */
export function redactValue<T>(value: T): T {
  if (typeof value === 'string') return redactSecrets(value) as T;
  if (Array.isArray(value)) return value.map((v) => redactValue(v)) as T;
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      // Assigning out["__proto__"] would set the copy's prototype and drop the key from a dead letter.
      if (k === '__proto__') {
        Object.defineProperty(out, k, {
          value: redactValue(v),
          enumerable: true,
          writable: true,
          configurable: true,
        });
      } else out[k] = redactValue(v);
    }
    return out as T;
  }
  return value;
}

/** For tests only: forgets every registered secret. */
export function clearSecretsForTests(): void {
  secrets.clear();
  expiring.clear();
  secretPattern = null;
}
