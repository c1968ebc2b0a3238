import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { flagshipConfig, repoRoot, runFerry } from './support/ferry-cli.ts';

describe('ferry validate', () => {
  it('prints {"valid": false, "errors": [...]} with --json and exits 2, every error located and coded', async () => {
    const result = await runFerry(['validate', flagshipConfig, '--json'], { env: {} });
    expect(result.code).toBe(2);
    const report = JSON.parse(result.stdout);
    expect(report.valid).toBe(false);
    expect(report.errors.length).toBeGreaterThan(0);
    for (const error of report.errors) {
      expect(Object.keys(error).sort()).toEqual(['code', 'column', 'file', 'line', 'message', 'path']);
      expect(error).toMatchObject({ code: 'FERRY_ERR_CONFIG_ENV_MISSING', line: expect.any(Number) });
    }
  });

  it('passes without any secret set under --allow-missing-env, listing the unset variables as notes', async () => {
    const result = await runFerry(['validate', flagshipConfig, '--allow-missing-env'], { env: {} });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain('is valid apart from the notes below');
    expect(result.stdout).toMatch(
      /destination\.auth\.client_secret: environment variable DEST_CLIENT_SECRET is not set/,
    );
  });

  it('is joined by check, init and schema, each answering --help with exit 0', async () => {
    for (const command of ['check', 'init', 'schema']) {
      const result = await runFerry([command, '--help']);
      expect(result.code, command).toBe(0);
      expect(result.stdout).toContain(`Usage: ferry ${command}`);
    }
  });

  it('ferry schema prints the shipped JSON Schema', async () => {
    const result = await runFerry(['schema']);
    expect(result.code).toBe(0);
    const shipped = JSON.parse(await readFile(join(repoRoot, 'schema/integration.schema.json'), 'utf8'));
    expect(JSON.parse(result.stdout)).toEqual(shipped);
  });
});
