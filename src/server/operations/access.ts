import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { isIP } from 'node:net';
import { FerryError } from '../../core/errors.ts';
import type { OperationsAccess, OperatorUser } from './operations-types.ts';
import { isPasswordHash, verifyPassword } from './password-hash.ts';

const MIN_TOKEN_LENGTH = 24;

/** True for addresses only this machine can reach: 127.0.0.0/8, ::1 and `localhost`. */
export function isLoopbackHost(host: string): boolean {
  const bare = host.replace(/^\[|\]$/g, '').toLowerCase();
  if (bare === 'localhost' || bare === '::1') return true;
  return isIP(bare) === 4 && bare.startsWith('127.');
}

/**
 * Refuses, before the server listens, access settings that would expose operator actions: a host beyond
 * loopback with neither a token nor users, a short token, or a password hash ferry did not make.
 */
export function assertSafeAccess(access: OperationsAccess): void {
  const hasAuth = access.token !== undefined || (access.users?.length ?? 0) > 0;
  if (!isLoopbackHost(access.host) && !hasAuth) {
    throw new FerryError(
      'FERRY_ERR_UNSAFE_BINDING',
      `refusing to serve the dashboard and the operations API on ${access.host} without authentication: ` +
        'anyone who reaches that address could read records, replay and purge dead letters. ' +
        'Configure a token or users with password hashes (see docs/dashboard.md), or listen on 127.0.0.1.',
      { details: { host: access.host } },
    );
  }
  if (access.token !== undefined && access.token.length < MIN_TOKEN_LENGTH) {
    throw new FerryError(
      'FERRY_ERR_UNSAFE_BINDING',
      `the operations token is ${access.token.length} characters long; use at least ${MIN_TOKEN_LENGTH} random ones ` +
        '(`openssl rand -base64 32`)',
    );
  }
  for (const user of access.users ?? []) {
    if (!isPasswordHash(user.passwordHash)) {
      throw new FerryError(
        'FERRY_ERR_UNSAFE_BINDING',
        `the password hash of user ${user.name} is not one \`ferry hash-password\` writes (scrypt$...)`,
        { details: { user: user.name } },
      );
    }
  }
}

/** The host names requests may carry in `Host`: loopback names, the listening host and the allowed ones. */
export function allowedHostNames(access: OperationsAccess): ReadonlySet<string> {
  const names = new Set(['localhost', '127.0.0.1', '::1']);
  const bare = (host: string) => host.replace(/^\[|\]$/g, '').toLowerCase();
  if (access.host !== '0.0.0.0' && access.host !== '::') names.add(bare(access.host));
  for (const host of access.allowedHosts ?? []) names.add(bare(host));
  return names;
}

/** The host name of a `Host` header (`[::1]:8080` → `::1`), lower-cased; undefined when malformed. */
export function hostNameOf(hostHeader: string | undefined): string | undefined {
  if (!hostHeader) return undefined;
  const match = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]/\s@]+))(?::\d{1,5})?$/.exec(hostHeader);
  return (match?.[1] ?? match?.[2])?.toLowerCase();
}

function sameSecret(given: string, expected: string): boolean {
  // Hashing first gives equal lengths, so the comparison's time says nothing about either value.
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}

/** Whether the bearer token is the configured one. */
export function tokenMatches(access: OperationsAccess, token: string): boolean {
  return access.token !== undefined && sameSecret(token, access.token);
}

/** The user these credentials sign in, or undefined. */
export async function signIn(
  access: OperationsAccess,
  credentials: {
    readonly name?: string | undefined;
    readonly password?: string | undefined;
    readonly token?: string | undefined;
  },
): Promise<string | undefined> {
  if (credentials.token && tokenMatches(access, credentials.token)) return 'token';
  const user = access.users?.find((u: OperatorUser) => u.name === credentials.name);
  if (!user || !credentials.password) return undefined;
  return (await verifyPassword(credentials.password, user.passwordHash)) ? user.name : undefined;
}

/** Sessions of people signed in to the pages, kept in memory: a restart signs everyone out. */
export interface SessionStore {
  create(user: string): string;
  /** The user of a live session, or undefined. */
  user(id: string | undefined): string | undefined;
  destroy(id: string | undefined): void;
}

/** Creates the session store; sessions expire after `ttlMs`, and past `max` the oldest goes. */
export function createSessionStore(
  options: { ttlMs?: number; max?: number; clock?: () => number } = {},
): SessionStore {
  const ttlMs = options.ttlMs ?? 12 * 3600_000;
  const max = options.max ?? 1000;
  const clock = options.clock ?? Date.now;
  const sessions = new Map<string, { user: string; expiresAt: number }>();
  return {
    create(user) {
      if (sessions.size >= max) sessions.delete(sessions.keys().next().value!);
      const id = randomBytes(32).toString('base64url');
      sessions.set(id, { user, expiresAt: clock() + ttlMs });
      return id;
    },
    user(id) {
      if (!id) return undefined;
      const session = sessions.get(id);
      if (!session) return undefined;
      if (session.expiresAt <= clock()) {
        sessions.delete(id);
        return undefined;
      }
      return session.user;
    },
    destroy(id) {
      if (id) sessions.delete(id);
    },
  };
}

/** Counts failed sign-ins per client and refuses more than `max` within `windowMs`. */
export function createSignInThrottle(
  options: { max?: number; windowMs?: number; clock?: () => number } = {},
) {
  const max = options.max ?? 10;
  const windowMs = options.windowMs ?? 15 * 60_000;
  const clock = options.clock ?? Date.now;
  const failures = new Map<string, { count: number; since: number }>();
  return {
    /** True while this client may try again. */
    allowed(client: string): boolean {
      const entry = failures.get(client);
      if (!entry || clock() - entry.since > windowMs) return true;
      return entry.count < max;
    },
    failed(client: string): void {
      const entry = failures.get(client);
      if (!entry || clock() - entry.since > windowMs) {
        if (failures.size > 10_000) failures.clear();
        failures.set(client, { count: 1, since: clock() });
      } else entry.count++;
    },
    succeeded(client: string): void {
      failures.delete(client);
    },
  };
}
