import { FerryError } from '../core/errors.ts';
import type { EventSenderReport } from '../mocks/event-sender.ts';
import type { MockCliOptions, MockIo } from './mock-command.ts';

/** The options only `ferry mock events` takes. */
export interface MockEventsCliOptions {
  url?: string;
  secret?: string;
  rate?: string;
  events?: string;
  duration?: string;
  duplicates?: string;
  outOfOrder?: string;
  forged?: string;
}

function usage(message: string): FerryError {
  return new FerryError('FERRY_ERR_USAGE', `mock events: ${message}`);
}

function share(flag: string, raw: string | undefined): number {
  if (raw === undefined) return 0;
  const value = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(value) || value < 0 || value > 1) {
    throw usage(`${flag} must be a number from 0 to 1, got "${raw}"`);
  }
  return value;
}

/**
 * `ferry mock events`: sends signed customer events (Standard Webhooks) to a `ferry serve` webhook endpoint
 * until --events or --duration or a signal, then prints what was sent and answered as JSON on stdout.
 */
export async function runMockEvents(
  options: MockCliOptions & MockEventsCliOptions,
  io: MockIo,
  env: NodeJS.ProcessEnv = process.env,
): Promise<EventSenderReport> {
  const [{ sendCustomerEvents, parseRate }, { parseDurationMs }] = await Promise.all([
    import('../mocks/event-sender.ts'),
    import('../core/duration.ts'),
  ]);
  const url = options.url;
  if (url === undefined || !URL.canParse(url))
    throw usage('--url must be the webhook URL, e.g. http://127.0.0.1:8080/hooks/customer-events-to-orders');
  const secret = options.secret ?? env.WEBHOOK_SECRET;
  if (!secret) throw usage('--secret (or WEBHOOK_SECRET) must give the whsec_ secret events are signed with');
  const rate = parseRate(options.rate ?? '50/s');
  if (rate === undefined) throw usage(`--rate must be like 50/s or 3000/m, got "${options.rate}"`);
  const count = options.events === undefined ? undefined : Number(options.events);
  if (count !== undefined && (!Number.isInteger(count) || count < 0))
    throw usage('--events must be a whole number');
  let durationMs: number | undefined;
  try {
    durationMs = options.duration === undefined ? undefined : parseDurationMs(options.duration, '--duration');
  } catch (error) {
    throw usage((error as Error).message);
  }
  const customers = Number(options.count ?? '1000');
  const seed = Number(options.seed ?? '42');
  const stop = new AbortController();
  void io.stopped.then(() => stop.abort());
  let lastLine = Date.now();
  io.err(`ferry mock events sending to ${url} at ${rate}/s; stop with Ctrl-C (SIGINT) or SIGTERM\n`);
  const { report } = await sendCustomerEvents({
    url,
    secret,
    ratePerSecond: rate,
    customers,
    seed,
    duplicates: share('--duplicates', options.duplicates),
    outOfOrder: share('--out-of-order', options.outOfOrder),
    forged: share('--forged', options.forged),
    signal: stop.signal,
    ...(count === undefined ? {} : { count }),
    ...(durationMs === undefined ? {} : { durationMs }),
    onProgress: (progress) => {
      if (Date.now() - lastLine < 5000) return;
      lastLine = Date.now();
      io.err(
        `sent ${progress.events} events: ${progress.acknowledged} acknowledged, ${progress.forgedRefused}/${progress.forgedSent} forgeries refused, ${progress.retries} retries\n`,
      );
    },
  });
  io.out(`${JSON.stringify(report)}\n`);
  return report;
}
