import { Command } from 'commander';

/** `ferry check <config>`: tries credentials and reachability of both sides without sending a record. */
export function checkCommand(): Command {
  return new Command('check')
    .description(
      "Try each side's credentials and reachability without sending a record: token, one source page, a harmless destination request.",
    )
    .argument('<config>', 'the integration: a YAML file or a .ts module exporting defineIntegration({...})')
    .option('--json', 'print {"ok": ..., "items": [{name, ok, detail, code}]} on stdout')
    .action(async (configPath: string, options: { json?: boolean }) => {
      const { loadIntegration } = await import('../../integration/load-integration.ts');
      const { checkExitCode, checkIntegration } = await import('../check-integration.ts');
      const report = await checkIntegration(await loadIntegration(configPath));
      if (options.json) {
        process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
      } else {
        const width = Math.max(...report.items.map((item) => item.name.length));
        for (const item of report.items) {
          const code = item.code && !item.ok ? ` [${item.code}]` : '';
          process.stdout.write(
            `${item.ok ? 'ok  ' : 'FAIL'} ${item.name.padEnd(width)}  ${item.detail}${code}\n`,
          );
        }
        process.stdout.write(
          report.ok ? 'All checks passed; nothing was sent.\n' : 'Some checks failed; nothing was sent.\n',
        );
      }
      process.exitCode = checkExitCode(report);
    });
}
