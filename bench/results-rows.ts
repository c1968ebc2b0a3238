import type { TableRow } from './print-table.ts';
import type { LatencyResult } from './scenario-latency.ts';
import type { MemoryResult } from './scenario-memory.ts';
import type { RateLimitResult } from './scenario-rate-limit.ts';
import type { SoapResult } from './scenario-soap.ts';
import type { StartupResult } from './scenario-startup.ts';
import type { ThroughputResult } from './scenario-throughput.ts';
import type { TargetBar } from './write-chart.ts';

/** Everything one benchmark run measured. */
export interface BenchResults {
  throughput: ThroughputResult;
  latency: LatencyResult;
  rateLimit: RateLimitResult;
  memory: MemoryResult;
  startup: StartupResult;
  soap: SoapResult;
}

const perSec = (n: number) => `${Math.round(n).toLocaleString('en-US')}/s`;
const ratio = (n: number) => n.toFixed(2);
const ms = (n: number) => `${Math.round(n)} ms`;
const mb = (n: number) => `${n.toFixed(0)} MB`;
const pct = (n: number) => `${(n * 100).toFixed(2)}%`;
const count = (n: number) => n.toLocaleString('en-US');
const us = (n: number | null) => (n === null ? 'n/a' : n.toFixed(0));

/** The targets, in one place for the table and the chart. */
export const TARGETS = {
  ferryOverCeiling: 0.8,
  ferryOverNaive: 10,
  latencyOverBound: 0.9,
  rateOverLimit: 0.95,
  share429: 0.01,
  peakRssLargeMb: 150,
  rssRatio: 1.2,
  helpMs: 200,
} as const;

