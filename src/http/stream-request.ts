import type { Dispatcher } from 'undici';
import type { HttpRequest, HttpResponse, ResponseBodyStream } from '../core/http-types.ts';
import { type ExchangeProgress, RESPONSE_TOO_LARGE, type ResponseLimits } from './dispatch-request.ts';
import { targetOf } from './origin-of.ts';

/** Turns an error met while the body streams into what the transport reports (a FerryError). */
export type BodyErrorMapper = (error: unknown) => Error;

function withCode(message: string, code: string, declaredBytes?: number): Error {
  const error = new Error(message);
  Object.assign(error, declaredBytes === undefined ? { code } : { code, declaredBytes });
  return error;
}

function joinRepeated(raw: Record<string, string | string[] | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name in raw) {
    const value = raw[name];
    if (value !== undefined) out[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : value;
  }
  return out;
}

/**
 * Sends a request whose 2xx body is read by the caller (HttpRequest.streamBody), through undici's request():
 * its body is a Readable with backpressure, so a caller that stops pulling stops the socket (undici's idle
 * timeout does not run while it is paused). The size cap counts as the caller reads. Any other status is
 * read whole within the cap and the body deadline, as dispatchRequest does. Errors met while the body
 * streams go through `mapBodyError`.
 */
export async function streamRequest(
  dispatcher: Dispatcher,
  req: HttpRequest,
  limits: ResponseLimits,
  progress: ExchangeProgress,
  mapBodyError: BodyErrorMapper,
): Promise<HttpResponse> {
  const { origin, path } = targetOf(req.url);
  const answer = await dispatcher.request({
    origin,
    path,
    method: req.method,
    headers: req.headers,
    body: req.body ?? null,
    signal: req.signal ?? null,
  });
  progress.headersReceived = true;
  const headers = joinRepeated(answer.headers);
  const declared = Number(headers['content-length']);
  // Destroying the body early (too large, the reader stopped) makes undici emit an abort error on it, which
  // nobody needs to hear: the reader iterating it gets its own.
  answer.body.on('error', () => {});
  if (declared > limits.maxBytes) {
    answer.body.destroy();
    throw withCode(`response body over ${limits.maxBytes} bytes`, RESPONSE_TOO_LARGE, declared);
  }
  const status = answer.statusCode;
  if (status < 200 || status > 299) {
    const body = await readWhole(answer.body, limits);
    return { status, headers, body, url: req.url };
  }
  const readable = answer.body;
  let started = false;
  const bodyStream: ResponseBodyStream = {
    async *[Symbol.asyncIterator]() {
      if (started) throw new Error('a streamed response body can be read only once');
      started = true;
      let size = 0;
      try {
        for await (const chunk of readable) {
          size += (chunk as Buffer).length;
          if (size > limits.maxBytes)
            throw withCode(`response body over ${limits.maxBytes} bytes`, RESPONSE_TOO_LARGE);
          yield chunk as Buffer;
        }
      } catch (error) {
        throw mapBodyError(error);
      } finally {
        // Stopped early (the reader returned, or threw): the socket is closed rather than drained.
        if (!readable.readableEnded) readable.destroy();
      }
    },
    cancel() {
      if (!readable.readableEnded) readable.destroy();
    },
  };
  return { status, headers, body: Buffer.alloc(0), url: req.url, bodyStream };
}

async function readWhole(readable: AsyncIterable<unknown> & { destroy(): void }, limits: ResponseLimits) {
  const chunks: Buffer[] = [];
  let size = 0;
  const deadline = setTimeout(() => readable.destroy(), limits.bodyDeadlineMs);
  try {
    for await (const chunk of readable) {
      size += (chunk as Buffer).length;
      if (size > limits.maxBytes) {
        readable.destroy();
        throw withCode(`response body over ${limits.maxBytes} bytes`, RESPONSE_TOO_LARGE);
      }
      chunks.push(chunk as Buffer);
    }
  } finally {
    clearTimeout(deadline);
  }
  return Buffer.concat(chunks, size);
}
