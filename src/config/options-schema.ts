import { z } from 'zod';

/** The `options` block: explicit, loudly named opt-outs of ferry's safety rules. */
export const optionsSchema = z
  .strictObject({
    dangerously_allow_insecure_http: z
      .boolean()
      .default(false)
      .describe(
        'Allows plain http:// URLs to hosts other than loopback; credentials then travel unencrypted.',
      ),
    dangerously_allow_literal_secrets: z
      .boolean()
      .default(false)
      // biome-ignore lint/suspicious/noTemplateCurlyInString: config reference syntax, not a template
      .describe('Allows secrets written literally in the file instead of ${VAR} or ${file:...} references.'),
    max_quarantine_ratio: z
      .number()
      .min(0)
      .max(1)
      .default(0.5)
      .describe(
        'Stops the run (exit 3) when more than this share of the records settled so far were quarantined, which usually means the mapping or the source changed shape; 1 never stops.',
      ),
    quarantine_sample: z
      .number()
      .int()
      .min(1)
      .default(100)
      .describe('How many records must have settled before max_quarantine_ratio is judged.'),
    ca_file: z
      .string()
      .nullable()
      .default(null)
      .transform((value) => (value === '' ? null : value))
      .describe('Extra CA bundle (PEM) for internal PKI, relative to this file; null for none.'),
  })
  .prefault({})
  .describe('Safety opt-outs and TLS settings.');

/** Options as code sees them; caFile is an absolute path when set. */
export interface OptionsConfig {
  readonly dangerouslyAllowInsecureHttp: boolean;
  readonly dangerouslyAllowLiteralSecrets: boolean;
  /** Largest share of settled records that may be quarantined before the run stops; 1 never stops. */
  readonly maxQuarantineRatio: number;
  /** Records settled before the ratio is judged. */
  readonly quarantineSample: number;
  readonly caFile?: string;
}
