import type { DeadLetter, DeadLetterFilter } from '../../../core/ledger-types.ts';
import { type Html, href, html } from '../html.ts';
import type { ReplayStatus } from '../operations-types.ts';
import { badge, count, shortId, when } from './format.ts';
import { csrfField, type PageContext } from './layout.ts';
import { reasonsList } from './record-page.ts';

/** The filter as query parameters (for links) and as hidden fields (for the bulk forms). */
export function filterParams(filter: DeadLetterFilter): Record<string, string> {
  const params: Record<string, string> = {};
  if (filter.integration) params.integration = filter.integration;
  if (filter.state) params.state = filter.state;
  if (filter.runId) params.runId = filter.runId;
  if (filter.reason) params.reason = filter.reason;
  if (filter.field) params.field = filter.field;
  if (filter.includeResolved) params.includeResolved = '1';
  return params;
}

function hiddenFields(fields: Record<string, string>): Html[] {
  return Object.entries(fields).map(
    ([name, value]) => html`<input type="hidden" name="${name}" value="${value}">`,
  );
}

/** The dead letters page: filters, exports, the selectable list and its bulk actions. */
export function deadLettersBody(
  ctx: PageContext,
  filter: DeadLetterFilter,
  integrations: readonly string[],
  page: { items: readonly DeadLetter[]; nextCursor: string | null; total: number },
): Html {
  const params = filterParams(filter);
  return html`<form method="get" action="/dead-letters" class="filters" aria-label="Filter dead letters">
<label>Integration <select name="integration"><option value="">any</option>${integrations.map(
    (name) => html`<option value="${name}"${name === filter.integration ? ' selected' : ''}>${name}</option>`,
  )}</select></label>
<label>State <select name="state"><option value="">any</option>${(['quarantined', 'failed'] as const).map(
    (s) => html`<option value="${s}"${s === filter.state ? ' selected' : ''}>${s}</option>`,
  )}</select></label>
<label>Reason code <input type="text" name="reason" value="${filter.reason ?? ''}" size="14" placeholder="e.g. required"></label>
<label>Field <input type="text" name="field" value="${filter.field ?? ''}" size="14" placeholder="e.g. email"></label>
<label>Run id <input type="text" name="runId" value="${filter.runId ?? ''}" size="14"></label>
<label class="check"><input type="checkbox" name="includeResolved" value="1"${filter.includeResolved ? ' checked' : ''}> include replayed</label>
<button type="submit">Filter</button>
</form>
<p class="summary" role="status">${count(page.total)} dead letter${page.total === 1 ? '' : 's'} match. Export them as
<a href="${href('/api/dead-letters/export', { ...params, format: 'csv' })}" download>CSV</a> or
<a href="${href('/api/dead-letters/export', { ...params, format: 'jsonl' })}" download>JSON Lines</a> (personal data masked).</p>
${
  page.items.length === 0
    ? ''
    : html`<form method="post" action="/dead-letters/confirm" id="letters-form">
${csrfField(ctx)}${hiddenFields(params)}
<fieldset class="bulk"><legend>With the dead letters</legend>
<button type="submit" name="action" value="replay-selected" id="replay-selected">Replay selected</button>
<button type="submit" name="action" value="purge-selected" id="purge-selected" class="danger">Purge selected</button>
<button type="submit" name="action" value="replay-all" id="replay-all">Replay all ${count(page.total)} matching</button>
<button type="submit" name="action" value="purge-all" id="purge-all" class="danger">Purge all ${count(page.total)} matching</button>
</fieldset>
<table class="letters">
<caption>Dead letters, newest first</caption>
<thead><tr><th scope="col"><input type="checkbox" id="select-all" data-select-all aria-label="Select every dead letter on this page"></th><th scope="col" class="num">Id</th><th scope="col">Integration</th><th scope="col">Key</th><th scope="col">State</th><th scope="col">Reasons</th><th scope="col">Run</th><th scope="col">Created</th></tr></thead>
<tbody>${page.items.map(
        (l) =>
          html`<tr><td><input type="checkbox" name="id" value="${l.id}" id="select-${l.id}" aria-label="${`Select dead letter ${l.id} (key ${l.key})`}"></td><td class="num">${
            l.id
          }</td><td>${l.integration}</td><td><a href="${href('/records', { key: l.key, integration: l.integration })}">${
            l.key
          }</a></td><td>${badge(l.state)}${l.resolvedAt ? html`<br><span class="small">replayed ${when(l.resolvedAt)}</span>` : ''}</td><td>${reasonsList(
            l,
          )}</td><td><a href="/runs/${l.runId}">${shortId(l.runId)}</a></td><td>${when(l.createdAt)}</td></tr>`,
      )}</tbody></table>
</form>`
}
${page.nextCursor ? html`<p><a rel="next" href="${href('/dead-letters', { ...params, cursor: page.nextCursor })}">Next page</a></p>` : ''}`;
}

