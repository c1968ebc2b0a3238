import type { TableRow } from './print-table.ts';
import type { MemoryResult } from './scenario-memory.ts';
import type { PeerJobResult, PeersResult } from './scenario-peers.ts';
import type { RateLimitResult } from './scenario-rate-limit.ts';
import type { SoapResult } from './scenario-soap.ts';
import type { StartupResult } from './scenario-startup.ts';
import type { ThroughputResult } from './scenario-throughput.ts';
import type { TargetBar } from './write-chart.ts';

/** Everything one benchmark run measured. */
export interface BenchResults {
  throughput: ThroughputResult;
  rateLimit: RateLimitResult;
  memory: MemoryResult;
  startup: StartupResult;
  peers: PeersResult;
  soap: SoapResult;
}

const perSec = (n: number) => `${Math.round(n).toLocaleString('en-US')}/s`;
const ratio = (n: number) => n.toFixed(2);
const ms = (n: number) => `${Math.round(n)} ms`;
const mb = (n: number) => `${n.toFixed(0)} MB`;
const pct = (n: number) => `${(n * 100).toFixed(2)}%`;
const count = (n: number) => n.toLocaleString('en-US');
const us = (n: number | null) => (n === null ? 'n/a' : n.toFixed(0));
const orNa = (n: number | null, format: (n: number) => string) => (n === null ? 'n/a' : format(n));

/** Issue 23's targets (and issue 5's that still hold), in one place for the table and the chart. */
export const TARGETS = {
  ferryOverNodeRedLatency: 1.5,
  ferryOverCapacity: 0.9,
  ferryOverNodeRedAtOnce: 2,
  ferryOverNaiveAtOnce: 2,
  cpuShareOfBareClient: 0.6,
  settleWithin: 0.2,
  share503: 0.01,
  firstRequestMs: 300,
  validateMs: 300,
  helpMs: 100,
  rateOverLimit: 0.95,
  share429: 0.01,
  peakRssLargeMb: 150,
  rssRatio: 1.2,
} as const;

const row = (scenario: string, metric: string, value: string, target = '', holds: boolean | null = null) => ({
  scenario,
  metric,
  value,
  target,
  holds,
});

