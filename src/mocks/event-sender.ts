import { setTimeout as sleep } from 'node:timers/promises';
import { Webhook } from 'standardwebhooks';
import { request } from 'undici';
import { type CustomerEvent, createCustomerEventStream, eventBody } from './customer-events.ts';
import { createRandom, hashSeed } from './prng.ts';

/** How `ferry mock events` sends its stream. */
export interface EventSenderOptions {
  /** Where to POST, e.g. http://127.0.0.1:8080/hooks/customer-events-to-orders */
  readonly url: string;
  /** The Standard Webhooks secret (whsec_...) events are signed with. */
  readonly secret: string;
  /** Events per second (new ones; redeliveries and forgeries come on top). */
  readonly ratePerSecond: number;
  /** Stop after this many new events. @default unbounded (until the signal or durationMs) */
  readonly count?: number;
  /** Stop making new events after this long. @default unbounded */
  readonly durationMs?: number;
  /** Customers in the data set. @default 1000 */
  readonly customers?: number;
  /** @default 42 */
  readonly seed?: number;
  /** Share of events delivered a second time, a little later, as senders do after a lost answer. @default 0 */
  readonly duplicates?: number;
  /** Share of events held back and delivered after later ones. @default 0 */
  readonly outOfOrder?: number;
  /** Share of events followed by a forgery (wrong secret, changed body, stale time, no signature). @default 0 */
  readonly forged?: number;
  /** Requests in flight at once. @default 8 */
  readonly concurrency?: number;
  /** How long an event is retried (connection refused, 5xx, 503 + Retry-After) before it is given up. @default 120s */
  readonly giveUpAfterMs?: number;
  /** Stops making new events; those in flight or held back are still delivered. */
  readonly signal?: AbortSignal;
  /** Told after every answered request, for progress lines. */
  readonly onProgress?: (report: EventSenderReport) => void;
}

/** What was sent and how the receiver answered. */
export interface EventSenderReport {
  /** New events made. */
  events: number;
  /** HTTP requests sent, retries included. */
  requests: number;
  /** Events answered 2xx (202 accepted, 200 duplicate, stale or ignored). */
  acknowledged: number;
  accepted: number;
  duplicateAnswers: number;
  staleAnswers: number;
  redeliveries: number;
  outOfOrder: number;
  forgedSent: number;
  /** Forgeries answered 401, as they must be. */
  forgedRefused: number;
  /** Forgeries answered anything else: a receiver that lets one through. */
  forgedAccepted: number;
  /** Retries after a refused connection, a 5xx or a 503. */
  retries: number;
  /** Events given up after giveUpAfterMs without a 2xx. */
  givenUp: number;
  /** Answers by status, forgeries included. */
  statuses: Record<string, number>;
}

/** Every event acknowledged, for checking the destination afterwards. */
export interface EventSenderResult {
  readonly report: EventSenderReport;
  readonly acknowledged: readonly CustomerEvent[];
}

type Forgery = 'wrong_secret' | 'changed_body' | 'stale_timestamp' | 'unsigned';
const FORGERIES: readonly Forgery[] = ['wrong_secret', 'changed_body', 'stale_timestamp', 'unsigned'];
/** A well-formed secret nobody configured: a forger's best guess. */
const FORGER_SECRET = 'whsec_Zm9yZ2VkLXNlY3JldC1ub2JvZHktaGFz';

/**
 * Sends a stream of signed customer events (Standard Webhooks), paced at `ratePerSecond`, with redeliveries,
 * out-of-order deliveries and forgeries mixed in on request, retrying each real event until it is
 * acknowledged (2xx) as a sender does. Resolves once everything made was acknowledged or given up.
 */
