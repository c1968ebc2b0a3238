import type { Readable } from 'node:stream';

/** Limits on reading one response body. */
export interface BodyLimits {
  /** Largest body accepted; past it the body is destroyed (closing its socket) and tooLarge() rejects. */
  readonly maxBytes: number;
  /** Total time for the whole body; past it the body is destroyed with an error coded BODY_DEADLINE. */
  readonly timeoutMs: number;
  readonly tooLarge: () => Error;
}

/** The `code` of the error a body that missed its total deadline rejects with. */
export const BODY_DEADLINE = 'FERRY_BODY_DEADLINE';

/**
 * Reads a response body whole through its 'data' and 'end' events, within a size cap and a total deadline.
 * A `for await` over the stream does the same with an async iterator, a stream-finished watcher and a
 * promise per chunk: about 2 KB of garbage per response, for bodies that are mostly one small chunk.
 * Rejects with the stream's own error, the deadline error, tooLarge(), or an ERR_STREAM_PREMATURE_CLOSE
 * error when the body closes before its end, as the async iterator would.
 */
export function readBody(body: Readable, limits: BodyLimits): Promise<Buffer> {
  return new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    const deadline = setTimeout(() => {
      const error = new Error(`body not complete within ${limits.timeoutMs} ms`);
      (error as Error & { code: string }).code = BODY_DEADLINE;
      body.destroy(error);
    }, limits.timeoutMs);
    const fail = (error: unknown): void => {
      if (done) return;
      done = true;
      clearTimeout(deadline);
      reject(error);
    };
    // The error and close listeners stay to the end: destroying an unfinished body makes undici emit an
    // abort error, which must have a listener.
    body.on('error', fail);
    // 'close' follows every 'end': build the error (a stack trace) only when the body really ended early.
    body.on('close', () => {
      if (!done) fail(prematureClose());
    });
    body.on('end', () => {
      if (done) return;
      done = true;
      clearTimeout(deadline);
      resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size));
    });
    body.on('data', (chunk: Buffer) => {
      if (done) return;
      size += chunk.length;
      if (size > limits.maxBytes) {
        fail(limits.tooLarge());
        // Destroying the body closes its socket, so no more bytes are read.
        body.destroy();
        return;
      }
      chunks.push(chunk);
    });
    // Over before the listeners came (an error delivered on an earlier tick)?
    if (body.errored) fail(body.errored);
    else if (body.destroyed) fail(prematureClose());
  });
}

/** What a body that closed before its end gives, as Node's stream helpers name it. */
function prematureClose(): Error {
  const error = new Error('Premature close');
  (error as Error & { code: string }).code = 'ERR_STREAM_PREMATURE_CLOSE';
  return error;
}
