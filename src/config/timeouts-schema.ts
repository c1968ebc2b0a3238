import { z } from 'zod';
import { duration } from './field-types.ts';

/** Per-request time limits as code sees them. */
export interface TimeoutsConfig {
  readonly connectMs: number;
  readonly headersMs: number;
  readonly bodyMs: number;
}

/** The `timeouts` block: connect, response headers and response body limits of one request. */
export function timeoutsSchema(defaults: { connect: string; headers: string; body: string }) {
  return z
    .strictObject({
      connect: duration().prefault(defaults.connect).describe('Time to open the TCP/TLS connection.'),
      headers: duration().prefault(defaults.headers).describe('Time until the response headers arrive.'),
      body: duration().prefault(defaults.body).describe('Time to read the whole response body.'),
    })
    .prefault({})
    .describe('Time limits of one HTTP request; a timeout is a transient failure and is retried.');
}

/** Converts a parsed `timeouts` block to its camelCase form. */
export function toTimeoutsConfig(parsed: z.output<ReturnType<typeof timeoutsSchema>>): TimeoutsConfig {
  return { connectMs: parsed.connect, headersMs: parsed.headers, bodyMs: parsed.body };
}
