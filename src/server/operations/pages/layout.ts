import { type Html, html } from '../html.ts';

/** What every page knows besides its body. */
export interface PageContext {
  /** The CSRF token for forms that POST. */
  readonly csrf: string;
  /** Who is signed in; null when the server needs no sign-in. */
  readonly user: string | null;
  /** A message from the action that led here. */
  readonly notice?: string | undefined;
  /** True when the notice reports a failure. */
  readonly noticeIsError?: boolean;
}

const NAV = [
  ['overview', '/', 'Overview'],
  ['runs', '/runs', 'Runs'],
  ['dead-letters', '/dead-letters', 'Dead letters'],
  ['records', '/records', 'Records'],
] as const;

/** Navigation entries by id. */
export type NavId = (typeof NAV)[number][0];

/** The hidden field every POST form carries. */
export function csrfField(ctx: PageContext): Html {
  return html`<input type="hidden" name="_csrf" value="${ctx.csrf}">`;
}

/** A button that POSTs to `action`, with the CSRF field; `label` names what it does. */
export function postButton(
  ctx: PageContext,
  action: string,
  label: string,
  options: { id?: string; fields?: Record<string, string>; kind?: 'danger' | 'primary' } = {},
): Html {
  return html`<form method="post" action="${action}" class="inline">${csrfField(ctx)}${Object.entries(
    options.fields ?? {},
  ).map(
    ([name, value]) => html`<input type="hidden" name="${name}" value="${value}">`,
  )}<button type="submit"${
    options.id ? html` id="${options.id}"` : ''
  } class="${options.kind ?? ''}">${label}</button></form>`;
}

/** A whole page: skip link, navigation, notice, main content; scripts and styles from /assets only. */
export function layout(title: string, active: NavId | null, ctx: PageContext, body: Html): Html {
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="csrf-token" content="${ctx.csrf}">
<title>${title} · ferry</title>
<link rel="stylesheet" href="/assets/uplot.css">
<link rel="stylesheet" href="/assets/app.css">
<script src="/assets/uplot.js" defer></script>
<script src="/assets/app.js" defer></script>
</head>
<body>
<a class="skip" href="#main">Skip to content</a>
<header class="top">
<a class="brand" href="/">ferry</a>
<nav aria-label="Main"><ul>${NAV.map(
    ([id, path, label]) =>
      html`<li><a href="${path}"${id === active ? html` aria-current="page"` : ''}>${label}</a></li>`,
  )}</ul></nav>
${
  ctx.user === null
    ? ''
    : html`<div class="who"><span>Signed in as ${ctx.user}</span> <form method="post" action="/logout" class="inline">${csrfField(ctx)}<button type="submit">Sign out</button></form></div>`
}
</header>
<main id="main" tabindex="-1">
${ctx.notice ? html`<p class="notice${ctx.noticeIsError ? ' error' : ''}" role="status">${ctx.notice}</p>` : ''}
<h1>${title}</h1>
${body}
</main>
<p class="live-status" id="live-status" role="status" aria-live="polite"></p>
</body>
</html>`;
}
