import type { RunSummary } from '../../../inspection/runs-page.ts';
import { type Html, href, html } from '../html.ts';
import type { IntegrationView } from '../operations-reader.ts';
import type { InboxSummary } from '../operations-types.ts';
import { badge, COUNTED, count, duration, shortId, when } from './format.ts';
import { type PageContext, postButton } from './layout.ts';

/** Counts of a run as a compact line; live spans are updated in place by the page's script. */
export function countsLine(counts: Readonly<Record<string, number>>, liveRunId?: string): Html {
  return html`<span class="counts">${COUNTED.map(
    (state) =>
      html`<span class="count count-${state}">${state} <b${
        liveRunId ? html` data-live-count="${liveRunId}:${state}"` : ''
      }>${count(counts[state] ?? 0)}</b></span> `,
  )}</span>`;
}

/** A small chart of records/s over an integration's recent runs, with the figures in words for readers. */
function recentRunsChart(view: IntegrationView): Html {
  const runs = [...view.recentRuns].reverse().filter((r) => r.ratePerSec !== null);
  if (runs.length === 0) return html`<span class="muted">no finished runs yet</span>`;
  const rates = runs.map((r) => r.ratePerSec ?? 0);
  // A line needs two runs; one is said in words.
  if (runs.length === 1) return html`<span class="small">1 run: ${rates[0]} records/s</span>`;
  const data = {
    kind: 'runs',
    x: runs.map((r) => Math.floor(Date.parse(r.startedAt) / 1000)),
    series: [{ label: 'records/s', values: rates }],
  };
  const summary = `records per second over the last ${runs.length} runs: latest ${rates.at(-1)}, highest ${Math.max(...rates)}`;
  return html`<div class="chart chart-small" data-chart="${JSON.stringify(data)}" role="img" aria-label="${summary}"></div>`;
}

function integrationRow(ctx: PageContext, view: IntegrationView): Html {
  const last = view.recentRuns[0];
  const running = view.state === 'running' || view.state === 'replaying' || view.state === 'stopping';
  const lastRun = view.live
    ? html`<span aria-busy="true">${badge('running')}</span> <a href="/runs/${view.live.runId}">run ${shortId(view.live.runId)}</a><br>${countsLine(
        view.live.counts,
        view.live.runId,
      )}<br><span class="muted"><b data-live-rate="${view.live.runId}">${view.live.ratePerSec}</b> records/s</span>`
    : last
      ? html`${badge(last.status)} <a href="/runs/${last.id}">run ${shortId(last.id)}</a> ${when(last.startedAt)}<br>${countsLine(
          last.counts,
        )}`
      : html`<span class="muted">never run</span>`;
  const name = view.name;
  return html`<tr id="integration-${name}">
<th scope="row"><a href="${href('/runs', { integration: name })}">${name}</a><br><span class="muted small">${view.config.source.type} → ${view.config.destination.type}</span></th>
<td>${badge(view.state)}</td>
<td>${view.schedule ?? html`<span class="muted">when asked</span>`}${
    view.nextRunAt ? html`<br><span class="small">next ${when(view.nextRunAt)}</span>` : ''
  }${view.webhook ? html`<br><span class="small">webhook /hooks/${name}</span>` : ''}</td>
<td>${lastRun}</td>
<td>${recentRunsChart(view)}</td>
<td class="num">${
    view.openDeadLetters > 0
      ? html`<a href="${href('/dead-letters', { integration: name })}">${count(view.openDeadLetters)}</a>`
      : '0'
  }</td>
<td class="actions">${
    running
      ? postButton(ctx, `/integrations/${name}/stop`, 'Stop', { id: `stop-${name}`, kind: 'danger' })
      : postButton(ctx, `/integrations/${name}/run`, 'Run now', { id: `run-${name}`, kind: 'primary' })
  }${
    view.state === 'paused'
      ? postButton(ctx, `/integrations/${name}/resume`, `Resume ${pausable(view)}`, { id: `resume-${name}` })
      : view.schedule || view.webhook
        ? postButton(ctx, `/integrations/${name}/pause`, `Pause ${pausable(view)}`, { id: `pause-${name}` })
        : ''
  }</td>
</tr>`;
}

