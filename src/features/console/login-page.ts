import { html } from './html.js';
import { CONSOLE_PATH, plainPage } from './layout.js';

/** The sign-in form: "Username", "Password", "Sign in"; a refusal never says whether the name exists. */
export function loginPage(options: { next: string; username?: string; refused?: 'invalid' | 'locked' }): string {
  const message =
    options.refused === 'locked'
      ? 'Too many failed sign-ins: signing in is locked for a while. Try again later.'
      : options.refused === 'invalid'
        ? 'The user name or password is wrong.'
        : undefined;
  return plainPage(
    'Sign in',
    html`<section class="login" aria-labelledby="login-title">
<p class="brand">Keyward <span>console</span></p>
<h1 id="login-title">Sign in</h1>
${message ? html`<div class="notice notice-error" role="alert">${message}</div>` : ''}
<form method="post" action="${CONSOLE_PATH}/login">
<input type="hidden" name="next" value="${options.next}">
<div class="field"><label for="username">Username</label><input id="username" name="username" autocomplete="username" required maxlength="64" value="${options.username ?? ''}"${options.username ? '' : html` autofocus`}></div>
<div class="field"><label for="password">Password</label><input id="password" name="password" type="password" autocomplete="current-password" required maxlength="1024"${options.username ? html` autofocus` : ''}></div>
<button type="submit">Sign in</button>
</form>
<p class="hint">Accounts are made with <code>keyward operators add &lt;name&gt; --role admin</code>.</p>
</section>`,
  );
}
