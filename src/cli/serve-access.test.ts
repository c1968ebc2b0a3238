import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { tempDirs } from '../../test/support/temp-dirs.ts';
import { readApiToken, readUsersFile } from './serve-access.ts';

const dirs = tempDirs('ferry-serve-access-');
afterAll(() => dirs.removeAll());

// A hash as `ferry hash-password` writes it (its form is what is checked; no password is verified here).
const HASH = `scrypt$17$8$1$${Buffer.alloc(16, 1).toString('base64')}$${Buffer.alloc(32, 2).toString('base64')}`;

async function file(text: string): Promise<string> {
  const path = join(await dirs.make(), 'file');
  await writeFile(path, text);
  return path;
}

describe('the access settings of ferry serve', () => {
  it('reads users as NAME:HASH lines, passing over blank lines and comments', async () => {
    const path = await file(`# operators\nada:${HASH}\n\n  grace : ${HASH}  \n`);
    expect(await readUsersFile(path, {})).toEqual([
      { name: 'ada', passwordHash: HASH },
      { name: 'grace', passwordHash: HASH },
    ]);
    expect(await readUsersFile(undefined, { FERRY_USERS_FILE: path })).toHaveLength(2);
    expect(await readUsersFile(undefined, {})).toBeUndefined();
  });

  it('names the line of a bad user entry without quoting what it holds', async () => {
    const plain = await file(`ada:${HASH}\nbob:correct-horse-battery\n`);
    const error = await readUsersFile(plain, {}).catch((e: Error) => e);
    expect(error).toMatchObject({ code: 'FERRY_ERR_USAGE' });
    expect((error as Error).message).toMatch(
      /line 2: the hash of bob is not one `ferry hash-password` prints/,
    );
    expect((error as Error).message).not.toContain('correct-horse');
    await expect(readUsersFile(await file(`${HASH}\n`), {})).rejects.toThrow(/line 1: expected NAME:HASH/);
    await expect(readUsersFile(await file(`ada:${HASH}\nada:${HASH}\n`), {})).rejects.toThrow(
      /line 2: ada is listed twice/,
    );
    await expect(readUsersFile(await file('# nobody\n'), {})).rejects.toThrow(/lists no user/);
    await expect(readUsersFile('/nonexistent/users', {})).rejects.toThrow(
      /cannot read --users-file \/nonexistent\/users: ENOENT/,
    );
  });

  it('takes a token of 24 characters or more from the file or FERRY_API_TOKEN, and never quotes a short one', async () => {
    const token = 'x'.repeat(32);
    expect(await readApiToken(await file(`${token}\n`), {})).toBe(token);
    expect(await readApiToken(undefined, { FERRY_API_TOKEN: token })).toBe(token);
    expect(await readApiToken(undefined, {})).toBeUndefined();
    const short = await readApiToken(undefined, { FERRY_API_TOKEN: 'short-secret' }).catch((e: Error) => e);
    expect((short as Error).message).toMatch(/FERRY_API_TOKEN must hold one token of at least 24 characters/);
    expect((short as Error).message).not.toContain('short-secret');
  });
});