/** The table of one run: figures, the target each answers to, and whether it holds. */
export function buildRows(r: BenchResults): TableRow[] {
  const t = r.throughput;
  const c = t.cpuPerPost;
  const l = r.latency;
  const q = r.rateLimit;
  const m = r.memory;
  const s = r.startup;
  const soap = r.soap;
  const largeLabel = m.large.limited
    ? `peak RSS, ${count(m.large.customers)} source, first ${count(m.large.read)} read (--limit)`
    : `peak RSS, ${count(m.large.customers)} customers`;
  return [
    {
      scenario: '1 throughput',
      metric: `ferry, ${count(t.customers)} customers, median run (records/s)`,
      value: perSec(t.ferry.recordsPerSec),
      target: '',
      holds: null,
    },
    {
      scenario: '1 throughput',
      metric: 'ferry, accepted POSTs/s',
      value: perSec(t.ferry.postsPerSec),
      target: '',
      holds: null,
    },
    {
      scenario: '1 throughput',
      metric: 'naive sequential script (records/s)',
      value: perSec(t.naive.recordsPerSec),
      target: '',
      holds: null,
    },
    {
      scenario: '1 throughput',
      metric: 'raw ceiling: autocannon, 16 conns (POSTs/s)',
      value: perSec(t.ceiling.postsPerSec),
      target: '',
      holds: null,
    },
    {
      scenario: '1 throughput',
      metric: 'for reference: undici dispatch() alone, fresh process, same bodies (POSTs/s)',
      value: perSec(t.bareClient.postsPerSec),
      target: '',
      holds: null,
    },
    {
      scenario: '1 throughput',
      metric: 'undici alone / ceiling; ferry / undici alone (POSTs/s, medians)',
      value: `${ratio(t.bareClientOverCeiling)}; ${ratio(t.ferryOverBareClient)}`,
      target: '',
      holds: null,
    },
    {
      scenario: '1 throughput',
      metric: `ferry / ceiling (POSTs/s), medians of ${t.rounds} rounds`,
      value: ratio(t.ferryOverCeiling),
      target: `>= ${TARGETS.ferryOverCeiling}`,
      holds: t.ferryOverCeiling >= TARGETS.ferryOverCeiling,
    },
    {
      scenario: '1 throughput',
      metric: 'ferry / ceiling, round by round',
      value: t.all.ferry.map((run, i) => ratio(run.postsPerSec / t.all.ceiling[i]!.postsPerSec)).join(' '),
      target: '',
      holds: null,
    },
    {
      scenario: '1 throughput',
      metric: `ferry / naive (records/s), 0 ms latency, medians of ${t.rounds}`,
      value: ratio(t.ferryOverNaive),
      target: `>= ${TARGETS.ferryOverNaive}`,
      holds: t.ferryOverNaive >= TARGETS.ferryOverNaive,
    },
    {
      scenario: '1 throughput',
      metric: 'ferry / naive, round by round',
      value: t.all.ferry.map((run, i) => ratio(run.recordsPerSec / t.all.naive[i]!.recordsPerSec)).join(' '),
      target: '',
      holds: null,
    },
    {
      scenario: '1 throughput',
      metric: `CPU per POST, own process: ferry (less its fixed ${t.ferryFixedCpuMs === null ? 'n/a' : ms(t.ferryFixedCpuMs)}) / naive / autocannon / undici alone (µs)`,
      value: [c.ferry.own, c.naive.own, c.ceiling.own, c.bareClient].map(us).join(' / '),
      target: '',
      holds: null,
    },
    {
      scenario: '1 throughput',
      metric: "CPU per POST, destination mock, in ferry's / autocannon's run (µs)",
      value: [c.ferry.destination, c.ceiling.destination].map(us).join(' / '),
      target: '',
      holds: null,
    },
    {
      scenario: '1 throughput',
      metric: `most CPU per POST ferry could use at ${TARGETS.ferryOverCeiling} of the ceiling (${t.cores} cores less the mocks', µs)`,
      value: us(t.cpuBudgetUs),
      target: '',
      holds: null,
    },
    {
      scenario: '2 latency 20 ms',
      metric: `ferry accepted POSTs/s, median run (bound ${Math.round(l.boundPerSec)}/s)`,
      value: perSec(l.ferryPostsPerSec),
      target: '',
      holds: null,
    },
    {
      scenario: '2 latency 20 ms',
      metric: `ferry / (concurrency / latency), median of ${l.rounds} rounds`,
      value: ratio(l.ferryOverBound),
      target: `>= ${TARGETS.latencyOverBound}`,
      holds: l.ferryOverBound >= TARGETS.latencyOverBound,
    },
    {
      scenario: '2 latency 20 ms',
      metric: 'ferry / (concurrency / latency), round by round',
      value: l.ferryOverBoundRounds.map(ratio).join(' '),
      target: '',
      holds: null,
    },
    {
      scenario: '2 latency 20 ms',
      metric: 'autocannon, 16 conns, same destination, median run (POSTs/s; / bound), for reference',
      value: `${perSec(l.ceilingPostsPerSec)}; ${ratio(l.ceilingOverBound)}`,
      target: '',
      holds: null,
    },
    {
      scenario: '2 latency 20 ms',
      metric: 'ferry / autocannon at 20 ms, medians',
      value: ratio(l.ferryOverCeiling),
      target: '',
      holds: null,
    },
    {
      scenario: '2 latency 20 ms',
      metric: `ferry / naive (records/s; naive over ${l.naive.records})`,
      value: ratio(l.ferryOverNaive),
      target: `(>= ${TARGETS.ferryOverNaive})`,
      holds: null,
    },
    {
      scenario: '3 rate 300/s',
      metric: 'accepted POSTs/s',
      value: perSec(q.achievedPerSec),
      target: '',
      holds: null,
    },
    {
      scenario: '3 rate 300/s',
      metric: 'achieved / limit',
      value: ratio(q.achievedOverLimit),
      target: `>= ${TARGETS.rateOverLimit}`,
      holds: q.achievedOverLimit >= TARGETS.rateOverLimit,
    },
    {
      scenario: '3 rate 300/s',
      metric: 'achieved / allowed (limit x s + 1 s burst)',
      value: ratio(q.achievedOverAllowed),
      target: '',
      holds: null,
    },
    {
      scenario: '3 rate 300/s',
      metric: `429 share (${q.answered429} of ${q.postRequests} POSTs)`,
      value: pct(q.share429),
      target: `<= ${pct(TARGETS.share429)}`,
      holds: q.share429 <= TARGETS.share429,
    },
    {
      scenario: '4 memory',
      metric: `peak RSS, ${count(m.small.customers)} customers`,
      value: mb(m.small.peakRssMb),
      target: '',
      holds: null,
    },
    {
      scenario: '4 memory',
      metric: largeLabel,
      value: mb(m.large.peakRssMb),
      target: `<= ${TARGETS.peakRssLargeMb} MB`,
      holds: m.large.peakRssMb <= TARGETS.peakRssLargeMb,
    },
    {
      scenario: '4 memory',
      metric: 'RSS at 20% / 80% of the large run',
      value: `${mb(m.large.rssEarlyMb)} / ${mb(m.large.rssLateMb)}`,
      target: '',
      holds: null,
    },
    {
      // Scenario 1's 20,000 customers are mostly V8's warm-up; these longer runs show ferry warm.
      scenario: '4 memory',
      metric: `ferry records/s, ${count(m.small.customers)} / ${count(m.large.read)} customers`,
      value: `${perSec(m.small.recordsPerSec)} / ${perSec(m.large.recordsPerSec)}`,
      target: '',
      holds: null,
    },
    {
      scenario: '4 memory',
      metric: 'peak RSS large / small',
      value: ratio(m.ratio),
      target: `<= ${TARGETS.rssRatio}`,
      holds: m.ratio <= TARGETS.rssRatio,
    },
    {
      scenario: '5 start-up',
      metric: 'ferry --help (median of 5)',
      value: ms(s.helpMs),
      target: `< ${TARGETS.helpMs} ms`,
      holds: s.helpMs < TARGETS.helpMs,
    },
    {
      scenario: '5 start-up',
      metric: 'node -e 0 (floor, median of 5)',
      value: ms(s.nodeFloorMs),
      target: '',
      holds: null,
    },
    {
      scenario: '5 start-up',
      metric: 'one-record run (--limit 1), wall',
      value: ms(s.oneRecordMs),
      target: '',
      holds: null,
    },
    {
      scenario: '6 SOAP flagship',
      metric: `SOAP flagship to the ERP mock, ${count(soap.customers)} customers (records/s; CreateOrder/s)`,
      value: `${perSec(soap.soap.recordsPerSec)}; ${perSec(soap.soap.ordersPerSec)}`,
      target: '',
      holds: null,
    },
    {
      scenario: '6 SOAP flagship',
      metric: `REST flagship, the same ${count(soap.customers)} customers (records/s; POSTs/s)`,
      value: `${perSec(soap.rest.recordsPerSec)}; ${perSec(soap.rest.ordersPerSec)}`,
      target: '',
      holds: null,
    },
    {
      scenario: '6 SOAP flagship',
      metric: 'SOAP / REST (records/s); orders the ERP stored twice',
      value: `${ratio(soap.soapOverRest)}; ${soap.erpDuplicates}`,
      target: '',
      holds: null,
    },
  ];
}