export async function sendCustomerEvents(options: EventSenderOptions): Promise<EventSenderResult> {
  const seed = options.seed ?? 42;
  const next = createCustomerEventStream({ seed, customers: options.customers ?? 1000 });
  const random = createRandom(hashSeed(seed, 0x5e4d));
  const concurrency = options.concurrency ?? 8;
  const giveUpAfterMs = options.giveUpAfterMs ?? 120_000;
  const report: EventSenderReport = {
    events: 0,
    requests: 0,
    acknowledged: 0,
    accepted: 0,
    duplicateAnswers: 0,
    staleAnswers: 0,
    redeliveries: 0,
    outOfOrder: 0,
    forgedSent: 0,
    forgedRefused: 0,
    forgedAccepted: 0,
    retries: 0,
    givenUp: 0,
    statuses: {},
  };
  const acknowledged: CustomerEvent[] = [];
  const inFlight = new Set<Promise<void>>();
  const held: { event: CustomerEvent; after: number }[] = [];
  const redeliver: { event: CustomerEvent; after: number }[] = [];
  let forgeries = 0;

  const post = async (
    body: string,
    headers: Record<string, string>,
  ): Promise<{ status: number; retryAfter?: number }> => {
    report.requests++;
    const response = await request(options.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body,
      headersTimeout: 30_000,
      bodyTimeout: 30_000,
    });
    const status = response.statusCode;
    // A 200 says why nothing new was stored: {"status": "duplicate"} or "stale".
    let said: string | undefined;
    if (status === 200) {
      const answer = (await response.body.json().catch(() => undefined)) as { status?: unknown } | undefined;
      said = typeof answer?.status === 'string' ? answer.status : undefined;
    } else {
      await response.body.dump();
    }
    report.statuses[status] = (report.statuses[status] ?? 0) + 1;
    const retryAfter = Number(response.headers['retry-after']);
    return { status, ...(Number.isFinite(retryAfter) ? { retryAfter } : {}), ...(said ? { said } : {}) };
  };

  // Signed by the Standard Webhooks reference library, not by ferry's own code: the receiver is checked
  // against an implementation it did not write.
  const signers = new Map<string, Webhook>();
  const signed = (event: CustomerEvent, body: string, secret = options.secret, at = Date.now()) => {
    let signer = signers.get(secret);
    if (!signer) {
      signer = new Webhook(secret);
      signers.set(secret, signer);
    }
    const seconds = Math.floor(at / 1000);
    return {
      'webhook-id': event.id,
      'webhook-timestamp': String(seconds),
      'webhook-signature': signer.sign(event.id, new Date(seconds * 1000), body),
    };
  };

  /** Delivers one real event until a 2xx, signing each attempt anew (as senders do), or gives up. */
  const deliver = async (event: CustomerEvent) => {
    const body = eventBody(event);
    const started = Date.now();
    for (let attempt = 0; ; attempt++) {
      let answer: { status: number; retryAfter?: number; said?: string } | undefined;
      try {
        answer = await post(body, signed(event, body));
      } catch {
        answer = undefined;
      }
      if (answer && answer.status >= 200 && answer.status < 300) {
        report.acknowledged++;
        if (answer.status === 202) report.accepted++;
        if (answer.said === 'duplicate') report.duplicateAnswers++;
        if (answer.said === 'stale') report.staleAnswers++;
        acknowledged.push(event);
        options.onProgress?.(report);
        return;
      }
      const retryable = answer === undefined || answer.status >= 500 || answer.status === 429;
      if (!retryable || Date.now() - started > giveUpAfterMs) {
        report.givenUp++;
        return;
      }
      report.retries++;
      const backoff = Math.min(250 * 2 ** Math.min(attempt, 5), 5_000);
      await sleep(answer?.retryAfter !== undefined ? Math.min(answer.retryAfter * 1000, 5_000) : backoff);
    }
  };

  /** Sends a forgery of the event: it must be answered 401, and is never retried. */
  const forge = async (event: CustomerEvent) => {
    const kind = FORGERIES[forgeries++ % FORGERIES.length]!;
    const forged: CustomerEvent = { ...event, id: `forged_${event.id}` };
    const body = eventBody(forged);
    let headers: Record<string, string>;
    let sentBody = body;
    if (kind === 'wrong_secret') headers = signed(forged, body, FORGER_SECRET);
    else if (kind === 'stale_timestamp')
      headers = signed(forged, body, options.secret, Date.now() - 10 * 60_000);
    else if (kind === 'unsigned')
      headers = { 'webhook-id': forged.id, 'webhook-timestamp': `${Math.floor(Date.now() / 1000)}` };
    else {
      headers = signed(forged, body);
      sentBody = eventBody({
        ...forged,
        data: { ...forged.data, email: `forged-${forgeries}@evil.example.com` },
      });
    }
    report.forgedSent++;
    try {
      const answer = await post(sentBody, headers);
      if (answer.status === 401) report.forgedRefused++;
      else report.forgedAccepted++;
    } catch {
      // A forgery that met a closed port was not accepted either.
      report.forgedRefused++;
    }
  };

  const launch = async (task: () => Promise<void>) => {
    while (inFlight.size >= concurrency) await Promise.race(inFlight);
    const running = task().finally(() => inFlight.delete(running));
    inFlight.add(running);
  };

  const intervalMs = 1000 / options.ratePerSecond;
  const startedAt = Date.now();
  const due = (list: { event: CustomerEvent; after: number }[]) => {
    const ready = list.filter((item) => item.after <= report.events);
    for (const item of ready) list.splice(list.indexOf(item), 1);
    return ready.map((item) => item.event);
  };
  while (
    !options.signal?.aborted &&
    (options.count === undefined || report.events < options.count) &&
    (options.durationMs === undefined || Date.now() - startedAt < options.durationMs)
  ) {
    const event = next();
    report.events++;
    if (random() < (options.outOfOrder ?? 0)) {
      report.outOfOrder++;
      held.push({ event, after: report.events + 1 + Math.floor(random() * 5) });
    } else {
      await launch(() => deliver(event));
    }
    if (random() < (options.duplicates ?? 0)) {
      report.redeliveries++;
      redeliver.push({ event, after: report.events + 1 + Math.floor(random() * 10) });
    }
    if (random() < (options.forged ?? 0)) await launch(() => forge(event));
    for (const late of due(held)) await launch(() => deliver(late));
    for (const again of due(redeliver)) await launch(() => deliver(again));
    const wait = startedAt + report.events * intervalMs - Date.now();
    if (wait > 0) await sleep(wait, undefined, { signal: options.signal }).catch(() => {});
  }
  for (const { event } of [...held.splice(0), ...redeliver.splice(0)]) await launch(() => deliver(event));
  await Promise.all(inFlight);
  return { report, acknowledged };
}

/** Parses a rate such as "50/s", "3000/m" or "50" (per second). */
export function parseRate(text: string): number | undefined {
  const match = /^\s*(\d+(?:\.\d+)?)\s*(?:\/\s*(s|m))?\s*$/i.exec(text);
  if (!match) return undefined;
  const value = Number(match[1]) / (match[2]?.toLowerCase() === 'm' ? 60 : 1);
  return value > 0 ? value : undefined;
}
