import { z } from 'zod';
import { duration, optionalSecret, size } from '../../config/field-types.ts';
import { SIGNATURE_SCHEMES, secretProblem } from './signature.ts';

/** The `signature` block: how senders sign, and the secrets to check with. */
const signatureSchema = z
  .strictObject({
    scheme: z
      .enum(SIGNATURE_SCHEMES)
      .describe(
        '`standard_webhooks` (`webhook-id`, `webhook-timestamp`, `webhook-signature`; `whsec_` secrets), `github` (`X-Hub-Signature-256`) or `stripe` (`Stripe-Signature`).',
      ),
    secrets: z.array(optionalSecret()).min(1).describe(
      // biome-ignore lint/suspicious/noTemplateCurlyInString: config reference syntax, not a template
      'The secrets a signature may be made with: one, or several while a secret is rotated (a request signed with any of them is accepted). An entry that resolves to "" (`${WEBHOOK_SECRET_PREVIOUS:-}`) is left out.',
    ),
  })
  .superRefine((value, ctx) => {
    const given = value.secrets.filter((secret) => secret !== undefined);
    if (given.length === 0) {
      ctx.addIssue({ code: 'custom', message: 'every secret is empty: set at least one', path: ['secrets'] });
    }
    value.secrets.forEach((secret, index) => {
      const problem = secret === undefined ? undefined : secretProblem(value.scheme, secret);
      if (problem) ctx.addIssue({ code: 'custom', message: problem, path: ['secrets', index] });
    });
  })
  .transform((value) => ({
    scheme: value.scheme,
    secrets: value.secrets.filter((secret): secret is string => secret !== undefined),
  }))
  .describe('How senders sign their requests; ferry checks the signature before anything else.');

/** The options of a `type: webhook` source. */
export const webhookSourceOptions = z.strictObject({
  signature: signatureSchema,
  event_types: z
    .array(z.string().min(1))
    .min(1)
    .optional()
    .describe(
      "Only events of these types are stored; others are answered 200 and dropped. The type is the body's `type` (Standard Webhooks, Stripe) or the `X-GitHub-Event` header. Default: every type.",
    ),
  record_path: z
    .string()
    .default('')
    .describe(
      'Where the record is in the event body (`data` for `{"type": ..., "data": {...}}`); "" for the whole body. An event without it is quarantined.',
    ),
  version_path: z
    .string()
    .min(1)
    .optional()
    .describe(
      'Where the event body says when it happened (an RFC 3339 time or a number, such as `timestamp` or `created`). With it, an event older than one already stored for its record key is answered 200 and never processed, so a delayed event never overrides a newer one. Either way the events of a key are applied in the order they arrived.',
    ),
  max_body: size().prefault('1MB').describe('Largest event body accepted; a larger one is answered 413.'),
  max_pending: z
    .number()
    .int()
    .min(1)
    .max(10_000_000)
    .default(10_000)
    .describe(
      'Events that may wait in the inbox unprocessed; past it, senders are answered 503 with Retry-After and retry later.',
    ),
  dedup_window: duration()
    .prefault('72h')
    .describe(
      "How long a processed event's id is remembered, so a redelivery within it is answered 200 and not processed again. Longer than the sender retries for (Stripe and most Standard Webhooks senders: up to 3 days).",
    ),
  batch_size: z
    .number()
    .int()
    .min(1)
    .max(10_000)
    .default(100)
    .describe('Events read from the inbox per page.'),
  end_after_idle: duration()
    .prefault('2s')
    .describe(
      'Under `ferry serve`, a run started by events goes on while more arrive and ends after this long without one.',
    ),
  max_run: duration()
    .prefault('15m')
    .describe(
      "Under `ferry serve`, a run started by events ends after this long even while events keep arriving (the next run takes over at once), so that each run's report covers a bounded stretch.",
    ),
});

/** The parsed options of a webhook source. */
export type WebhookSourceOptions = z.output<typeof webhookSourceOptions>;
