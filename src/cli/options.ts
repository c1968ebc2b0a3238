import { InvalidArgumentError } from 'commander';
import { parseDurationMs } from '../core/duration.ts';

/** Parses a whole number option (commander calls it with the raw text). */
export function positiveInteger(name: string) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < 1)
      throw new InvalidArgumentError(`${name} must be a whole number of at least 1`);
    return n;
  };
}

/** Parses a whole number option that must lie between `min` and `max`; `why` explains the maximum. */
export function integerInRange(name: string, min: number, max: number, why: string) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < min || n > max)
      throw new InvalidArgumentError(`${name} must be a whole number from ${min} to ${max} (${why})`);
    return n;
  };
}

/** Parses a TCP port option (0 = any free port). */
export function port(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535)
    throw new InvalidArgumentError('must be a port from 0 to 65535');
  return n;
}

/** Log levels the CLI accepts. */
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** Parses a duration option such as "30s" into milliseconds. */
export function duration(name: string) {
  return (value: string): number => {
    try {
      return parseDurationMs(value, name);
    } catch (error) {
      throw new InvalidArgumentError(error instanceof Error ? error.message : String(error));
    }
  };
}
