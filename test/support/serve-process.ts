import { createServer } from 'node:net';
import { type FerryProcess, startFerry } from './ferry-cli.ts';

/** A `ferry serve` child process and the URL it serves on. */
export interface ServeProcess {
  readonly ferry: FerryProcess;
  readonly url: string;
}

/** Starts `ferry serve <args>` as a user would and waits for the line that says where it listens. */
export async function startServeProcess(
  args: readonly string[],
  env: Record<string, string>,
): Promise<ServeProcess> {
  const ferry = startFerry(['serve', ...args, '--log-format', 'json'], { env });
  await ferry.waitForStderr(/"msg":"serving \d+ integrations? on /, 30_000);
  const url = await urlOf(ferry);
  return { ferry, url };
}

async function urlOf(ferry: FerryProcess): Promise<string> {
  const match = /"msg":"serving \d+ integrations? on (http:\/\/[^"]+)"/.exec(ferry.stderr());
  if (!match) throw new Error(`ferry serve printed no URL:\n${ferry.stderr().slice(-2000)}`);
  return match[1]!;
}

/** A TCP port free right now on 127.0.0.1, for a server that must come back on the same port. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

/** The resident set size of a process, in MB, from /proc (Linux). */
export async function rssMb(pid: number): Promise<number | undefined> {
  const { readFile } = await import('node:fs/promises');
  try {
    const status = await readFile(`/proc/${pid}/status`, 'utf8');
    const match = /VmRSS:\s+(\d+) kB/.exec(status);
    return match ? Number(match[1]) / 1024 : undefined;
  } catch {
    return undefined;
  }
}
