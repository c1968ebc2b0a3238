import { Command } from 'commander';
import { plural } from '../../core/plural.ts';
import type { ValidationEntry, ValidationReport } from '../../integration/validate-integration.ts';
import { ExitCode } from '../exit-codes.ts';

/** `ferry validate <config>`: checks the file, its mapping and schemas without touching any API. */
export function validateCommand(): Command {
  return new Command('validate')
    .description(
      "Check an integration file, its mapping and schemas; all problems at once; no record is sent (a SOAP destination's WSDL is read to check the mapping against it).",
    )
    .argument('<config>', 'the integration: a YAML file or a .ts module exporting defineIntegration({...})')
    .option('--json', 'print {"valid": ..., "errors": [...], "warnings": [...], "notes": [...]} on stdout')
    .option(
      '--allow-missing-env',
      'report unset environment variables (secrets in CI) as notes instead of errors',
    )
    .option('--strict', 'treat warnings (fields the input schema does not describe) as errors')
    .action(
      async (
        configPath: string,
        options: { json?: boolean; allowMissingEnv?: boolean; strict?: boolean },
      ) => {
        const [{ validateIntegration }, { checkDestinationMapping }] = await Promise.all([
          import('../../integration/validate-integration.ts'),
          import('../../runtime/check-destination-mapping.ts'),
        ]);
        const report = await validateIntegration(configPath, {
          allowMissingEnv: options.allowMissingEnv === true,
          strict: options.strict === true,
          checkDestination: checkDestinationMapping,
        });
        if (options.json) process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
        else printReport(configPath, report);
        if (!report.valid) process.exitCode = ExitCode.usage;
      },
    );
}

function line(entry: ValidationEntry): string {
  const where = entry.line === null ? entry.file : `${entry.file}:${entry.line}:${entry.column ?? 1}`;
  return `  ${where} ${entry.path ? `${entry.path}: ` : ''}${entry.message} [${entry.code}]\n`;
}

function printReport(configPath: string, report: ValidationReport): void {
  const out = report.valid ? process.stdout : process.stderr;
  if (report.valid) {
    const summary = report.integration;
    out.write(
      summary
        ? `${configPath} is valid: integration "${summary.name}", ${summary.source} -> ${summary.destination}, ` +
            `mapping with ${plural(summary.fields, 'field')} and ${plural(summary.checks, 'extra check')}.\n`
        : `${configPath} is valid apart from the notes below.\n`,
    );
  } else {
    const strictly = report.errors.length === 0 ? ' (warnings count under --strict)' : '';
    out.write(`ferry: ${configPath} is not valid: ${plural(report.errors.length, 'error')}${strictly}\n`);
    for (const entry of report.errors) out.write(line(entry));
  }
  if (report.warnings.length > 0) {
    out.write(`${plural(report.warnings.length, 'warning')}:\n`);
    for (const entry of report.warnings) out.write(line(entry));
  }
  if (report.notes.length > 0) {
    out.write(`${plural(report.notes.length, 'note')}:\n`);
    for (const entry of report.notes) out.write(line(entry));
  }
}