/** What pausing holds: the schedule's ticks, or the runs webhook events start (they wait in the inbox). */
function pausable(view: IntegrationView): string {
  return view.schedule ? 'schedule' : 'events';
}

/** The runs table the overview and the runs page share. */
export function runsTable(runs: readonly RunSummary[], caption: string): Html {
  if (runs.length === 0) return html`<p class="muted">No runs yet.</p>`;
  return html`<table class="runs">
<caption>${caption}</caption>
<thead><tr><th scope="col">Run</th><th scope="col">Integration</th><th scope="col">Status</th><th scope="col">Started</th><th scope="col">Duration</th>${COUNTED.map(
    (s) => html`<th scope="col" class="num">${s}</th>`,
  )}<th scope="col" class="num">records/s</th></tr></thead>
<tbody>${runs.map(
    (r) =>
      html`<tr><td><a href="/runs/${r.id}" title="${r.id}">${shortId(r.id)}</a></td><td>${r.integration}</td><td>${badge(
        r.status,
      )}</td><td>${when(r.startedAt)}</td><td>${duration(r.durationMs)}</td>${COUNTED.map(
        (s) => html`<td class="num">${count(r.counts[s] ?? 0)}</td>`,
      )}<td class="num">${r.ratePerSec ?? '–'}</td></tr>`,
  )}</tbody>
</table>`;
}

function inboxTable(inbox: readonly InboxSummary[]): Html {
  return html`<table>
<caption>Webhook inbox (counts since ${when(inbox[0]?.since)})</caption>
<thead><tr><th scope="col">Integration</th><th scope="col" class="num">pending</th><th scope="col">oldest pending</th><th scope="col" class="num">received</th><th scope="col" class="num">processed</th><th scope="col">refused, by reason</th></tr></thead>
<tbody>${inbox.map(
    (i) =>
      html`<tr><td>${i.integration}</td><td class="num">${count(i.pending)}</td><td>${when(
        i.oldestPendingAt,
      )}</td><td class="num">${count(i.received)}</td><td class="num">${count(i.processed)}</td><td>${
        Object.entries(i.refused)
          .map(([reason, n]) => `${reason} ${n}`)
          .join(', ') || '0'
      }</td></tr>`,
  )}</tbody></table>`;
}

/** The overview's live part: integrations, recent runs and the inbox. */
export function overviewRegion(
  ctx: PageContext,
  data: {
    integrations: readonly IntegrationView[];
    runs: readonly RunSummary[];
    inbox: readonly InboxSummary[] | null;
  },
): Html {
  const waiting = data.integrations.reduce((sum, i) => sum + i.openDeadLetters, 0);
  return html`<p class="summary">${count(data.integrations.length)} integration${
    data.integrations.length === 1 ? '' : 's'
  }, ${data.integrations.filter((i) => i.state === 'running' || i.state === 'replaying').length} running, ${
    waiting > 0
      ? html`<a href="/dead-letters">${count(waiting)} dead letters waiting</a>`
      : 'no dead letters waiting'
  }.</p>
<table class="integrations">
<caption>Integrations</caption>
<thead><tr><th scope="col">Integration</th><th scope="col">State</th><th scope="col">Schedule</th><th scope="col">Last run</th><th scope="col">Recent runs</th><th scope="col" class="num">Dead letters</th><th scope="col">Actions</th></tr></thead>
<tbody>${data.integrations.map((view) => integrationRow(ctx, view))}</tbody>
</table>
${runsTable(data.runs, 'Latest runs')}
${data.inbox && data.inbox.length > 0 ? inboxTable(data.inbox) : ''}`;
}

/** The overview page: its live region, refreshed by the page's script on events. */
export function overviewBody(ctx: PageContext, data: Parameters<typeof overviewRegion>[1]): Html {
  return html`<div id="live-region" data-live-region data-fragment="/?fragment=1" data-live-events="all">${overviewRegion(
    ctx,
    data,
  )}</div>`;
}
