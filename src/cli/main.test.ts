import { afterEach, describe, expect, it, vi } from 'vitest';
import { main } from './main.ts';

afterEach(() => {
  process.exitCode = undefined;
  vi.restoreAllMocks();
});

describe('ferry main', () => {
  it.each([
    ['runs', 'list', '--bogus'],
    ['runs', 'show'],
    ['runs', 'list'],
    ['dlq', 'list', '--limit', 'x'],
    ['dlq', 'show', 'abc', '--state', '/tmp'],
    ['dlq', 'replay'],
    ['dlq', 'purge', '--state', '/tmp'],
    ['dlq', 'list', '--kind', 'lost', '--state', '/tmp'],
    ['dlq'],
    ['run'],
    ['run', 'x.yaml', '--bogus'],
    ['validate', 'a', 'b'],
    ['mock', '--bogus'],
  ])('exits 2 on the usage error in `ferry %s`', async (...args) => {
    vi.spyOn(process.stderr, 'write').mockReturnValue(true);
    vi.spyOn(process.stdout, 'write').mockReturnValue(true);
    // A subcommand left to commander's own handling exits the process itself, with 1.
    vi.spyOn(process, 'exit').mockImplementation((code) => {
      throw new Error(`process.exit(${code}) called`);
    });
    await main(args);
    expect(process.exitCode).toBe(2);
  });
});
