import type { RunStatus } from '../../../core/ledger-types.ts';
import type { Page } from '../../../inspection/cursor.ts';
import type { RunSummary } from '../../../inspection/runs-page.ts';
import type { RunReport } from '../../../observability/run-reporter.ts';
import { type Html, href, html } from '../html.ts';
import type { RunDetail } from '../operations-reader.ts';
import { badge, COUNTED, count, duration, when } from './format.ts';
import { type PageContext, postButton } from './layout.ts';
import { runsTable } from './overview-page.ts';

const STATUSES: readonly RunStatus[] = [
  'running',
  'completed',
  'completed_with_errors',
  'aborted',
  'interrupted',
  'crashed',
];

/** The runs list: filters, a page of runs, and the link to the next page. */
export function runsListBody(
  page: Page<RunSummary>,
  filter: { integration?: string | undefined; status?: string | undefined },
  integrations: readonly string[],
): Html {
  return html`<form method="get" action="/runs" class="filters" aria-label="Filter runs">
<label>Integration <select name="integration"><option value="">any</option>${integrations.map(
    (name) => html`<option value="${name}"${name === filter.integration ? ' selected' : ''}>${name}</option>`,
  )}</select></label>
<label>Status <select name="status"><option value="">any</option>${STATUSES.map(
    (s) =>
      html`<option value="${s}"${s === filter.status ? ' selected' : ''}>${s.replace(/_/g, ' ')}</option>`,
  )}</select></label>
<button type="submit">Show</button>
</form>
${runsTable(page.items, 'Runs, newest first')}
${
  page.nextCursor
    ? html`<p><a rel="next" href="${href('/runs', { ...filter, cursor: page.nextCursor })}">Older runs</a></p>`
    : ''
}`;
}

function timelineChart(report: RunReport): Html {
  const timeline = report.timeline;
  if (!timeline || timeline.points.length === 0) return html`<p class="muted">No timeline for this run.</p>`;
  const perSecond = 1000 / timeline.intervalMs;
  const round = (n: number) => Math.round(n * 10) / 10;
  const data = {
    kind: 'timeline',
    x: timeline.points.map((p) => p.t / 1000),
    series: [
      { label: 'records/s', values: timeline.points.map((p) => round(p.settled * perSecond)) },
      { label: 'retries/s', values: timeline.points.map((p) => round(p.retries * perSecond)) },
      { label: '429s/s', values: timeline.points.map((p) => round(p.rateLimited * perSecond)) },
    ],
  };
  const peak = Math.max(...data.series[0]!.values);
  return html`<div class="chart chart-wide" data-chart="${JSON.stringify(data)}" role="img" aria-label="${`Records per second over the run, in slices of ${duration(
    timeline.intervalMs,
  )}: peak ${peak}; ${report.retries} retries and ${report.rateLimited} 429s in all`}"></div>`;
}

function endpointsTable(report: RunReport): Html {
  const endpoints = Object.entries(report.http);
  if (endpoints.length === 0) return html`<p class="muted">No requests.</p>`;
  return html`<table>
<caption>Requests per endpoint (latency in ms)</caption>
<thead><tr><th scope="col">Endpoint</th><th scope="col" class="num">requests</th><th scope="col">by status</th><th scope="col" class="num">retries</th><th scope="col" class="num">429s</th><th scope="col" class="num">p50</th><th scope="col" class="num">p90</th><th scope="col" class="num">p99</th><th scope="col" class="num">max</th></tr></thead>
<tbody>${endpoints.map(
    ([name, e]) =>
      html`<tr><th scope="row">${name}</th><td class="num">${count(e.requests)}</td><td>${Object.entries(
        e.byStatus,
      )
        .map(([status, n]) => `${status}: ${n}`)
        .join(
          ', ',
        )}</td><td class="num">${count(e.retries)}</td><td class="num">${count(e.rateLimited)}</td>${[
        e.latencyMs.p50,
        e.latencyMs.p90,
        e.latencyMs.p99,
        e.latencyMs.max,
      ].map((ms) => html`<td class="num">${Math.round(ms)}</td>`)}</tr>`,
  )}</tbody></table>`;
}

