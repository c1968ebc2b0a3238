import { describeReason } from '../../../core/describe-reason.ts';
import type { DeadLetter } from '../../../core/ledger-types.ts';
import type { RecordReport } from '../../../inspection/record-report.ts';
import { type Html, html } from '../html.ts';
import { badge, shortId, when } from './format.ts';
import { csrfField, type PageContext } from './layout.ts';

/** A JSON value for reading: indented, escaped by the template like everything else. */
export function jsonBlock(value: unknown, label: string): Html {
  return html`<pre class="json" aria-label="${label}">${JSON.stringify(value ?? null, null, 2)}</pre>`;
}

/** The reasons of a dead letter as a list of sentences, each with its code. */
export function reasonsList(letter: Pick<DeadLetter, 'reasons'>): Html {
  if (letter.reasons.length === 0) return html`<span class="muted">no reason recorded</span>`;
  return html`<ul class="reasons">${letter.reasons.map(
    (r) => html`<li>${describeReason(r)} <span class="code">${r.code}</span></li>`,
  )}</ul>`;
}

function letterBlock(letter: DeadLetter): Html {
  return html`<section class="letter" aria-labelledby="letter-${letter.id}">
<h4 id="letter-${letter.id}">Dead letter ${letter.id}: ${badge(letter.state)} ${
    letter.resolvedAt ? html`resolved ${when(letter.resolvedAt)}` : html`<span class="open">open</span>`
  }</h4>
<p class="small">Created ${when(letter.createdAt)} by run <a href="/runs/${letter.runId}">${shortId(letter.runId)}</a></p>
${reasonsList(letter)}
<div class="columns"><div><h5>Record as read</h5>${jsonBlock(letter.record, `record of dead letter ${letter.id}`)}</div>${
    letter.body === null || letter.body === undefined
      ? ''
      : html`<div><h5>Body that was to be sent</h5>${jsonBlock(letter.body, `body of dead letter ${letter.id}`)}</div>`
  }</div>
</section>`;
}

function reportBlock(report: RecordReport): Html {
  return html`<section class="record" aria-labelledby="record-${report.integration}">
<h2 id="record-${report.integration}">${report.integration}</h2>
<dl class="facts">
<dt>State</dt><dd>${badge(report.state)}</dd>
<dt>Attempts</dt><dd>${report.attempts}</dd>
<dt>First mapped</dt><dd>${when(report.firstMappedAt)}</dd>
<dt>Body hash</dt><dd><code>${report.bodyHash ?? '–'}</code></dd>
<dt>Last change</dt><dd>${when(report.updatedAt)}</dd>
</dl>
<table class="history"><caption>History, oldest first</caption>
<thead><tr><th scope="col">Run</th><th scope="col">When</th><th scope="col">State</th><th scope="col" class="num">Attempts</th><th scope="col">Body hash</th><th scope="col">Reason</th></tr></thead>
<tbody>${report.runs.map((run) =>
    run.changes.map(
      (change, i) =>
        html`<tr>${
          i === 0
            ? html`<td rowspan="${run.changes.length}"><a href="/runs/${run.runId}">${shortId(run.runId)}</a><br><span class="small">${
                run.status?.replace(/_/g, ' ') ?? 'unknown'
              }</span></td>`
            : ''
        }<td>${when(change.at)}</td><td>${badge(change.state)}</td><td class="num">${change.attempts}</td><td><code>${
          change.bodyHash?.slice(0, 12) ?? '–'
        }</code></td><td>${change.reason ?? ''}</td></tr>`,
    ),
  )}</tbody></table>
${
  report.deadLetters.length > 0
    ? html`<h3>Dead letters</h3>${report.deadLetters.map(letterBlock)}`
    : html`<p class="muted">No dead letters.</p>`
}
</section>`;
}

/** The record page: the search form, then the key's history in each integration. */
export function recordBody(
  ctx: PageContext,
  search: { key: string; integration?: string | undefined },
  integrations: readonly string[],
  result: { reports: readonly RecordReport[]; masked: boolean } | null,
): Html {
  return html`<form method="get" action="/records" class="filters" role="search" aria-label="Find a record">
<label>Record key <input type="search" name="key" value="${search.key}" required autocomplete="off"></label>
<label>Integration <select name="integration"><option value="">any</option>${integrations.map(
    (name) => html`<option value="${name}"${name === search.integration ? ' selected' : ''}>${name}</option>`,
  )}</select></label>
<button type="submit">Find</button>
</form>
${
  result === null
    ? html`<p class="muted">Give the key of a record (as in the dead letters, e.g. the customer id) to see everything that happened to it.</p>`
    : result.reports.length === 0
      ? html`<p role="status">No record with the key <code>${search.key}</code>${
          search.integration ? ` in ${search.integration}` : ''
        }.</p>`
      : html`${
          result.masked
            ? html`<form method="post" action="/records/unmask" class="unmask">${csrfField(ctx)}<input type="hidden" name="key" value="${
                search.key
              }"><input type="hidden" name="integration" value="${search.integration ?? ''}"><p>Personal data (names, emails, phones, addresses) is masked. <button type="submit" id="unmask">Show personal data</button> (this is logged)</p></form>`
            : html`<p class="notice warn" role="status">Personal data is shown. Showing it was logged under your name.</p>`
        }${result.reports.map(reportBlock)}`
}`;
}
