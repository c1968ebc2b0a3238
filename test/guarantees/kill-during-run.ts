import { type FerryResult, startFerry } from '../support/ferry-cli.ts';

/** How a run that was meant to be killed ended. */
export interface KilledRun {
  readonly result: FerryResult;
  /** Orders the destination had stored when the signal was sent (undefined if ferry ended first). */
  readonly ordersAtSignal: number | undefined;
}

/**
 * Spawns `ferry <args>` and sends `signal` as soon as the destination has stored `afterOrders` orders in
 * total (polled every millisecond from the in-process mock), so the signal lands mid-run with requests in
 * flight. If ferry finishes first, nothing is sent and the caller sees an ordinary result.
 */
export async function killDuringRun(options: {
  args: readonly string[];
  env: Record<string, string>;
  ordersStored: () => number;
  afterOrders: number;
  signal: NodeJS.Signals;
  timeoutMs?: number;
}): Promise<KilledRun> {
  const ferry = startFerry(options.args, { env: options.env });
  let ordersAtSignal: number | undefined;
  let ended = false;
  void ferry.done.then(() => {
    ended = true;
  });
  const deadline = Date.now() + (options.timeoutMs ?? 60_000);
  await new Promise<void>((resolve) => {
    const timer = setInterval(() => {
      if (ended) {
        clearInterval(timer);
        resolve();
        return;
      }
      const stored = options.ordersStored();
      if (stored >= options.afterOrders || Date.now() > deadline) {
        clearInterval(timer);
        ordersAtSignal = stored;
        ferry.kill(options.signal);
        resolve();
      }
    }, 1);
  });
  return { result: await ferry.done, ordersAtSignal };
}
