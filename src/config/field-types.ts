import { z } from 'zod';
import { parseDurationMs, parseSizeBytes } from '../core/duration.ts';

/** What a field means beyond its JSON type; read by the secret check and the docs generator. */
export type FieldKind = 'duration' | 'size' | 'url' | 'secret' | 'headers';

/** Metadata ferry attaches to schema fields with `.meta()`. */
export interface FieldMeta {
  readonly ferryKind?: FieldKind;
}

/** Reads the ferry kind of a schema node, if one was attached. */
export function fieldKindOf(schema: z.ZodType): FieldKind | undefined {
  const meta = schema.meta() as FieldMeta | undefined;
  return meta?.ferryKind;
}

/** A duration written as "250ms", "30s", "5m", "1h" (or a number of ms); parses to milliseconds. */
export function duration() {
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

/** A size written as "512kb", "1MB" (or a number of bytes); parses to bytes. */
export function size() {
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

/** An absolute http:// or https:// URL; whether plain http is allowed is decided later (url-policy.ts). */
export function httpUrl() {
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

/** A credential: must be referenced (${VAR} or ${file:...}), never written literally; masked everywhere. */
export function secret() {
  return z
    .string()
    .min(1, { message: 'expected a non-empty secret' })
    .meta({ ferryKind: 'secret' } satisfies FieldMeta);
}

/** An optional string where "" (as from `${VAR:-}`) means "not set". */
export function optionalText() {
  return z
    .string()
    .optional()
    .transform((value) => (value === '' ? undefined : value));
}

/** An optional secret where "" (as from `${VAR:-}`) means "not set". */
export function optionalSecret() {
  return secret()
    .or(z.literal(''))
    .optional()
    .transform((value) => (value === '' ? undefined : value))
    .meta({ ferryKind: 'secret' } satisfies FieldMeta);
}

/** Header names whose values are credentials, so they get the same treatment as secret fields. */
export const SENSITIVE_HEADER = /authorization|cookie|token|secret|password|api[-_]?key|^x-.*key$/i;

/** Extra static headers; values of credential-like headers (Authorization, *-Key...) are treated as secrets. */
export function headers() {
  return z
    .record(z.string().min(1), z.string())
    .default({})
    .meta({ ferryKind: 'headers' } satisfies FieldMeta);
}
