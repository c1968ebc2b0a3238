// biome-ignore-all lint/suspicious/noTemplateCurlyInString: the scaffold writes ${...} config references
import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { dirname, join, relative, resolve } from 'node:path';
import { paginationSchema } from '../config/pagination-schema.ts';
import { defOf, unwrap } from '../config/schema-walk.ts';
import { FerryError } from '../core/errors.ts';
import { integrationSchemaPath } from '../integration/integration-json-schema.ts';
import type { DEST_AUTH_CHOICES, SOURCE_AUTH_CHOICES } from './scaffold-choices.ts';

/** The pagination types the config schema accepts, read from it so the two never disagree. */
export function pagingChoices(): string[] {
  return (defOf(unwrap(paginationSchema)).options ?? []).map((option) => {
    const type = defOf(unwrap(option)).shape?.type;
    return String(type ? defOf(unwrap(type)).values?.[0] : '');
  });
}

/** What `ferry init` asks for. */
export interface ScaffoldAnswers {
  /** The integration's name: [a-z0-9_-]+; also names the files. */
  readonly name: string;
  /** The source's first page; absent means `${SOURCE_URL}` with no default. */
  readonly sourceUrl?: string;
  readonly sourceAuth: (typeof SOURCE_AUTH_CHOICES)[number];
  /** The destination URL; absent means `${DEST_URL}` with no default. */
  readonly destUrl?: string;
  readonly destAuth: (typeof DEST_AUTH_CHOICES)[number];
  /** The OAuth token endpoint; absent means `${DEST_TOKEN_URL}` with no default. */
  readonly destTokenUrl?: string;
  /** A pagination type of the config schema. */
  readonly paging: string;
}

/** One file the scaffold writes, relative to the target directory. */
export interface ScaffoldFile {
  readonly path: string;
  readonly content: string;
}

const NAME = /^[a-z0-9_-]+$/;
const EXAMPLES = resolve(import.meta.dirname, '../../examples');

/** Checks the answers; every problem in one FERRY_ERR_USAGE. */
export function checkAnswers(answers: ScaffoldAnswers): void {
  const problems: string[] = [];
  if (!NAME.test(answers.name) || answers.name.length > 100) {
    problems.push(`--name "${answers.name}" must be lower-case letters, digits, "_" or "-"`);
  }
  for (const [flag, url] of [
    ['--source-url', answers.sourceUrl],
    ['--dest-url', answers.destUrl],
    ['--dest-token-url', answers.destTokenUrl],
  ] as const) {
    if (url === undefined) continue;
    const parsed = URL.parse(url);
    if (!parsed || (parsed.protocol !== 'http:' && parsed.protocol !== 'https:')) {
      problems.push(`${flag} "${url}" must be an absolute http:// or https:// URL`);
    }
  }
  const paging = pagingChoices();
  if (!paging.includes(answers.paging)) {
    problems.push(`--paging "${answers.paging}" must be one of ${paging.join(', ')}`);
  }
  if (problems.length > 0) {
    throw new FerryError('FERRY_ERR_USAGE', `init: ${problems.join('; ')}`, { details: { problems } });
  }
}

/** `${VAR:-url}` when a URL was given (the environment can still override it), else `${VAR}`. */
function urlReference(variable: string, url: string | undefined): string {
  if (url === undefined || url.includes('}')) return `\${${variable}}`;
  return JSON.stringify(`\${${variable}:-${url.replaceAll('${', '$${')}}`);
}

function sourceAuthBlock(auth: ScaffoldAnswers['sourceAuth']): string[] {
  switch (auth) {
    case 'api_key':
      return ['    type: api_key', '    in: header', '    name: X-API-Key', '    value: ${SOURCE_API_KEY}'];
    case 'bearer':
      return ['    type: bearer', '    token: ${SOURCE_TOKEN}'];
    case 'none':
      return ['    type: none'];
  }
}

function destAuthBlock(answers: ScaffoldAnswers): string[] {
  switch (answers.destAuth) {
    case 'oauth2':
      return [
        '    type: oauth2_client_credentials',
        `    token_url: ${urlReference('DEST_TOKEN_URL', answers.destTokenUrl)}`,
        '    client_id: ${DEST_CLIENT_ID}',
        '    client_secret: ${DEST_CLIENT_SECRET}',
        '    scope: ${DEST_SCOPE:-} # empty means no scope is requested',
      ];
    case 'bearer':
      return ['    type: bearer', '    token: ${DEST_TOKEN}'];
    case 'none':
      return ['    type: none'];
  }
}

/** The variables the scaffolded config reads, with what goes in each. */
function variables(answers: ScaffoldAnswers): [string, string, string][] {
  const out: [string, string, string][] = [
    ['SOURCE_URL', answers.sourceUrl ?? '', 'first page of the source API'],
  ];
  if (answers.sourceAuth === 'api_key') out.push(['SOURCE_API_KEY', '', 'API key of the source (secret)']);
  if (answers.sourceAuth === 'bearer') out.push(['SOURCE_TOKEN', '', 'bearer token of the source (secret)']);
  out.push(['DEST_URL', answers.destUrl ?? '', 'where each record is sent']);
  if (answers.destAuth === 'oauth2') {
    out.push(
      ['DEST_TOKEN_URL', answers.destTokenUrl ?? '', 'OAuth 2.0 token endpoint of the destination'],
      ['DEST_CLIENT_ID', '', 'OAuth 2.0 client id'],
      ['DEST_CLIENT_SECRET', '', 'OAuth 2.0 client secret (secret)'],
      ['DEST_SCOPE', '', 'optional: scopes to request, space-separated'],
    );
  }
  if (answers.destAuth === 'bearer') out.push(['DEST_TOKEN', '', 'bearer token of the destination (secret)']);
  return out;
}

