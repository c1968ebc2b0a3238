// biome-ignore-all lint/suspicious/noTemplateCurlyInString: help texts name ${VAR} config references
import { basename, relative, resolve } from 'node:path';
import { Command, Option } from 'commander';
import { DEST_AUTH_CHOICES, SOURCE_AUTH_CHOICES } from '../scaffold-choices.ts';
import type { ScaffoldAnswers } from '../scaffold-integration.ts';

/** Options of `ferry init`, as commander parses them. */
export interface InitOptions {
  name?: string;
  sourceUrl?: string;
  sourceAuth?: ScaffoldAnswers['sourceAuth'];
  destUrl?: string;
  destAuth?: ScaffoldAnswers['destAuth'];
  destTokenUrl?: string;
  paging?: string;
  dir: string;
}

/** A name the config accepts, made from a directory name. */
function nameFrom(dir: string): string {
  const name = basename(resolve(dir))
    .toLowerCase()
    .replace(/[^a-z0-9_-]+/g, '-')
    .replace(/^-+|-+$/g, '');
  return name === '' ? 'my-integration' : name.slice(0, 100);
}

/** Asks for what the flags did not give, one question a line, with the default in brackets. */
export async function askInitQuestions(
  options: InitOptions,
  input: NodeJS.ReadableStream = process.stdin,
  output: NodeJS.WritableStream = process.stderr,
): Promise<InitOptions> {
  const { createInterface } = await import('node:readline/promises');
  const rl = createInterface({ input, output });
  try {
    const question = async (text: string, fallback: string, choices?: readonly string[]) => {
      const hint = choices ? ` (${choices.join('|')})` : '';
      for (;;) {
        const answer = (await rl.question(`${text}${hint} [${fallback}]: `)).trim() || fallback;
        if (!choices || choices.includes(answer)) return answer;
        output.write(`  please answer one of ${choices.join(', ')}\n`);
      }
    };
    const optional = async (text: string) => (await rl.question(`${text} [from the environment]: `)).trim();
    const name = await question('Integration name', options.name ?? nameFrom(options.dir));
    const sourceUrl = await optional('Source URL (first page)');
    const sourceAuth = await question('Source auth', 'api_key', SOURCE_AUTH_CHOICES);
    const { pagingChoices } = await import('../scaffold-integration.ts');
    const paging = await question('Source paging', 'auto', pagingChoices());
    const destUrl = await optional('Destination URL');
    const destAuth = await question('Destination auth', 'oauth2', DEST_AUTH_CHOICES);
    const destTokenUrl = destAuth === 'oauth2' ? await optional('Destination token URL') : '';
    return {
      dir: options.dir,
      name,
      sourceAuth: sourceAuth as InitOptions['sourceAuth'] & string,
      destAuth: destAuth as InitOptions['destAuth'] & string,
      paging,
      ...(sourceUrl ? { sourceUrl } : {}),
      ...(destUrl ? { destUrl } : {}),
      ...(destTokenUrl ? { destTokenUrl } : {}),
    };
  } finally {
    rl.close();
  }
}

/** `ferry init`: scaffolds an integration (config, mapping, schemas, .env.example) that validates and runs. */
export function initCommand(): Command {
  return new Command('init')
    .description(
      'Create a new integration: config, mapping and .env.example; asks on a terminal unless flags are given.',
    )
    .option('--name <name>', 'integration name, [a-z0-9_-]+ (default: the directory name)')
    .option('--source-url <url>', 'first page of the source API (default: ${SOURCE_URL} at run time)')
    .addOption(new Option('--source-auth <type>', 'source credentials').choices(SOURCE_AUTH_CHOICES))
    .option('--dest-url <url>', 'where records are sent (default: ${DEST_URL} at run time)')
    .addOption(new Option('--dest-auth <type>', 'destination credentials').choices(DEST_AUTH_CHOICES))
    .option('--dest-token-url <url>', 'OAuth 2.0 token endpoint (default: ${DEST_TOKEN_URL} at run time)')
    .option('--paging <type>', 'how the source pages: a pagination type of the config (default: auto)')
    .option('--dir <dir>', 'directory to create the files in', '.')
    .action(async (options: InitOptions) => {
      const { scaffoldIntegration, writeScaffold } = await import('../scaffold-integration.ts');
      const flagsGiven = Object.keys(options).some((key) => key !== 'dir');
      const answers = !flagsGiven && process.stdin.isTTY ? await askInitQuestions(options) : options;
      const scaffold: ScaffoldAnswers = {
        name: answers.name ?? nameFrom(options.dir),
        sourceAuth: answers.sourceAuth ?? 'api_key',
        destAuth: answers.destAuth ?? 'oauth2',
        paging: answers.paging ?? 'auto',
        ...(answers.sourceUrl ? { sourceUrl: answers.sourceUrl } : {}),
        ...(answers.destUrl ? { destUrl: answers.destUrl } : {}),
        ...(answers.destTokenUrl ? { destTokenUrl: answers.destTokenUrl } : {}),
      };
      const written = await writeScaffold(options.dir, await scaffoldIntegration(scaffold, options.dir));
      const config = relative(process.cwd(), resolve(options.dir, `${scaffold.name}.yaml`));
      process.stdout.write(
        `${written.map((file) => `created ${relative(process.cwd(), file)}`).join('\n')}\n\n` +
          'Next: set the variables listed in .env.example, then\n' +
          `  ferry validate ${config}\n  ferry check ${config}\n  ferry run ${config} --dry-run\n` +
          'To try it against the bundled mocks: ferry mock all (it prints the variables to export).\n',
      );
    });
}