/** The rows of one peer job. */
function peerRows(r: PeerJobResult): TableRow[] {
  const s = `6 ${r.job.label}`;
  const f = r.ferry;
  const n = r.nodeRed;
  const rows: TableRow[] = [
    row(
      s,
      `launch to last order, median of ${r.rounds}: ferry / Node-RED${r.naive ? ' / naive' : ''} (s)`,
      [f, n, r.naive]
        .filter((x) => x !== undefined)
        .map((x) => (x === null ? 'n/a' : (x.launchToLastOrderMs / 1000).toFixed(2)))
        .join(' / '),
    ),
    row(
      s,
      `records/s, launch to last order: ferry / Node-RED${r.naive ? ' / naive' : ''}`,
      [f, n, r.naive]
        .filter((x) => x !== undefined)
        .map((x) => (x === null ? 'n/a' : perSec(x.recordsPerSec)))
        .join(' / '),
    ),
    row(
      s,
      'launch to first request: ferry / Node-RED (ms)',
      [f.launchToFirstRequestMs, n?.launchToFirstRequestMs ?? null].map((x) => orNa(x, ms)).join(' / '),
    ),
    row(
      s,
      'peak RSS: ferry / Node-RED',
      [f.peakRssMb, n?.peakRssMb ?? null].map((x) => orNa(x, mb)).join(' / '),
    ),
  ];
  const target = r.job.latencyMs > 0 ? TARGETS.ferryOverNodeRedLatency : TARGETS.ferryOverNodeRedAtOnce;
  if (n) {
    const over = n.launchToLastOrderMs / f.launchToLastOrderMs;
    rows.push(
      row(s, 'ferry / Node-RED (launch to last order, medians)', ratio(over), `>= ${target}`, over >= target),
    );
  } else {
    rows.push(
      row(s, 'ferry / Node-RED', `not measured: ${r.nodeRedSkipped ?? 'unknown'}`, `>= ${target}`, false),
    );
  }
  if (r.naive) {
    const over = r.naive.launchToLastOrderMs / f.launchToLastOrderMs;
    rows.push(
      row(
        s,
        'ferry / naive script (launch to last order, medians)',
        ratio(over),
        `>= ${TARGETS.ferryOverNaiveAtOnce}`,
        over >= TARGETS.ferryOverNaiveAtOnce,
      ),
    );
  }
  const ideal = r.idealClient;
  if (ideal && r.capacityPerSec !== null) {
    rows.push(
      row(
        s,
        `ideal client (undici alone, ${r.job.capacity} in flight from its first POST, bodies built before launch): launch to last order (s); POSTs/s over its run / capacity`,
        `${(ideal.launchToLastOrderMs / 1000).toFixed(2)}; ${ratio(ideal.postsPerSec / r.capacityPerSec)}`,
      ),
      row(
        s,
        'Node-RED / ideal client; ideal client / ferry (launch to last order, medians)',
        `${n ? ratio(n.launchToLastOrderMs / ideal.launchToLastOrderMs) : 'n/a'}; ${ratio(ideal.launchToLastOrderMs / f.launchToLastOrderMs)}`,
      ),
    );
  }
  if (r.capacityPerSec !== null) {
    const share = f.postsPerSec / r.capacityPerSec;
    rows.push(
      row(
        s,
        `ferry's POSTs/s over its run / capacity (${r.job.capacity} / ${r.job.latencyMs} ms = ${perSec(r.capacityPerSec)})`,
        `${perSec(f.postsPerSec)}; ${ratio(share)}`,
        `>= ${TARGETS.ferryOverCapacity}`,
        share >= TARGETS.ferryOverCapacity,
      ),
    );
    const capacity = r.job.capacity as number;
    const held = f.destinationInFlight;
    const off = held === null ? null : Math.abs(held - capacity) / capacity;
    rows.push(
      row(
        s,
        `ferry's requests in flight at the destination, 2nd half of the run (K = ${capacity}); its limit (records)`,
        `${orNa(held, (x) => x.toFixed(1))}; ${orNa(f.limitMean, (x) => x.toFixed(1))}`,
        `within ${TARGETS.settleWithin * 100}% of K`,
        off === null ? false : off <= TARGETS.settleWithin,
      ),
      row(
        s,
        `answered 503 (over capacity), share of ${count(f.requests)} requests`,
        pct(f.share503),
        `< ${pct(TARGETS.share503)}`,
        f.share503 < TARGETS.share503,
      ),
    );
  }
  return rows;
}

/** Load average (1 minute) when a scenario started and ended: the machine is shared, figures move with it. */
export interface ScenarioLoad {
  readonly start: number;
  readonly end: number;
}

const loadRow = (scenario: string, load: ScenarioLoad | undefined): TableRow[] =>
  load
    ? [
        row(
          scenario,
          'load average (1 min) at start / end of the scenario',
          `${load.start.toFixed(1)} / ${load.end.toFixed(1)}`,
        ),
      ]
    : [];

