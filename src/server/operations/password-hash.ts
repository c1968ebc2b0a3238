import { randomBytes, scrypt, timingSafeEqual } from 'node:crypto';
import { FerryError } from '../../core/errors.ts';

/** scrypt's cost, as log2(N): OWASP's minimum for scrypt (N = 2^17, r = 8, p = 1). */
const LOG2_N = 17;
const BLOCK_SIZE = 8;
const PARALLELISM = 1;
const KEY_LENGTH = 32;
const HASH = /^scrypt\$(\d{1,2})\$(\d{1,2})\$(\d{1,2})\$([A-Za-z0-9+/]+={0,2})\$([A-Za-z0-9+/]+={0,2})$/;

function derive(password: string, salt: Buffer, log2N: number, r: number, p: number): Promise<Buffer> {
  const N = 2 ** log2N;
  return new Promise((resolve, reject) => {
    // scrypt needs 128 * N * r bytes; Node refuses above 32 MB unless maxmem says more.
    scrypt(password, salt, KEY_LENGTH, { N, r, p, maxmem: 256 * N * r }, (error, key) =>
      error ? reject(error) : resolve(key),
    );
  });
}

/**
 * Hashes a password with scrypt from node:crypto (memory-hard, no native addon) as
 * `scrypt$log2N$r$p$salt$hash`, the form `users` in the server's access settings take.
 */
export async function hashPassword(password: string): Promise<string> {
  if (password.length < 12) {
    throw new FerryError('FERRY_ERR_USAGE', 'a password must have at least 12 characters');
  }
  const salt = randomBytes(16);
  const key = await derive(password, salt, LOG2_N, BLOCK_SIZE, PARALLELISM);
  return ['scrypt', LOG2_N, BLOCK_SIZE, PARALLELISM, salt.toString('base64'), key.toString('base64')].join(
    '$',
  );
}

/** True when `hash` has the form hashPassword writes, with sane parameters. */
export function isPasswordHash(hash: string): boolean {
  const match = HASH.exec(hash);
  if (!match) return false;
  const [log2N, r, p] = [Number(match[1]), Number(match[2]), Number(match[3])];
  return log2N >= 14 && log2N <= 20 && r >= 1 && r <= 32 && p >= 1 && p <= 16;
}

/** Whether `password` is the one `hash` was made from; compared in constant time. */
export async function verifyPassword(password: string, hash: string): Promise<boolean> {
  const match = HASH.exec(hash);
  if (!match || !isPasswordHash(hash)) return false;
  const expected = Buffer.from(match[5]!, 'base64');
  const key = await derive(
    password,
    Buffer.from(match[4]!, 'base64'),
    Number(match[1]),
    Number(match[2]),
    Number(match[3]),
  );
  return key.length === expected.length && timingSafeEqual(key, expected);
}
