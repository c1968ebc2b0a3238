import { z } from 'zod';
import { parseDurationMs, parseSizeBytes } from '../core/duration.ts';

/** What a field means beyond its JSON type; read by the secret check and the docs generator. */
export type FieldKind = 'duration' | 'size' | 'url' | 'secret' | 'headers';

/** Metadata ferry attaches to schema fields with `.meta()`. */
export interface FieldMeta {
  readonly ferryKind?: FieldKind;
}

/**
 * The field types below are built once and shared: a zod schema is never changed in place (`.describe()`,
 * `.default()` and the like make new ones), and building one per field cost every command a share of its
 * start-up, for the dozens of fields of every connector.
 */
function once<T>(build: () => T): () => T {
  let built: T | undefined;
  return () => {
    built ??= build();
    return built;
  };
}

/** Reads the ferry kind of a schema node, if one was attached. */
export function fieldKindOf(schema: z.ZodType): FieldKind | undefined {
  const meta = schema.meta() as FieldMeta | undefined;
  return meta?.ferryKind;
}

function buildDuration() {
  return z
    .union([z.string(), z.number()])
    .transform((value, ctx) => {
      try {
        return parseDurationMs(value);
      } catch {
        ctx.addIssue({ code: 'custom', message: 'expected a duration like "500ms", "30s" or "5m"' });
        return z.NEVER;
      }
    })
    .meta({ ferryKind: 'duration' } satisfies FieldMeta);
}

function buildSize() {
  return z
    .union([z.string(), z.number()])
    .transform((value, ctx) => {
      try {
        return parseSizeBytes(value);
      } catch {
        ctx.addIssue({ code: 'custom', message: 'expected a size like "512kb", "1MB" or a number of bytes' });
        return z.NEVER;
      }
    })
    .meta({ ferryKind: 'size' } satisfies FieldMeta);
}

function buildHttpUrl() {
  return z
    .string()
    .refine(
      (value) => {
        // Lookup URLs carry a {key} placeholder; it is filled in per record.
        const candidate = URL.parse(value.replaceAll('{key}', 'key'));
        return candidate !== null && (candidate.protocol === 'http:' || candidate.protocol === 'https:');
      },
      { message: 'expected an absolute http:// or https:// URL' },
    )
    .meta({ ferryKind: 'url' } satisfies FieldMeta);
}

function buildSecret() {
  return z
    .string()
    .min(1, { message: 'expected a non-empty secret' })
    .meta({ ferryKind: 'secret' } satisfies FieldMeta);
}

function buildOptionalText() {
  return z
    .string()
    .optional()
    .transform((value) => (value === '' ? undefined : value));
}

function buildOptionalSecret() {
  return secret()
    .or(z.literal(''))
    .optional()
    .transform((value) => (value === '' ? undefined : value))
    .meta({ ferryKind: 'secret' } satisfies FieldMeta);
}

/** Header names whose values are credentials, so they get the same treatment as secret fields. */
export const SENSITIVE_HEADER = /authorization|cookie|token|secret|password|api[-_]?key|^x-.*key$/i;

function buildHeaders() {
  return z
    .record(z.string().min(1), z.string())
    .default({})
    .meta({ ferryKind: 'headers' } satisfies FieldMeta);
}

/** A duration written as "250ms", "30s", "5m", "1h" (or a number of ms); parses to milliseconds. */
export const duration = once(buildDuration);

/** A size written as "512kb", "1MB" (or a number of bytes); parses to bytes. */
export const size = once(buildSize);

/** An absolute http:// or https:// URL; whether plain http is allowed is decided later (url-policy.ts). */
export const httpUrl = once(buildHttpUrl);

/** A credential: must be referenced (${VAR} or ${file:...}), never written literally; masked everywhere. */
export const secret = once(buildSecret);

/** An optional string where "" (as from `${VAR:-}`) means "not set". */
export const optionalText = once(buildOptionalText);

/** An optional secret where "" (as from `${VAR:-}`) means "not set". */
export const optionalSecret = once(buildOptionalSecret);

/** Extra static headers; values of credential-like headers (Authorization, *-Key...) are treated as secrets. */
export const headers = once(buildHeaders);