/** What a confirmation asks about. */
export interface Confirmation {
  readonly action: 'replay' | 'purge';
  /** The letters the action takes, as counted now. */
  readonly letters: readonly DeadLetter[];
  /** The selection to carry to the confirmed request: ids, or the filter with all=1. */
  readonly fields: Record<string, string | readonly string[]>;
  /** Where Cancel goes. */
  readonly back: string;
}

const LISTED = 50;

/** The confirmation: how many and which, and the button that does it. */
export function confirmBody(ctx: PageContext, confirmation: Confirmation): Html {
  const { action, letters } = confirmation;
  const n = letters.length;
  const byIntegration = new Map<string, number>();
  for (const l of letters) byIntegration.set(l.integration, (byIntegration.get(l.integration) ?? 0) + 1);
  const where = [...byIntegration].map(([name, k]) => `${k} of ${name}`).join(', ');
  if (n === 0) {
    return html`<p role="status">Nothing to ${action}: ${
      action === 'replay'
        ? 'no open dead letter is selected (replayed ones are left out).'
        : 'no dead letter is selected.'
    }</p><p><a href="${confirmation.back}">Back to the dead letters</a></p>`;
  }
  const verb = action === 'replay' ? 'Replay' : 'Delete';
  return html`<section class="confirm" aria-labelledby="confirm-question">
<h2 id="confirm-question">${verb} ${count(n)} dead letter${n === 1 ? '' : 's'} (${where})?</h2>
<p>${
    action === 'replay'
      ? 'Each is mapped again with the current mapping and sent to the destination; letters that are delivered are marked resolved, the others stay with their new reasons.'
      : 'They are deleted for good: they can no longer be inspected or replayed.'
  }</p>
<table><caption>${n > LISTED ? `The first ${LISTED} of ${n}` : 'They are'}</caption>
<thead><tr><th scope="col" class="num">Id</th><th scope="col">Integration</th><th scope="col">Key</th><th scope="col">State</th><th scope="col">Reasons</th></tr></thead>
<tbody>${letters
    .slice(0, LISTED)
    .map(
      (l) =>
        html`<tr><td class="num">${l.id}</td><td>${l.integration}</td><td>${l.key}</td><td>${badge(l.state)}</td><td>${reasonsList(
          l,
        )}</td></tr>`,
    )}</tbody></table>
${n > LISTED ? html`<p>… and ${count(n - LISTED)} more.</p>` : ''}
<form method="post" action="/dead-letters/${action}" class="confirm-actions">
${csrfField(ctx)}<input type="hidden" name="expected" value="${n}">${Object.entries(
    confirmation.fields,
  ).flatMap(([name, value]) =>
    (Array.isArray(value) ? value : [value]).map(
      (v) => html`<input type="hidden" name="${name}" value="${v}">`,
    ),
  )}
<button type="submit" id="confirm" class="${action === 'purge' ? 'danger' : 'primary'}">${verb} ${count(n)} dead letter${
    n === 1 ? '' : 's'
  }</button>
<a href="${confirmation.back}" id="cancel">Cancel</a>
</form>
</section>`;
}

/** The replays started together, live until each has ended. */
export function replaysRegion(replays: readonly ReplayStatus[]): Html {
  return html`${replays.map((r) => {
    const c = r.counts ?? {};
    return html`<section class="replay" aria-labelledby="replay-${r.id}">
<h2 id="replay-${r.id}">Replay of ${count(r.ids.length)} dead letter${r.ids.length === 1 ? '' : 's'} of ${r.integration}</h2>
<p>${badge(r.state)} ${r.state === 'running' ? html`<span aria-busy="true">replaying…</span>` : ''}</p>
<dl class="facts">
<dt>Started</dt><dd>${when(r.startedAt)}</dd>
<dt>Ended</dt><dd>${when(r.endedAt)}</dd>
${r.runId ? html`<dt>Run</dt><dd><a href="/runs/${r.runId}">${shortId(r.runId)}</a> ${r.status ? badge(r.status) : ''}</dd>` : ''}
</dl>
${
  r.state === 'finished'
    ? html`<p class="result" id="replay-result-${r.id}">${count(c.delivered ?? 0)} delivered, ${count(
        c.skipped ?? 0,
      )} already delivered, ${count(c.quarantined ?? 0)} still invalid, ${count(c.failed ?? 0)} failed again.</p>${
        (c.quarantined ?? 0) + (c.failed ?? 0) > 0
          ? html`<p><a href="${href('/dead-letters', { integration: r.integration })}">See the dead letters left</a></p>`
          : ''
      }`
    : r.state === 'failed'
      ? html`<p class="notice error" id="replay-result-${r.id}">The replay failed: ${r.error ?? 'unknown error'}</p>`
      : ''
}
</section>`;
  })}`;
}

/** The replay page. */
export function replaysBody(replays: readonly ReplayStatus[]): Html {
  const ids = replays.map((r) => r.id).join(',');
  const live = replays.some((r) => r.state === 'running');
  return html`<div id="live-region" data-live-region data-fragment="${href('/replays', { ids, fragment: 1 })}" data-live-events="${
    live ? `replay:${ids}` : 'none'
  }">${replaysRegion(replays)}</div><p><a href="/dead-letters">Back to the dead letters</a></p>`;
}
