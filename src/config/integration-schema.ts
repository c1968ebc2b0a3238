import { isAbsolute, resolve } from 'node:path';
import { z } from 'zod';
import { type DestinationConfig, destinationSchema, toDestinationConfig } from './destination-schema.ts';
import { type OptionsConfig, optionsSchema } from './options-schema.ts';
import { type SourceConfig, sourceSchema, toSourceConfig } from './source-schema.ts';
import { resolveStateSetting } from './state-setting.ts';

/** The whole integration file, snake_case as users write it. */
export const integrationSchema = z
  .strictObject({
    version: z.literal(1).describe('Version of this file format; always 1.'),
    name: z
      .string()
      .regex(/^[a-z0-9_-]+$/, { message: 'expected lower-case letters, digits, "_" or "-"' })
      .max(100)
      .describe('Identifies the integration in the ledger; [a-z0-9_-]+. Renaming it starts from scratch.'),
    source: sourceSchema,
    mapping: z.string().min(1).describe('Path of the mapping file, relative to this file.'),
    destination: destinationSchema,
    options: optionsSchema,
    state: z
      .string()
      .min(1)
      .optional()
      .describe(
        'Directory of the ledger (run history, record states, dead letters), relative to this file. ' +
          'Overridden by FERRY_STATE and --state; without any of the three, .ferry/ beside this file.',
      ),
  })
  .describe('An integration: read records from a source, map each, deliver it to a destination once.');

/** An integration as written (YAML or code): snake_case, durations as "30s", defaults optional. */
export type IntegrationInput = z.input<typeof integrationSchema>;

/** A validated integration, camelCase, durations in ms, sizes in bytes, paths absolute. */
export interface IntegrationConfig {
  readonly version: 1;
  readonly name: string;
  readonly source: SourceConfig;
  /** Absolute path of the mapping file. */
  readonly mappingPath: string;
  readonly destination: DestinationConfig;
  readonly options: OptionsConfig;
  /** The ledger directory its `state:` key names, resolved against baseDir; null when it names none. */
  readonly state: string | null;
  /** The file it came from ("<inline>" for code-built integrations). */
  readonly file: string;
  /** The directory relative paths were resolved against. */
  readonly baseDir: string;
  /**
   * What each value written with references referenced, by key path (`destination.auth.client_secret`:
   * `["DEST_CLIENT_SECRET"]`), so a message can say which variable to check. Names only, never values.
   */
  readonly references: Readonly<Record<string, readonly string[]>>;
}

/** Converts the parsed file to the typed config, resolving paths against baseDir. */
export function toIntegrationConfig(
  parsed: z.output<typeof integrationSchema>,
  where: { file: string; baseDir: string; references?: Readonly<Record<string, readonly string[]>> },
): IntegrationConfig {
  const caFile = parsed.options.ca_file;
  return {
    version: parsed.version,
    name: parsed.name,
    source: toSourceConfig(parsed.source),
    mappingPath: isAbsolute(parsed.mapping) ? parsed.mapping : resolve(where.baseDir, parsed.mapping),
    destination: toDestinationConfig(parsed.destination),
    options: {
      dangerouslyAllowInsecureHttp: parsed.options.dangerously_allow_insecure_http,
      dangerouslyAllowLiteralSecrets: parsed.options.dangerously_allow_literal_secrets,
      maxQuarantineRatio: parsed.options.max_quarantine_ratio,
      quarantineSample: parsed.options.quarantine_sample,
      ...(caFile === null ? {} : { caFile: resolve(where.baseDir, caFile) }),
    },
    state: parsed.state === undefined ? null : resolveStateSetting(parsed.state, where.baseDir),
    file: where.file,
    baseDir: where.baseDir,
    references: where.references ?? {},
  };
}
