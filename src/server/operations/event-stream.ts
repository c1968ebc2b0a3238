import type { ServerResponse } from 'node:http';
import { redactValue } from '../../core/secret-registry.ts';
import type { IntegrationControl, OperationsEvent } from './operations-types.ts';

/** Options of the event stream. */
export interface EventStreamOptions {
  /** Streams open at once; one more is refused with 503. @default 50 */
  readonly maxClients?: number;
  /** A comment line this often keeps proxies from closing an idle stream. @default 15000 */
  readonly heartbeatMs?: number;
  /** Progress of one run is sent at most this often. @default 250 */
  readonly progressEveryMs?: number;
  /** A client whose unsent data passes this is dropped (it reconnects). @default 1 MiB */
  readonly maxBufferedBytes?: number;
  readonly clock?: () => number;
}

/**
 * Server-sent events for the pages' live updates: every event of the control, secrets redacted, run
 * progress thinned to a few a second, slow readers dropped rather than buffered without bound.
 */
export function createEventStream(control: IntegrationControl, options: EventStreamOptions = {}) {
  const maxClients = options.maxClients ?? 50;
  const progressEveryMs = options.progressEveryMs ?? 250;
  const maxBuffered = options.maxBufferedBytes ?? 1024 * 1024;
  const clock = options.clock ?? Date.now;
  const clients = new Set<ServerResponse>();
  const lastProgress = new Map<string, number>();

  const send = (client: ServerResponse, text: string) => {
    if (client.writableLength > maxBuffered) {
      clients.delete(client);
      client.destroy();
      return;
    }
    client.write(text);
  };

  const unsubscribe = control.subscribe((event: OperationsEvent) => {
    if (event.type === 'run.progress') {
      const last = lastProgress.get(event.runId) ?? 0;
      if (clock() - last < progressEveryMs) return;
      lastProgress.set(event.runId, clock());
    } else if (event.type === 'run.finished') {
      lastProgress.delete(event.runId);
    }
    if (clients.size === 0) return;
    const text = `event: ${event.type}\ndata: ${JSON.stringify(redactValue(event))}\n\n`;
    for (const client of clients) send(client, text);
  });

  const heartbeat = setInterval(() => {
    for (const client of clients) send(client, ': keep-alive\n\n');
  }, options.heartbeatMs ?? 15_000);
  heartbeat.unref();

  return {
    /** Takes over the response as an event stream; false when too many are open (answer 503). */
    open(response: ServerResponse, headers: Record<string, string>): boolean {
      if (clients.size >= maxClients) return false;
      response.writeHead(200, {
        ...headers,
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-store',
        'x-accel-buffering': 'no',
        connection: 'keep-alive',
      });
      // The browser retries after this long when the stream drops; the first line also flushes headers.
      response.write('retry: 2000\n: connected\n\n');
      clients.add(response);
      response.on('close', () => clients.delete(response));
      return true;
    },
    get clients(): number {
      return clients.size;
    },
    /** Ends every stream and stops listening. */
    close(): void {
      clearInterval(heartbeat);
      unsubscribe();
      for (const client of clients) client.end();
      clients.clear();
    },
  };
}

/** The event stream of one server. */
export type EventStream = ReturnType<typeof createEventStream>;
