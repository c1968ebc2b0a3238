import { createServer, type IncomingMessage, request, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** Options for startForwardingProxy. */
export interface ForwardingProxyOptions {
  /** Answers a request itself when it returns true (an outage, a refusal); otherwise it is forwarded. */
  readonly intercept?: (req: IncomingMessage, res: ServerResponse) => boolean;
  /** Headers set on every forwarded request (a gateway adding a credential). */
  readonly addHeaders?: Readonly<Record<string, string>>;
}

/** A loopback HTTP proxy in front of `target`, on port 0, for tests that put something between ferry and a mock. */
export async function startForwardingProxy(
  target: string,
  options: ForwardingProxyOptions = {},
): Promise<{ url: string; close(): Promise<void> }> {
  const upstream = new URL(target);
  const server: Server = createServer((req, res) => {
    if (options.intercept?.(req, res)) return;
    const forward = request(
      {
        host: upstream.hostname,
        port: upstream.port,
        path: req.url,
        method: req.method,
        headers: { ...req.headers, ...options.addHeaders },
      },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    req.pipe(forward);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
