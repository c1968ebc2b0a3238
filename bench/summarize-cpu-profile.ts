import { relative } from 'node:path';
import { ROOT } from './mock-processes.ts';

/** The parts of a V8 .cpuprofile the summary reads. */
export interface CpuProfile {
  nodes: {
    id: number;
    callFrame: { functionName: string; url: string; lineNumber: number };
    children?: number[];
  }[];
  samples: number[];
  timeDeltas: number[];
}

/** One line of a summary: a name and its share of the sampled time. */
export interface ProfileLine {
  name: string;
  ms: number;
  share: number;
}

/** Self time by function, and time with an area (package, src file, node internals) anywhere on the stack. */
export interface ProfileSummary {
  totalMs: number;
  idleShare: number;
  selfByFunction: ProfileLine[];
  selfByArea: ProfileLine[];
  onStackByArea: ProfileLine[];
  onStackBySrcFile: ProfileLine[];
}

function areaOf(url: string): string {
  if (url === '') return '(native / V8)';
  if (url.startsWith('node:')) return 'node internals';
  const path = url.startsWith('file://') ? new URL(url).pathname : url;
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(path);
  if (pkg) return pkg[1]!;
  const rel = asSource(relative(ROOT, path));
  const folder = /^(src\/[^/]+)\//.exec(rel);
  return folder ? folder[1]! : rel;
}

/** dist/x/y.js is src/x/y.ts compiled (npm run build): named by its source, so profiles of both compare. */
function asSource(rel: string): string {
  return rel.startsWith('dist/') ? `src/${rel.slice(5).replace(/\.js$/, '.ts')}` : rel;
}

function srcFileOf(url: string): string | null {
  if (!url.startsWith('file://')) return null;
  const rel = asSource(relative(ROOT, new URL(url).pathname));
  return rel.startsWith('src/') ? rel : null;
}

function top(map: Map<string, number>, totalMs: number, n: number): ProfileLine[] {
  return [...map.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, n)
    .map(([name, ms]) => ({ name, ms, share: ms / totalMs }));
}

/**
 * Summarises a .cpuprofile: self time per function (where the CPU was), per area, and the share of time each
 * area or src file was anywhere on the stack (what it cost, callees included; counted once per sample, so
 * recursion does not inflate it). Shares are of the non-idle time.
 */
export function summarizeCpuProfile(profile: CpuProfile, topN = 25): ProfileSummary {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  const selfByFunction = new Map<string, number>();
  const selfByArea = new Map<string, number>();
  const onStackByArea = new Map<string, number>();
  const onStackBySrcFile = new Map<string, number>();
  let totalMs = 0;
  let idleMs = 0;
  const add = (map: Map<string, number>, key: string, ms: number) => map.set(key, (map.get(key) ?? 0) + ms);
  profile.samples.forEach((id, i) => {
    // timeDeltas[i] is the time before sample i; it is the closest per-sample weight V8 gives.
    const ms = (profile.timeDeltas[i] ?? 0) / 1000;
    const node = byId.get(id);
    if (!node) return;
    const frame = node.callFrame;
    if (frame.functionName === '(idle)') {
      idleMs += ms;
      return;
    }
    totalMs += ms;
    const where = frame.url
      ? `${relative(ROOT, frame.url.replace(/^file:\/\//, ''))}:${frame.lineNumber + 1}`
      : '';
    add(selfByFunction, `${frame.functionName || '(anonymous)'} ${where}`.trim(), ms);
    add(selfByArea, areaOf(frame.url), ms);
    const areas = new Set<string>();
    const files = new Set<string>();
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      const url = byId.get(at)?.callFrame.url ?? '';
      if (url) areas.add(areaOf(url));
      const file = srcFileOf(url);
      if (file) files.add(file);
    }
    for (const area of areas) add(onStackByArea, area, ms);
    for (const file of files) add(onStackBySrcFile, file, ms);
  });
  return {
    totalMs,
    idleShare: idleMs / (idleMs + totalMs),
    selfByFunction: top(selfByFunction, totalMs, topN),
    selfByArea: top(selfByArea, totalMs, topN),
    onStackByArea: top(onStackByArea, totalMs, topN),
    onStackBySrcFile: top(onStackBySrcFile, totalMs, topN),
  };
}