function throughputRows(t: ThroughputResult): TableRow[] {
  const c = t.cpuPerPost;
  const cpuShare = t.cpuShareOfBareClient.ferry;
  return [
    row(
      '1 throughput',
      `${count(t.customers)} customers, pages of 1000: ferry as shipped (POST) / lookup first (lookup + POST), records/s`,
      `${perSec(t.ferry.recordsPerSec)} / ${perSec(t.ferryLookupFirst.recordsPerSec)}`,
    ),
    row(
      '1 throughput',
      'accepted POSTs/s: ferry as shipped / lookup first / naive / autocannon, 16 conns / undici alone, 16',
      [
        t.ferry.postsPerSec,
        t.ferryLookupFirst.postsPerSec,
        t.naive.recordsPerSec,
        t.ceiling.postsPerSec,
        t.bareClient.postsPerSec,
      ]
        .map(perSec)
        .join(' / '),
    ),
    row(
      '1 throughput',
      `CPU per record, own process (fixed ${t.ferryFixedCpuMs === null ? 'n/a' : ms(t.ferryFixedCpuMs)} out): ferry as shipped / lookup first / naive / promise floor / undici alone (µs)`,
      [c.ferry.own, c.ferryLookupFirst.own, c.naive.own, c.promiseFloor, c.bareClient].map(us).join(' / '),
    ),
    row(
      '1 throughput',
      "undici alone's CPU per POST / ferry's per record, as shipped (lookup first)",
      `${orNa(cpuShare, ratio)} (${orNa(t.cpuShareOfBareClient.ferryLookupFirst, ratio)})`,
      `>= ${TARGETS.cpuShareOfBareClient}`,
      cpuShare === null ? false : cpuShare >= TARGETS.cpuShareOfBareClient,
    ),
    row(
      '1 throughput',
      "undici alone's CPU per POST / the promise floor's per record (pages, plain mapping, hash, ledger, POST)",
      ratio(t.cpuShareOfBareClient.promiseFloor),
    ),
  ];
}

function rateLimitRows(q: RateLimitResult): TableRow[] {
  return [
    row('3 rate 300/s', 'accepted POSTs/s (ferry as shipped, a fresh ledger)', perSec(q.achievedPerSec)),
    row(
      '3 rate 300/s',
      'achieved / limit',
      ratio(q.achievedOverLimit),
      `>= ${TARGETS.rateOverLimit}`,
      q.achievedOverLimit >= TARGETS.rateOverLimit,
    ),
    row(
      '3 rate 300/s',
      `429 share (${q.answered429} of ${q.postRequests} POSTs)`,
      pct(q.share429),
      `<= ${pct(TARGETS.share429)}`,
      q.share429 <= TARGETS.share429,
    ),
  ];
}

function memoryRows(m: MemoryResult): TableRow[] {
  const largeLabel = m.large.limited
    ? `peak RSS, ${count(m.large.customers)} source, first ${count(m.large.read)} read (--limit)`
    : `peak RSS, ${count(m.large.customers)} customers`;
  return [
    row('4 memory', `peak RSS, ${count(m.small.customers)} customers`, mb(m.small.peakRssMb)),
    row(
      '4 memory',
      largeLabel,
      mb(m.large.peakRssMb),
      `<= ${TARGETS.peakRssLargeMb} MB`,
      m.large.peakRssMb <= TARGETS.peakRssLargeMb,
    ),
    row(
      '4 memory',
      `ferry records/s, ${count(m.small.customers)} / ${count(m.large.read)} customers`,
      `${perSec(m.small.recordsPerSec)} / ${perSec(m.large.recordsPerSec)}`,
    ),
    row(
      '4 memory',
      'peak RSS large / small',
      ratio(m.ratio),
      `<= ${TARGETS.rssRatio}`,
      m.ratio <= TARGETS.rssRatio,
    ),
  ];
}

function startupRows(s: StartupResult): TableRow[] {
  return [
    row(
      '5 start-up',
      'launch to first request, one-record run (median)',
      ms(s.firstRequestMs),
      `<= ${TARGETS.firstRequestMs} ms`,
      s.firstRequestMs <= TARGETS.firstRequestMs,
    ),
    row('5 start-up', 'the same without the compile cache (median)', ms(s.firstRequestUncachedMs)),
    row(
      '5 start-up',
      'ferry validate, flagship (median)',
      ms(s.validateMs),
      `<= ${TARGETS.validateMs} ms`,
      s.validateMs <= TARGETS.validateMs,
    ),
    row(
      '5 start-up',
      'ferry --help (median)',
      ms(s.helpMs),
      `<= ${TARGETS.helpMs} ms`,
      s.helpMs <= TARGETS.helpMs,
    ),
    row(
      '5 start-up',
      'node -e 0 (floor); one-record run, wall (medians)',
      `${ms(s.nodeFloorMs)}; ${ms(s.oneRecordMs)}`,
    ),
  ];
}

