import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { main } from '../main.ts';

let stderr: string;

beforeEach(() => {
  stderr = '';
  vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => {
    stderr += String(chunk);
    return true;
  });
});
afterEach(() => {
  vi.restoreAllMocks();
  process.exitCode = undefined;
});

describe('ferry run usage checks', () => {
  it('refuses --concurrency above the most the config accepts, with exit 2 naming the maximum', async () => {
    await main(['run', 'missing.yaml', '--concurrency', '5000']);
    expect(process.exitCode).toBe(2);
    expect(stderr).toContain('--concurrency must be a whole number from 1 to 1024');
  });

  it('refuses --sample without --dry-run with exit 2 instead of ignoring it', async () => {
    await main(['run', 'missing.yaml', '--sample', '5']);
    expect(process.exitCode).toBe(2);
    expect(stderr).toContain('--sample only applies to a preview: add --dry-run');
    expect(stderr).not.toContain('missing.yaml');
  });
});
