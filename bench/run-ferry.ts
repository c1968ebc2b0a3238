import { readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { measureProcess } from './measure-process.ts';
import { ROOT } from './mock-processes.ts';

/** The parts of ferry's run report the bench reads. */
export interface FerryReport {
  status: string;
  durationMs: number;
  counts: { read: number; delivered: number; skipped: number; quarantined: number; failed: number };
  http: { destination?: { requests: number; byStatus: Record<string, number> } };
}

/** One ferry CLI run as its own process. */
export interface FerryRun {
  report: FerryReport;
  /** Records settled (delivered + skipped + quarantined + failed) per second of the report's duration. */
  recordsPerSec: number;
  /** Orders the destination accepted (2xx) per second of the report's duration. */
  postsPerSec: number;
  wallMs: number;
  peakRssMb: number | null;
  /** CPU time of the ferry process, all threads, start-up included, in ms (null without GNU time). */
  cpuMs: number | null;
  /** RSS every 250 ms of the run. */
  rssTimeline: { ms: number; rssMb: number }[];
  exitCode: number | null;
}

/** How to run ferry. */
export interface FerryRunOptions {
  /** What the integration reads: SOURCE_URL (without paging) and its side's variables. */
  env: { readonly SOURCE_URL: string };
  /** The integration file, absolute or relative to the repository. @default "examples/customers-to-orders.yaml" */
  config?: string;
  /** Source page size (`?per_page=N` on SOURCE_URL); the mock follows with Link rel="next". */
  perPage?: number;
  limit?: number;
  /** Extra flags for node itself, such as --cpu-prof. */
  nodeArgs?: readonly string[];
  /** More environment for ferry (NODE_DISABLE_COMPILE_CACHE=1...). */
  extraEnv?: Record<string, string>;
  /** Called with the time (ms since the epoch) just before ferry is spawned. */
  onLaunch?: (launchedAt: number) => void;
  timeoutMs?: number;
}

function successes(byStatus: Record<string, number>): number {
  return Object.entries(byStatus)
    .filter(([status]) => status.startsWith('2'))
    .reduce((sum, [, n]) => sum + n, 0);
}

const shebang = readFileSync(join(ROOT, 'bin/ferry.js'), 'utf8').split('\n', 1)[0]!.split(/\s+/);

/**
 * The node flags bin/ferry.js's shebang gives it (`#!/usr/bin/env -S NAME=value node <flags>`): `npx ferry`
 * runs the launcher through its shebang, so the bench passes the same flags to measure the process users get.
 */
export const launcherNodeFlags: readonly string[] = shebang.filter((word) => word.startsWith('--'));

/** The environment variables the shebang sets before node starts (glibc malloc settings). */
export const launcherEnv: Readonly<Record<string, string>> = Object.fromEntries(
  shebang.flatMap((word) => {
    const match = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(word);
    return match ? [[match[1]!, match[2]!]] : [];
  }),
);

/**
 * Runs a flagship (the REST one unless `config` names another) through the real CLI (`bin/ferry.js run`) in a fresh state directory, so wall time and
 * RSS are the CLI process's own, start-up included.
 */
export async function runFerry(options: FerryRunOptions): Promise<FerryRun> {
  const dir = await mkdtemp(join(tmpdir(), 'ferry-bench-'));
  const reportFile = join(dir, 'report.json');
  const sourceUrl =
    options.perPage === undefined
      ? options.env.SOURCE_URL
      : `${options.env.SOURCE_URL}?per_page=${options.perPage}`;
  const args = [
    ...launcherNodeFlags,
    ...(options.nodeArgs ?? []),
    join(ROOT, 'bin/ferry.js'),
    'run',
    resolve(ROOT, options.config ?? 'examples/customers-to-orders.yaml'),
    '--state',
    join(dir, 'state'),
    '--report',
    reportFile,
    '--no-progress',
    '--log-level',
    'warn',
  ];
  if (options.limit !== undefined) args.push('--limit', String(options.limit));
  try {
    options.onLaunch?.(Date.now());
    const measured = await measureProcess(process.execPath, args, {
      env: { ...process.env, ...launcherEnv, ...options.env, ...options.extraEnv, SOURCE_URL: sourceUrl },
      rss: true,
      ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
    });
    let report: FerryReport;
    try {
      report = JSON.parse(await readFile(reportFile, 'utf8')) as FerryReport;
    } catch {
      throw new Error(
        `ferry run exited ${String(measured.code)} without a report; stderr ends:\n${measured.stderrTail.slice(-2000)}`,
      );
    }
    const c = report.counts;
    const seconds = report.durationMs / 1000;
    return {
      report,
      recordsPerSec: (c.delivered + c.skipped + c.quarantined + c.failed) / seconds,
      postsPerSec: successes(report.http.destination?.byStatus ?? {}) / seconds,
      wallMs: measured.wallMs,
      peakRssMb: measured.peakRssMb,
      cpuMs: measured.cpuMs,
      rssTimeline: measured.rssTimeline,
      exitCode: measured.code,
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
