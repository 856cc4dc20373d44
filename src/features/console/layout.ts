import { KEYWARD_VERSION } from '../../version.js';
import type { SignedIn } from './console-auth.js';
import { type Html, html } from './html.js';

export const CONSOLE_PATH = '/console';
export const ASSET_PATH = `${CONSOLE_PATH}/assets`;

/** Console pages load only their own style sheet: no script at all, no inline style, nothing from elsewhere. */
export const CONSOLE_CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "style-src 'self'",
  "img-src 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
].join('; ');

export interface NavLink {
  nav: string;
  path: string;
}

function head(title: string): Html {
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="same-origin">
<title>${title} · Keyward console</title>
<link rel="stylesheet" href="${ASSET_PATH}/console.css">
</head>`;
}

/** A page of the signed-in console: banner, navigation, main content, footer. */
export function consolePage(options: {
  title: string;
  body: Html;
  signedIn: SignedIn;
  nav: readonly NavLink[];
  current: string;
}): string {
  const { title, body, signedIn, nav, current } = options;
  return html`${head(title)}
<body>
<a class="skip" href="#main">Skip to content</a>
<header class="top" role="banner">
<a class="brand" href="${CONSOLE_PATH}">Keyward <span>console</span></a>
<form class="signout" method="post" action="${CONSOLE_PATH}/logout">
<input type="hidden" name="_csrf" value="${signedIn.session.csrfToken}">
<span class="who">${signedIn.account.name} <span class="role">${signedIn.account.role}</span></span>
<button type="submit">Sign out</button>
</form>
</header>
<nav class="side" aria-label="Console">
<ul>${nav.map(
    (link) =>
      html`<li><a href="${link.path}"${link.path === current ? html` aria-current="page"` : ''}>${link.nav}</a></li>`,
  )}</ul>
</nav>
<main id="main" tabindex="-1">
<h1>${title}</h1>
${body}
</main>
<footer role="contentinfo">Keyward ${KEYWARD_VERSION}</footer>
</body>
</html>`.text;
}

/** A page outside the signed-in console (sign-in, errors before sign-in). */
export function plainPage(title: string, body: Html): string {
  return html`${head(title)}
<body class="plain">
<main id="main">
${body}
</main>
<footer role="contentinfo">Keyward ${KEYWARD_VERSION}</footer>
</body>
</html>`.text;
}
