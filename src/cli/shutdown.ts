import { ExitCode } from './exit-codes.ts';

/** Signals wired for one run: stop reading, then abandon in-flight requests, then exit at once. */
export interface Shutdown {
  /** Aborted by the first SIGINT/SIGTERM: the engine stops reading new records. */
  readonly stopSignal: AbortSignal;
  /** Aborted when in-flight requests had their grace period: they are abandoned (and stay in_flight). */
  readonly abortSignal: AbortSignal;
  /** Which signal stopped the run, if one did. */
  signal(): 'SIGINT' | 'SIGTERM' | undefined;
  dispose(): void;
}

/**
 * First signal: stop reading and let in-flight records finish for up to `graceMs`, then abandon them.
 * Second signal: exit at once. That is still safe, because every record is marked in_flight durably
 * before it is sent and the ledger commits each transaction as it goes; the next run reconciles.
 */
export function installShutdown(options: {
  graceMs: number;
  onStopping: (signal: string) => void;
  onForcedExit: () => void;
}): Shutdown {
  const stop = new AbortController();
  const abort = new AbortController();
  let received: 'SIGINT' | 'SIGTERM' | undefined;
  let graceTimer: NodeJS.Timeout | undefined;

  const handler = (signal: 'SIGINT' | 'SIGTERM') => {
    if (received) {
      options.onForcedExit();
      process.exit(signal === 'SIGTERM' ? ExitCode.terminated : ExitCode.interrupted);
    }
    received = signal;
    options.onStopping(signal);
    stop.abort();
    graceTimer = setTimeout(() => abort.abort(), options.graceMs);
    graceTimer.unref();
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);

  return {
    stopSignal: stop.signal,
    abortSignal: abort.signal,
    signal: () => received,
    dispose() {
      process.off('SIGINT', handler);
      process.off('SIGTERM', handler);
      if (graceTimer) clearTimeout(graceTimer);
    },
  };
}
