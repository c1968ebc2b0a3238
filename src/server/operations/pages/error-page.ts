import { type Html, html } from '../html.ts';

/** What went wrong, in the page's words; the message is escaped like everything else. */
export function errorBody(status: number, message: string): Html {
  return html`<p class="notice error" role="alert">${message}</p><p class="small">HTTP ${status}. <a href="/">Back to the overview</a></p>`;
}
