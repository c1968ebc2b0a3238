import { randomBytes } from 'node:crypto';

/** Why a bearer token was refused. */
export type TokenProblem = 'missing' | 'unknown' | 'expired';

/** Issued access tokens and their expiry, in memory. */
export interface TokenStore {
  /** Issues a token valid for the store's lifetime from now. */
  issue(scope: string | undefined): { token: string; expiresIn: number };
  /** Null when the token is valid, else why not. */
  check(token: string | undefined): TokenProblem | null;
  issued(): number;
}

/** Keeps issued tokens; `now` (ms) is injectable so tests expire tokens without waiting. */
export function createTokenStore(ttlSeconds: number, now: () => number): TokenStore {
  const tokens = new Map<string, number>();
  let issued = 0;
  const prune = () => {
    const t = now();
    for (const [token, expiresAt] of tokens) if (expiresAt <= t) tokens.delete(token);
  };
  return {
    issue() {
      // Short-lived tokens pile up over a long benchmark: sweep the expired ones now and then.
      if (tokens.size >= 1024 && issued % 1024 === 0) prune();
      issued++;
      const token = randomBytes(24).toString('base64url');
      tokens.set(token, now() + ttlSeconds * 1000);
      return { token, expiresIn: ttlSeconds };
    },
    check(token) {
      if (!token) return 'missing';
      const expiresAt = tokens.get(token);
      if (expiresAt === undefined) return 'unknown';
      return expiresAt <= now() ? 'expired' : null;
    },
    issued: () => issued,
  };
}
