import { contentError } from '../errors.js';
import { html } from '../features/console/html.js';
import { CONSOLE_CONTENT_SECURITY_POLICY, plainPage } from '../features/console/layout.js';
import type { Services } from '../services.js';
import { KEYWARD_VERSION } from '../version.js';
import type { App } from './app-type.js';

/** The quality a media range has in an Accept header (0 when absent). */
function quality(accept: string, type: string): number {
  let best = 0;
  for (const part of accept.split(',')) {
    const [range = '', ...parameters] = part.trim().toLowerCase().split(';');
    if (range.trim() !== type) continue;
    const q = parameters.map((parameter) => parameter.trim()).find((parameter) => parameter.startsWith('q='));
    best = Math.max(best, q ? Number(q.slice(2)) || 0 : 1);
  }
  return best;
}

/** Browsers name text/html; API clients (application/json, or * / * as curl sends) keep the JSON answer. */
const wantsHtml = (accept: string | undefined) =>
  accept !== undefined &&
  quality(accept, 'text/html') > 0 &&
  quality(accept, 'text/html') >= quality(accept, 'application/json');

/**
 * GET /: for a browser, a small page saying what this server is, its version and health, with
 * links to the console, the API docs, the OpenAPI document and the demo pages. Anything else
 * gets the JSON 404 every unknown path gets, as before.
 */
export function installLandingPage(app: App, services: Services): void {
  const { config } = services;
  app.get('/', { schema: { hide: true } }, async (request, reply) => {
    if (!wantsHtml(request.headers.accept))
      throw contentError('NOT_FOUND', 'No route matches the request method and path.', {
        status: 404,
        detail: 'GET /',
      });
    const report = await services.checkReady();
    const links: (readonly [string, string, string])[] = [
      ...(config.console.enabled
        ? ([['/console', 'Operator console', 'sign in to see decisions, devices and credentials']] as const)
        : []),
      ...(config.docs.enabled ? ([['/docs', 'API documentation', 'every endpoint, browsable']] as const) : []),
      ['/openapi.json', 'OpenAPI document', 'the same, machine-readable'],
      ...(services.fido2
        ? ([['/fido2/demo', 'WebAuthn demo', 'register and sign in with a passkey or security key']] as const)
        : []),
      ['/health', 'Health', 'liveness'],
      ['/ready', 'Readiness', 'database and Redis checks, FIDO metadata state'],
    ];
    const capabilities = [
      services.warden && 'Warden Supreme binding certificates',
      services.mdvm && 'MDVM wallet-instance registry',
      services.fido2 && 'WebAuthn/FIDO2 with FIDO metadata',
      services.dsr && 'gematik DSR zero-trust device tokens',
      services.provisioning && 'mdoc provisioning',
    ].filter((name): name is string => Boolean(name));
    reply
      .header('content-security-policy', CONSOLE_CONTENT_SECURITY_POLICY)
      .header('cache-control', 'no-store')
      .type('text/html; charset=utf-8');
    return plainPage(
      'Keyward',
      html`<section class="landing" aria-labelledby="landing-title">
<h1 id="landing-title">Keyward</h1>
<p>A device-trust server: it verifies that apps and authenticators run on genuine, healthy hardware (Android Key Attestation, Apple App Attest, WebAuthn), remembers devices and issues short-lived proofs of trust.</p>
<dl class="details">
<dt>Version</dt><dd>${KEYWARD_VERSION}</dd>
<dt>Health</dt><dd>${report.ready ? html`<span class="badge badge-ok">ready</span>` : html`<span class="badge badge-bad">not ready</span>`} ${Object.entries(
        report.checks,
      )
        .map(([name, state]) => `${name} ${state}`)
        .join(', ')}</dd>
<dt>Serving</dt><dd>${capabilities.join(' · ') || 'challenges only'}</dd>
</dl>
<h2>Links</h2>
<ul>${links.map(([href, label, what]) => html`<li><a href="${href}">${label}</a> — ${what}</li>`)}</ul>
</section>`,
    );
  });
}
