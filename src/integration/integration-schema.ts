import { isAbsolute, resolve } from 'node:path';
import { z } from 'zod';
import { type OptionsConfig, optionsSchema } from '../config/options-schema.ts';
import { sinkSpecs, sourceSpecs } from '../connectors/registry.ts';
import type { SinkSpec, SourceSpec } from '../connectors/spec.ts';
import { type ScheduleConfig, scheduleSchema, toScheduleConfig } from './schedule-schema.ts';
import { resolveStateSetting } from './state-setting.ts';

/** A connector's options with the `type:` that chooses it, as the integration file has them. */
function withType(spec: SourceSpec | SinkSpec) {
  return z
    .strictObject({ type: z.literal(spec.type).describe(`\`${spec.type}\`: ${spec.docs.summary}`) })
    .extend(spec.options.shape)
    .describe(spec.docs.summary);
}

/** One of the registered connectors of a kind, chosen by `type`. */
function connectorUnion(specs: readonly (SourceSpec | SinkSpec)[], description: string) {
  const [first, ...rest] = specs.map(withType);
  if (!first) throw new Error('the connector registry lists no connector of a kind');
  return z.discriminatedUnion('type', [first, ...rest]).describe(description);
}

/** The `source` block: a registered source type and its options. */
export const sourceSchema = connectorUnion(
  sourceSpecs,
  `Where records are read from; \`type\` chooses the connector (${sourceSpecs.map((s) => `\`${s.type}\``).join(', ')}), each documented in docs/connectors/.`,
);

/** The `destination` block: a registered destination type and its options. */
export const destinationSchema = connectorUnion(
  sinkSpecs,
  `Where mapped records are sent; \`type\` chooses the connector (${sinkSpecs.map((s) => `\`${s.type}\``).join(', ')}), each documented in docs/connectors/.`,
);

/** A connector block as parsed: its type, and its options as that connector's schema outputs them. */
export interface ConnectorConfig {
  readonly type: string;
  readonly options: Readonly<Record<string, unknown>>;
}

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
        'Where the ledger is kept (run history, record states, dead letters): a directory, relative to this ' +
          `file, or a postgres:// URL whose password comes from PGPASSWORD, a \${file:...} reference or an ` +
          'environment variable, never written here. Overridden by FERRY_STATE and --state; without any of ' +
          'the three, .ferry/ beside this file.',
      ),
    schedule: scheduleSchema,
  })
  .describe('An integration: read records from a source, map each, deliver it to a destination once.');

/** An integration as written (YAML or code): snake_case, durations as "30s", defaults optional. */
export type IntegrationInput = z.input<typeof integrationSchema>;

/** A validated integration, camelCase, durations in ms, sizes in bytes, paths absolute. */
export interface IntegrationConfig {
  readonly version: 1;
  readonly name: string;
  readonly source: ConnectorConfig;
  /** Absolute path of the mapping file. */
  readonly mappingPath: string;
  readonly destination: ConnectorConfig;
  readonly options: OptionsConfig;
  /** The ledger directory its `state:` key names, resolved against baseDir; null when it names none. */
  readonly state: string | null;
  /** When `ferry serve` runs it; null when only asked to (or fed by webhooks). `ferry run` ignores it. */
  readonly schedule: ScheduleConfig | null;
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
    source: connectorConfig(parsed.source as { type: string }),
    mappingPath: isAbsolute(parsed.mapping) ? parsed.mapping : resolve(where.baseDir, parsed.mapping),
    destination: connectorConfig(parsed.destination as { type: string }),
    options: {
      dangerouslyAllowInsecureHttp: parsed.options.dangerously_allow_insecure_http,
      dangerouslyAllowLiteralSecrets: parsed.options.dangerously_allow_literal_secrets,
      maxQuarantineRatio: parsed.options.max_quarantine_ratio,
      quarantineSample: parsed.options.quarantine_sample,
      ...(caFile === null ? {} : { caFile: resolve(where.baseDir, caFile) }),
    },
    state: parsed.state === undefined ? null : resolveStateSetting(parsed.state, where.baseDir),
    schedule: toScheduleConfig(parsed.schedule),
    file: where.file,
    baseDir: where.baseDir,
    references: where.references ?? {},
  };
}

function connectorConfig(parsed: { readonly type: string }): ConnectorConfig {
  const { type, ...options } = parsed;
  return { type, options };
}
