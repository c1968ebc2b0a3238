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
  readonly caFile?: string;
}