function soapRows(soap: SoapResult): TableRow[] {
  return [
    row(
      '7 SOAP flagship',
      `SOAP flagship to the ERP mock, ${count(soap.customers)} customers (records/s; CreateOrder/s)`,
      `${perSec(soap.soap.recordsPerSec)}; ${perSec(soap.soap.ordersPerSec)}`,
    ),
    row(
      '7 SOAP flagship',
      `REST flagship, lookup first as the SOAP one goes, the same ${count(soap.customers)} customers (records/s; POSTs/s)`,
      `${perSec(soap.rest.recordsPerSec)}; ${perSec(soap.rest.ordersPerSec)}`,
    ),
    row(
      '7 SOAP flagship',
      'SOAP / REST (records/s); orders the ERP stored twice',
      `${ratio(soap.soapOverRest)}; ${soap.erpDuplicates}`,
    ),
  ];
}

/**
 * The table of one run: figures, the target each answers to, and whether it holds; the scenarios that ran
 * (`--only`), each with the load average around it.
 */
export function buildRows(
  r: { readonly [K in keyof BenchResults]?: BenchResults[K] | undefined },
  loads: Partial<Record<keyof BenchResults, ScenarioLoad>> = {},
): TableRow[] {
  return [
    ...(r.throughput ? [...loadRow('1 throughput', loads.throughput), ...throughputRows(r.throughput)] : []),
    ...(r.rateLimit ? [...loadRow('3 rate 300/s', loads.rateLimit), ...rateLimitRows(r.rateLimit)] : []),
    ...(r.memory ? [...loadRow('4 memory', loads.memory), ...memoryRows(r.memory)] : []),
    ...(r.startup ? [...loadRow('5 start-up', loads.startup), ...startupRows(r.startup)] : []),
    ...(r.peers ? [...loadRow('6 peers', loads.peers), ...r.peers.jobs.flatMap(peerRows)] : []),
    ...(r.soap ? [...loadRow('7 SOAP flagship', loads.soap), ...soapRows(r.soap)] : []),
  ];
}

/** The targets as chart bars. */
export function buildTargets(r: BenchResults): TargetBar[] {
  const bars: TargetBar[] = [];
  for (const job of r.peers.jobs) {
    if (!job.nodeRed) continue;
    const target = job.job.latencyMs > 0 ? TARGETS.ferryOverNodeRedLatency : TARGETS.ferryOverNodeRedAtOnce;
    bars.push({
      label: `${job.job.label}: ferry / Node-RED`,
      value: job.nodeRed.launchToLastOrderMs / job.ferry.launchToLastOrderMs,
      target,
      kind: 'min',
      format: ratio,
    });
  }
  bars.push(
    {
      label: 'launch to first request',
      value: r.startup.firstRequestMs,
      target: TARGETS.firstRequestMs,
      kind: 'max',
      format: ms,
    },
    {
      label: 'ferry validate',
      value: r.startup.validateMs,
      target: TARGETS.validateMs,
      kind: 'max',
      format: ms,
    },
    { label: 'ferry --help', value: r.startup.helpMs, target: TARGETS.helpMs, kind: 'max', format: ms },
    {
      label: 'rate 300/s: achieved / limit',
      value: r.rateLimit.achievedOverLimit,
      target: TARGETS.rateOverLimit,
      kind: 'min',
      format: ratio,
    },
    {
      label: 'peak RSS, large run',
      value: r.memory.large.peakRssMb,
      target: TARGETS.peakRssLargeMb,
      kind: 'max',
      format: mb,
    },
  );
  return bars;
}
