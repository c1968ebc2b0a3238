import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { processCpuMs } from './process-cpu.ts';

/** Root of the repository (bench/..). */
export const ROOT = fileURLToPath(new URL('..', import.meta.url));

/** Options of the mocks a scenario needs (passed to `ferry mock source` and `ferry mock destination`). */
export interface MockProcessOptions {
  count: number;
  /** Latency added to every POST /api/v2/orders (the destination only). */
  destinationLatencyMs?: number;
  /** Destination rate limit in requests per second. */
  destinationRps?: number;
  /** Orders requests the destination serves at once (latency grows past it, 503 past twice it). */
  destinationCapacity?: number;
}

/** The environment the flagship reads plus what the baselines need. */
export interface MockEnv {
  SOURCE_URL: string;
  SOURCE_API_KEY: string;
  DEST_URL: string;
  DEST_TOKEN_URL: string;
  DEST_CLIENT_ID: string;
  DEST_CLIENT_SECRET: string;
}

/** Destination counters from GET /__admin/stats (the part the bench reads). */
export interface DestinationStats {
  requests: Record<string, Record<string, number>>;
  ordersStored: number;
  rateLimited: number;
  tokensIssued: number;
  /** 503s answered past twice the capacity. */
  overloaded: number;
  /** Order requests in flight integrated over time, request·ms (with a capacity). */
  inFlightMs: number;
  /** When the first request arrived and each `route status` was last answered, ms since the epoch. */
  times: { firstArrivalAt: number | null; lastAnswered: Record<string, number> };
}

/** Source counters from GET /__admin/stats (the part the bench reads). */
export interface SourceStats {
  times: { firstArrivalAt: number | null; lastAnswered: Record<string, number> };
}

/** CPU time of the two mock processes, in ms. */
export interface MockCpu {
  source: number | null;
  destination: number | null;
}

/** Mock APIs running in their own process. */
export interface MockProcesses {
  env: MockEnv;
  destinationOrigin: string;
  destinationStats(): Promise<DestinationStats>;
  sourceStats(): Promise<SourceStats>;
  /** Forgets the source's counters and times (its data stays). */
  resetSource(): Promise<void>;
  /** Forgets orders, idempotency keys and counters; issued tokens stay valid. */
  resetDestination(): Promise<void>;
  /** CPU time each mock process has used since it started, in ms (null off Linux). */
  cpuMs(): Promise<MockCpu>;
  stop(): Promise<void>;
}

async function readFirstLine(child: ChildProcess): Promise<string> {
  let buffer = '';
  const stdout = child.stdout;
  if (!stdout) throw new Error('mock process has no stdout');
  stdout.setEncoding('utf8');
  for await (const chunk of stdout) {
    buffer += chunk as string;
    const end = buffer.indexOf('\n');
    if (end >= 0) return buffer.slice(0, end);
  }
  throw new Error(`mock process ended before printing its addresses (exit ${String(child.exitCode)})`);
}

/** One `ferry mock <which> --json` process and the first line it printed. */
async function startMock(args: readonly string[]): Promise<{
  parsed: {
    env: Partial<MockEnv & ErpEnv>;
    destination?: { origin: string };
    erp?: { origin: string };
  };
  cpuMs(): Promise<number | null>;
  stop(): Promise<void>;
}> {
  const child = spawn(process.execPath, ['src/cli/ferry.ts', 'mock', ...args, '--json'], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  const exited = once(child, 'exit');
  const line = await Promise.race([
    readFirstLine(child),
    exited.then(() => {
      throw new Error(`ferry mock ${args[0]} exited early with ${String(child.exitCode)}`);
    }),
  ]);
  child.stdout?.resume();
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    await exited;
  };
  return {
    parsed: JSON.parse(line),
    cpuMs: () => (child.pid === undefined ? Promise.resolve(null) : processCpuMs(child.pid)),
    stop,
  };
}

