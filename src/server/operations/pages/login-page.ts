import { type Html, html } from '../html.ts';
import { csrfField, type PageContext } from './layout.ts';

/** The sign-in form: a name and password when users are configured, the token otherwise. */
export function loginBody(
  ctx: PageContext,
  options: { users: boolean; token: boolean; next: string; failed: boolean },
): Html {
  return html`${options.failed ? html`<p class="notice error" role="alert">That did not sign you in. Check and try again.</p>` : ''}
<form method="post" action="/login" class="login">
${csrfField(ctx)}<input type="hidden" name="next" value="${options.next}">
${
  options.users
    ? html`<p><label>Name <input type="text" name="name" autocomplete="username" required autofocus></label></p>
<p><label>Password <input type="password" name="password" autocomplete="current-password" required></label></p>`
    : html`<p><label>Access token <input type="password" name="token" autocomplete="off" required autofocus></label></p>`
}
<p><button type="submit" class="primary">Sign in</button></p>
${options.users && options.token ? html`<p class="small">API clients send the token as <code>Authorization: Bearer</code>.</p>` : ''}
</form>`;
}