/**
 * The files of a new integration: the config (naming the shipped JSON Schema for editor completion), a
 * mapping to adapt (the flagship's customers-to-orders mapping with its schemas, so the result runs against
 * the bundled mocks as it is), and a `.env.example` listing every variable the config reads.
 */
export async function scaffoldIntegration(answers: ScaffoldAnswers, dir: string): Promise<ScaffoldFile[]> {
  checkAnswers(answers);
  const { name } = answers;
  const schemaRef = relative(resolve(dir), integrationSchemaPath).split('\\').join('/');
  const config = [
    `# yaml-language-server: $schema=${schemaRef}`,
    `# ${name}: made by \`ferry init\`. Reads records from the source, maps each with ${name}.mapping.yaml and`,
    '# delivers it exactly once to the destination. The variables it reads are listed in .env.example;',
    '# secrets are only ever referenced here (${VAR} or ${file:/run/secrets/...}), never written in.',
    `#   ferry validate ${name}.yaml        checks this file and the mapping, all problems at once`,
    `#   ferry check ${name}.yaml           tries the credentials and reads one page, sending nothing`,
    `#   ferry run ${name}.yaml --dry-run   reads, maps and shows what would be sent`,
    '# Full reference: docs/configuration.md',
    '',
    'version: 1',
    `name: ${name}`,
    '',
    'source:',
    '  type: rest',
    `  url: ${urlReference('SOURCE_URL', answers.sourceUrl)}`,
    '  auth:',
    ...sourceAuthBlock(answers.sourceAuth),
    '  records_path: "" # dot path to the records array in each page; "" means the body is the array',
    '  pagination:',
    `    type: ${answers.paging}`,
    '',
    `mapping: ./${name}.mapping.yaml`,
    '',
    'destination:',
    '  type: rest',
    `  url: ${urlReference('DEST_URL', answers.destUrl)}`,
    '  method: POST',
    '  auth:',
    ...destAuthBlock(answers),
    '  # Every record carries a stable key, so a retried request never creates it twice.',
    '  idempotency:',
    '    header: Idempotency-Key',
    '  concurrency: 8',
    '  # A 409 means the record already exists: ferry compares it with what it sent instead of failing.',
    '  responses:',
    '    - { status: 409, action: conflict }',
    '',
  ].join('\n');

  const flagshipMapping = await readFile(join(EXAMPLES, 'customers-to-orders.mapping.yaml'), 'utf8');
  const mapping = [
    `# The mapping of ${name}: the record key, input checks and one JSONata expression per destination field.`,
    "# It starts as ferry's customers-to-orders mapping (it runs against `ferry mock all` as it is): replace",
    '# the fields, and the JSON Schemas in schemas/, with your source record and destination body.',
    ...flagshipMapping.split('\n').filter((line, index) => !(index < 2 && line.startsWith('#'))),
  ].join('\n');

  const env = [
    `# The environment ${name}.yaml reads. Set these in your shell, your CI's secret store or your`,
    '# service manager; never commit real secrets. Empty means "fill me in".',
    ...variables(answers).flatMap(([variable, value, doc]) => [`# ${doc}`, `${variable}=${value}`]),
    '',
  ].join('\n');

  return [
    { path: `${name}.yaml`, content: config },
    { path: `${name}.mapping.yaml`, content: mapping },
    { path: '.env.example', content: env },
    {
      path: 'schemas/customer.schema.json',
      content: await readFile(join(EXAMPLES, 'schemas/customer.schema.json'), 'utf8'),
    },
    {
      path: 'schemas/order.schema.json',
      content: await readFile(join(EXAMPLES, 'schemas/order.schema.json'), 'utf8'),
    },
  ];
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}

/** Writes the files into `dir`; refuses (FERRY_ERR_USAGE, nothing written) when any of them exists. */
export async function writeScaffold(dir: string, files: readonly ScaffoldFile[]): Promise<string[]> {
  const targets = files.map((file) => ({ ...file, target: join(dir, file.path) }));
  const taken: string[] = [];
  for (const { target } of targets) if (await exists(target)) taken.push(target);
  if (taken.length > 0) {
    throw new FerryError(
      'FERRY_ERR_USAGE',
      `init: refusing to overwrite ${taken.join(', ')}; choose another --dir or --name`,
      { details: { files: taken } },
    );
  }
  for (const { target, content } of targets) {
    await mkdir(dirname(target), { recursive: true });
    // 'wx' fails rather than overwrite a file that appeared since the check.
    await writeFile(target, content, { flag: 'wx' });
  }
  return targets.map((t) => t.target);
}
