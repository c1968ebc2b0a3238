import { defineSource } from '../spec.ts';
import { webhookSourceOptions } from './webhook-options.ts';
import { createWebhookSource } from './webhook-source.ts';

/** `type: webhook` as a source: events pushed to `ferry serve`, verified and kept in the ledger's inbox. */
export const webhookSource = defineSource({
  type: 'webhook',
  options: webhookSourceOptions,
  docs: {
    title: 'Webhook source',
    summary:
      'Receives events pushed to `ferry serve` (POST /hooks/<name>), signed; each stored before it is acknowledged.',
    description: `Senders POST events to \`/hooks/<integration name>\` on \`ferry serve\`. ferry verifies the
signature before anything else (Standard Webhooks, GitHub or Stripe, compared in constant time, with 5
minutes of tolerance where the scheme signs a time), then stores the event in the integration's inbox in the
ledger, durably, and only then answers 2xx. Runs read the inbox in arrival order: each event's record (at
\`record_path\`) goes through the mapping, validation, delivery and dead letters like a record read from an
API, and \`ferry dlq replay\` replays it the same way.

Answers: 202 stored; 200 a redelivery (same event id) or an event \`version_path\` shows is older than one
already taken, never processed twice; 200 an event type not in \`event_types\`; 401 a missing or bad
signature or a timestamp more than 5 minutes off (the same answer whatever was wrong, so that nothing says
how close a forgery came); 413 a body over \`max_body\`; 400 a body that is not JSON or an event without an
id; 404 an integration that is not served or has no webhook source; 503 with \`Retry-After\` while
\`max_pending\` events wait or while ferry stops. Nothing is stored unless the answer is 2xx.

Events of one record key are applied one after the other: an event waits while an earlier one of its key
is still being delivered.
With \`version_path\`, an event that arrives after a newer one of its key was stored is not applied, so a
delayed older event never overrides a newer one. After a crash the inbox still holds every acknowledged event not yet
processed, and \`ferry serve\` processes them when it starts; \`ferry run\` on the file processes what
waits and ends. Processed events keep only their id (for \`dedup_window\`), not their body.`,
    example: `source:
  type: webhook
  signature:
    scheme: standard_webhooks
    secrets:
      - \${WEBHOOK_SECRET}
      - \${WEBHOOK_SECRET_PREVIOUS:-}
  event_types: [customer.created, customer.updated]
  record_path: data
  version_path: timestamp`,
  },
  create(options, context) {
    return createWebhookSource({
      inbox: context.inbox,
      recordPath: options.record_path,
      batchSize: options.batch_size,
      endAfterIdleMs: options.end_after_idle,
      maxRunMs: options.max_run,
    });
  },
});
