import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
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

describe('ferry validate on the SOAP flagship', () => {
  const soapConfig = join(repoRoot, 'examples/customers-to-soap-orders.yaml');
  const env = {
    SOURCE_URL: 'http://127.0.0.1:9/customers',
    ERP_URL: 'http://127.0.0.1:9/erp/OrderService',
    ERP_WSDL: join(repoRoot, 'examples/schemas/erp-order-service.wsdl'),
    ERP_USERNAME: 'ferry',
    ERP_PASSWORD: 'not-used',
  };

  it('checks the mapping against the WSDL: valid, noting the required elements it may leave out', async () => {
    const result = await runFerry(['validate', soapConfig, '--json'], { env });
    expect(result.code, result.stderr).toBe(0);
    const report = JSON.parse(result.stdout);
    expect(report.valid).toBe(true);
    expect(report.notes.map((n: { path: string }) => n.path)).toContain('output.fields.Order.Customer.Email');
  });

  it('names unknown fields and missing required elements at their lines in the mapping', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'ferry-validate-soap-'));
    try {
      await cp(join(repoRoot, 'examples'), dir, { recursive: true });
      const mappingFile = join(dir, 'customers-to-soap-orders.mapping.yaml');
      const mapping = await readFile(mappingFile, 'utf8');
      // Email misspelt as Mail, Region left out.
      const broken = mapping
        .replace('        Email:\n', '        Mail:\n')
        .replace(/ {8}Region:\n(?: {10}.*\n)+/, '');
      await writeFile(mappingFile, broken);
      const result = await runFerry(['validate', join(dir, 'customers-to-soap-orders.yaml')], { env });
      expect(result.code).toBe(2);
      const lineOf = (text: string) => broken.split('\n').findIndex((l) => l.startsWith(text)) + 1;
      expect(result.stderr).toContain(
        `customers-to-soap-orders.mapping.yaml:${lineOf('        Mail:')}:9 output.fields.Order.Customer.Mail: soap destination: CreateOrder's input has no element Order/Customer/Mail: CustomerType has CustomerNumber, FullName, Email, Phone`,
      );
      expect(result.stderr).toContain(
        `customers-to-soap-orders.mapping.yaml:${lineOf('      Customer:')}:7 output.fields.Order.Customer: soap destination: CustomerType requires Email, and the mapping never writes Order/Customer/Email`,
      );
      expect(result.stderr).toContain(
        `customers-to-soap-orders.mapping.yaml:${lineOf('      ShipTo:')}:7 output.fields.Order.ShipTo: soap destination: AddressType requires Region, and the mapping never writes Order/ShipTo/Region`,
      );
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