function breakdown(
  title: string,
  counts: Readonly<Record<string, number>>,
  link: (key: string) => string,
): Html {
  const rows = Object.entries(counts).sort((a, b) => b[1] - a[1]);
  if (rows.length === 0) return html``;
  return html`<table class="breakdown"><caption>${title}</caption><thead><tr><th scope="col">${
    title.endsWith('field') ? 'Field' : 'Reason'
  }</th><th scope="col" class="num">records</th></tr></thead><tbody>${rows.map(
    ([key, n]) => html`<tr><td><a href="${link(key)}">${key}</a></td><td class="num">${count(n)}</td></tr>`,
  )}</tbody></table>`;
}

/** The run's live part: figures, chart, endpoints, dead letters and checkpoint. */
export function runRegion(ctx: PageContext, detail: RunDetail): Html {
  const { run, report, live } = detail;
  const counts = report?.counts ?? run.counts;
  return html`<dl class="facts">
<dt>Integration</dt><dd><a href="${href('/runs', { integration: run.integration })}">${run.integration}</a></dd>
<dt>Status</dt><dd${live ? html` aria-busy="true"` : ''}>${badge(run.status)}${live ? html` ${postButton(ctx, `/runs/${run.id}/stop`, 'Stop gracefully', { id: 'stop-run', kind: 'danger' })}` : ''}</dd>
<dt>Started</dt><dd>${when(run.startedAt)}</dd>
<dt>Ended</dt><dd>${when(run.endedAt)}</dd>
<dt>Duration</dt><dd>${duration(report?.durationMs ?? run.durationMs)}</dd>
<dt>Records/s</dt><dd>${report?.ratePerSec ?? run.ratePerSec ?? '–'}</dd>
<dt>Run id</dt><dd><code>${run.id}</code></dd>
</dl>
<table class="counts-table"><caption>Records</caption><thead><tr>${COUNTED.map(
    (s) => html`<th scope="col" class="num">${s}</th>`,
  )}</tr></thead><tbody><tr>${COUNTED.map(
    (s) => html`<td class="num" data-state="${s}">${count(counts[s] ?? 0)}</td>`,
  )}</tr></tbody></table>
${
  report
    ? html`${
        report.known && report.known.stillQuarantined + report.known.stillFailed > 0
          ? html`<p class="muted">Of these, ${count(report.known.stillQuarantined)} quarantined and ${count(
              report.known.stillFailed,
            )} failed exactly as in an earlier run (known problems).</p>`
          : ''
      }
<h2>Over time</h2>
${timelineChart(report)}
<p class="small">${count(report.retries)} retries, ${count(report.rateLimited)} rate-limited answers, ${count(
        report.tokenRefreshes,
      )} token refreshes.</p>
<h2>Requests</h2>
${endpointsTable(report)}
<h2>Dead letters</h2>
${
  report.deadLetters.total === 0
    ? html`<p>No new dead letters in this run.</p>`
    : html`<p><a href="${href('/dead-letters', { runId: run.id, includeResolved: 1 })}">${count(
        report.deadLetters.total,
      )} new dead letters</a> in this run.</p>
<div class="columns">${breakdown('By reason', report.deadLetters.byReason, (reason) =>
        href('/dead-letters', { runId: run.id, reason, includeResolved: 1 }),
      )}${breakdown('By field', report.deadLetters.byField, (field) =>
        href('/dead-letters', { runId: run.id, field, includeResolved: 1 }),
      )}</div>`
}
<h2>Checkpoint</h2>
${
  report.checkpoint === null
    ? html`<p>None: the source was read to its end.</p>`
    : html`<p>The next run resumes from:</p><pre class="json">${JSON.stringify(report.checkpoint, null, 2)}</pre>`
}`
    : html`<p class="muted">This run has no report: it was killed before it finished (the next run resumed from the ledger).</p>`
}`;
}

/** The run page, live while the run goes on. */
export function runBody(ctx: PageContext, detail: RunDetail): Html {
  return html`<div id="live-region" data-live-region data-fragment="/runs/${detail.run.id}?fragment=1" data-live-events="${
    detail.live ? `run:${detail.run.id}` : 'none'
  }">${runRegion(ctx, detail)}</div>`;
}