/** The targets as chart bars. */
export function buildTargets(r: BenchResults): TargetBar[] {
  return [
    {
      label: 'ferry / raw ceiling',
      value: r.throughput.ferryOverCeiling,
      target: TARGETS.ferryOverCeiling,
      kind: 'min',
      format: ratio,
    },
    {
      label: 'ferry / naive script',
      value: r.throughput.ferryOverNaive,
      target: TARGETS.ferryOverNaive,
      kind: 'min',
      format: ratio,
    },
    {
      label: 'latency 20 ms: / bound',
      value: r.latency.ferryOverBound,
      target: TARGETS.latencyOverBound,
      kind: 'min',
      format: ratio,
    },
    {
      label: 'rate 300/s: achieved / limit',
      value: r.rateLimit.achievedOverLimit,
      target: TARGETS.rateOverLimit,
      kind: 'min',
      format: ratio,
    },
    {
      label: 'rate 300/s: share of 429s',
      value: r.rateLimit.share429,
      target: TARGETS.share429,
      kind: 'max',
      format: pct,
    },
    {
      label: 'peak RSS, large run',
      value: r.memory.large.peakRssMb,
      target: TARGETS.peakRssLargeMb,
      kind: 'max',
      format: mb,
    },
    {
      label: 'peak RSS large / small',
      value: r.memory.ratio,
      target: TARGETS.rssRatio,
      kind: 'max',
      format: ratio,
    },
    { label: 'ferry --help', value: r.startup.helpMs, target: TARGETS.helpMs, kind: 'max', format: ms },
  ];
}
