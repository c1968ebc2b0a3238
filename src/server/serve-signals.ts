import type { Logger } from '../observability/logger.ts';
import type { Serve } from './serve.ts';

/**
 * Serves until SIGTERM or SIGINT and resolves with the signal once `ferry serve` has stopped gracefully.
 * SIGHUP reloads the configs. A second SIGTERM or SIGINT during the stop exits at once: still safe, since
 * every record is marked in flight durably before it is sent and every acknowledged event is in the inbox.
 *
 * Takes the server while it starts: the handlers are in place before it says it is serving, since a SIGHUP
 * that came between that line and the handlers would end the process (a signal's default action).
 */
export function serveUntilSignal(
  starting: Promise<Serve>,
  logger: Logger,
  onForcedExit: (signal: 'SIGTERM' | 'SIGINT') => never,
): Promise<'SIGTERM' | 'SIGINT'> {
  return new Promise((resolve, reject) => {
    let received: 'SIGTERM' | 'SIGINT' | undefined;
    const off = () => {
      process.off('SIGTERM', stop);
      process.off('SIGINT', stop);
      process.off('SIGHUP', reload);
    };
    function stop(signal: 'SIGTERM' | 'SIGINT') {
      if (received) {
        logger.warn({ signal }, 'second signal: stopping now; the next start resumes what was in flight');
        onForcedExit(signal);
      }
      received = signal;
      logger.info({ signal }, `${signal}: stopping; webhooks are answered 503 until ferry serve is back`);
      starting
        .then((serve) => serve.stop())
        .then(
          () => {
            off();
            resolve(signal);
          },
          (error: unknown) => {
            logger.error({ err: error }, 'stopping failed');
            resolve(signal);
          },
        );
    }
    function reload() {
      logger.info({ signal: 'SIGHUP' }, 'SIGHUP: reloading the integrations');
      starting
        .then((serve) => serve.reload())
        .catch((error: unknown) => logger.error({ err: error }, 'reloading failed'));
    }
    process.on('SIGTERM', stop);
    process.on('SIGINT', stop);
    process.on('SIGHUP', reload);
    starting.catch((error: unknown) => {
      off();
      reject(error);
    });
  });
}
