import { z } from 'zod';
import { optionalSecret, optionalText } from './field-types.ts';

/** TLS settings of one side as code sees them; paths are as written (the runtime resolves them). */
export interface TlsConfig {
  readonly caFile?: string;
  readonly certFile?: string;
  readonly keyFile?: string;
  readonly passphrase?: string;
}

/** The `tls` block: a CA bundle for internal PKI and a client certificate (mTLS) for one side. */
export const tlsSchema = z
  .strictObject({
    ca_file: optionalText().describe(
      'Extra CA bundle (PEM) trusted for this side, relative to the integration file; adds to options.ca_file.',
    ),
    cert_file: optionalText().describe(
      'Client certificate (PEM) presented to the server (mutual TLS), relative to the integration file.',
    ),
    key_file: optionalText().describe(
      "The client certificate's private key (PEM), relative to the integration file; keep it out of the repository.",
    ),
    passphrase: optionalSecret().describe('Passphrase of an encrypted key_file.'),
  })
  .refine((tls) => (tls.cert_file === undefined) === (tls.key_file === undefined), {
    message: 'cert_file and key_file go together: a client certificate needs its key',
  })
  .prefault({})
  .describe('TLS of this side: a CA bundle and a client certificate for servers that require one.');

/** Converts a parsed `tls` block to its camelCase form. */
export function toTlsConfig(parsed: z.output<typeof tlsSchema>): TlsConfig {
  return {
    ...(parsed.ca_file === undefined ? {} : { caFile: parsed.ca_file }),
    ...(parsed.cert_file === undefined ? {} : { certFile: parsed.cert_file }),
    ...(parsed.key_file === undefined ? {} : { keyFile: parsed.key_file }),
    ...(parsed.passphrase === undefined ? {} : { passphrase: parsed.passphrase }),
  };
}
