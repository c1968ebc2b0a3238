import { originOf } from '../../auth/origin.ts';
import { sinkHttp } from '../../config/http-options.ts';
import { lookupBeforeSend } from '../../config/refuses-duplicates-schema.ts';
import { defineSink } from '../spec.ts';
import { jsonFormat, xmlFormat } from './body-format.ts';
import { createRestSink, type RestSink } from './rest-sink.ts';
import { restSinkOptions } from './sink-options.ts';

const ENDPOINT = 'destination';

/** `type: rest` as a destination: one JSON request per record, keyed, looked up before any unsure resend. */
export const restSink = defineSink({
  type: 'rest',
  options: restSinkOptions,
  docs: {
    title: 'REST destination',
    summary: 'Sends each record as one JSON or XML request (POST, PUT or PATCH) with an idempotency key.',
    description: `Serialises each mapped record as JSON and sends it with its idempotency key (\`Idempotency-Key\`
by default). A 2xx delivers it; a 400 or 422 fails it with the destination's field errors; 5xx, timeouts and
resets are retried with backoff, and 429s wait as the destination asks.

With a \`lookup\`, ferry does not trust the key alone: before resending anything that may have arrived (a
crash, a 5xx, a timeout, a reset), when the destination says the record exists (409, 422
\`idempotency_key_reused\`), before a replay and on a new ledger, it asks the destination. Found and equal is
delivered; found and different fails clearly; not found is sent. Fields marked \`compare: false\` in the
mapping are not compared. Without a lookup or an idempotency key, an unclear outcome is never resent. A
destination that never stores a record twice (\`refuses_duplicates: true\`: it answers 409) spares a new
ledger its lookups: each record is sent, and a refusal is compared like any conflict.

With \`on_change: { action: update, url: ... }\`, a record delivered before whose mapped body changed is
sent again as an update (PUT by default) to its URL, with an idempotency key of its own version. Unless
\`fetch_first: false\`, ferry first GETs the record there: a strong \`ETag\` goes back in \`If-Match\`, so
a retried or delayed older write is refused (412) rather than overwriting a newer one; fields in \`keep\`
(the mapping's \`compare: false\` fields by default) are sent as the destination holds them; a record that
already holds this version is not sent, and one the destination no longer has is created again. With
\`on_delete: { action: delete, url: ... }\`, a record the mapping's \`deleted\` predicate marks deleted is
deleted there (404 and 410 count as deleted).

With \`format: xml\`, each record is sent as one XML document by the convention of docs/xml.md: the mapped
value is one element, an object with one key naming the root (\`{order: {orderId: ..., line: [...]}}\`),
\`@name\` keys are attributes; \`xml.namespace\` is declared on the root. Lookups, conflict answers and reads
before an update are parsed as XML (no DTDs, no entities) and compared as the text they carry; a refusal's
field errors come from elements with a \`field\` and a \`message\`. A value that cannot be written as XML is
quarantined before any send. URL templates read dot paths (\`{order.orderId}\`).`,
    example: `destination:
  type: rest
  url: \${DEST_URL}/orders
  auth:
    type: oauth2_client_credentials
    token_url: \${DEST_TOKEN_URL}
    client_id: \${DEST_CLIENT_ID}
    client_secret: \${DEST_CLIENT_SECRET}
  lookup:
    url: \${DEST_URL}/orders/{orderId}
  concurrency: { adaptive: true, initial: 16, max: 256 }`,
  },
  create(options, context) {
    let sink: RestSink | undefined;
    // The retry layer is the one resend loop; a resend whose first try may have been stored asks the sink,
    // which looks the record up. With a lookup, the key alone never clears that resend: a destination may
    // ignore Idempotency-Key and store every POST.
    const http = context.http({
      ...sinkHttp(options, context.concurrency),
      endpoint: ENDPOINT,
      origins: [
        originOf(options.url),
        ...(options.lookup ? [originOf(options.lookup.url)] : []),
        ...(options.on_change.action === 'update' && options.on_change.url
          ? [originOf(options.on_change.url)]
          : []),
        ...(options.on_delete.action === 'delete' && options.on_delete.url
          ? [originOf(options.on_delete.url)]
          : []),
      ],
      idempotencyKeyHeader: options.lookup ? null : options.idempotency.header,
      canResend: () => sink?.canResend,
      // Lookups answer far sooner than writes: only the writes' round trips tell the destination's latency.
      concurrencyMeasures: (request) => request.endpoint === ENDPOINT,
      circuitBreaker: {
        ...sinkHttp(options).circuitBreaker,
        // Lookups answer while POSTs fail (a read replica, an outage of writes): only sends close the breaker.
        provesRecovery: (request) => request.endpoint === ENDPOINT,
      },
    });
    sink = createRestSink({
      url: options.url,
      method: options.method,
      send: http.send,
      headers: options.headers,
      format:
        options.format === 'xml'
          ? xmlFormat(options.xml.namespace === undefined ? {} : { namespace: options.xml.namespace })
          : jsonFormat,
      idempotencyHeader: options.idempotency.header,
      ...(options.lookup
        ? {
            lookup: {
              url: options.lookup.url,
              recordsPath: options.lookup.records_path,
              ignoreFields: context.ignoreFields,
            },
          }
        : {}),
      endpoint: ENDPOINT,
      ...(options.on_change.action === 'update' && options.on_change.url
        ? {
            update: {
              url: options.on_change.url,
              method: options.on_change.method,
              fetchFirst: options.on_change.fetch_first,
              keep: options.on_change.keep ?? context.ignoreFields,
            },
          }
        : {}),
      ...(options.on_delete.action === 'delete' && options.on_delete.url
        ? { remove: { url: options.on_delete.url } }
        : {}),
    });
    return {
      ...sink,
      prepare: http.prepare,
      ...(http.concurrency ? { concurrency: http.concurrency } : {}),
      onChange: options.on_change.action,
      onDelete: options.on_delete.action,
      ...(options.lookup
        ? { lookupBeforeSend: lookupBeforeSend(options.lookup.before_send, options.refuses_duplicates) }
        : {}),
    };
  },
});