/**
 * Starts the source and the destination mocks as two processes of their own, so neither shares an event
 * loop with the process measured nor with each other: the source serialising a 1,000-customer page (5 to
 * 10 ms) would otherwise hold every order request waiting behind it, which no real pair of APIs does.
 */
export async function startMockProcesses(options: MockProcessOptions): Promise<MockProcesses> {
  const destinationArgs = ['destination'];
  if (options.destinationLatencyMs !== undefined)
    destinationArgs.push('--latency-ms', String(options.destinationLatencyMs));
  if (options.destinationRps !== undefined) destinationArgs.push('--rps', String(options.destinationRps));
  if (options.destinationCapacity !== undefined)
    destinationArgs.push('--capacity', String(options.destinationCapacity));
  const [source, destination] = await Promise.all([
    startMock(['source', '--count', String(options.count)]),
    startMock(destinationArgs),
  ]);
  const env = { ...source.parsed.env, ...destination.parsed.env } as MockEnv;
  const origin = destination.parsed.destination?.origin;
  const sourceOrigin = new URL(source.parsed.env.SOURCE_URL ?? '').origin;
  if (origin === undefined) throw new Error('ferry mock destination printed no origin');
  return {
    env,
    destinationOrigin: origin,
    async destinationStats() {
      const response = await fetch(`${origin}/__admin/stats`);
      return (await response.json()) as DestinationStats;
    },
    async sourceStats() {
      const response = await fetch(`${sourceOrigin}/__admin/stats`);
      return (await response.json()) as SourceStats;
    },
    async resetSource() {
      const response = await fetch(`${sourceOrigin}/__admin/reset`, { method: 'POST' });
      await response.arrayBuffer();
    },
    async resetDestination() {
      const response = await fetch(`${origin}/__admin/reset`, { method: 'POST' });
      await response.arrayBuffer();
    },
    async cpuMs() {
      const [sourceMs, destinationMs] = await Promise.all([source.cpuMs(), destination.cpuMs()]);
      return { source: sourceMs, destination: destinationMs };
    },
    async stop() {
      await Promise.all([source.stop(), destination.stop()]);
    },
  };
}

/** What the SOAP flagship reads besides the source. */
export interface ErpEnv {
  ERP_URL: string;
  ERP_USERNAME: string;
  ERP_PASSWORD: string;
}

/** ERP mock counters from GET /__stats (the part the bench reads). */
export interface ErpStats {
  ordersStored: number;
  duplicates: number;
  operations: { CreateOrder: number; GetOrder: number };
}

/** The source and the SOAP ERP mocks, each in a process of its own. */
export interface ErpMockProcesses {
  env: Pick<MockEnv, 'SOURCE_URL' | 'SOURCE_API_KEY'> & ErpEnv;
  erpStats(): Promise<ErpStats>;
  /** Forgets orders, nonces and counters; credentials stay. */
  resetErp(): Promise<void>;
  stop(): Promise<void>;
}

/** Starts `ferry mock source` and `ferry mock erp` as two processes, as startMockProcesses does for REST. */
export async function startErpMockProcesses(options: { count: number }): Promise<ErpMockProcesses> {
  const [source, erp] = await Promise.all([
    startMock(['source', '--count', String(options.count)]),
    startMock(['erp']),
  ]);
  const origin = erp.parsed.erp?.origin;
  if (origin === undefined) throw new Error('ferry mock erp printed no origin');
  return {
    env: { ...source.parsed.env, ...erp.parsed.env } as ErpMockProcesses['env'],
    async erpStats() {
      const response = await fetch(`${origin}/__stats`);
      return (await response.json()) as ErpStats;
    },
    async resetErp() {
      const response = await fetch(`${origin}/__reset`, { method: 'POST' });
      await response.arrayBuffer();
    },
    async stop() {
      await Promise.all([source.stop(), erp.stop()]);
    },
  };
}
