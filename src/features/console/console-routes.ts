import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { isKeywardError, trustError } from '../../errors.js';
import type { Services } from '../../services.js';
import type { OperatorRole } from '../../store/console-store.js';
import { type ConsoleAuth, hasRole, type SignedIn } from './console-auth.js';
import { readCookie, sessionCookie, sessionCookieName } from './cookies.js';
import { html } from './html.js';
import { CONSOLE_CONTENT_SECURITY_POLICY, CONSOLE_PATH, consolePage, type NavLink, plainPage } from './layout.js';
import { loginPage } from './login-page.js';
import type { OperatorAccounts } from './operator-accounts.js';
import type { ActionContext, ConsolePage, ConsoleRouter, PageContext } from './page.js';
import { acceptFormBodies } from '../../http-kit/form-body.js';

const FORM_LIMIT_BYTES = 65_536;

/** The first value of each parameter, as strings. */
function firstValues(source: unknown): Record<string, string | undefined> {
  const values: Record<string, string | undefined> = {};
  if (source && typeof source === 'object')
    for (const [name, value] of Object.entries(source)) {
      const first = Array.isArray(value) ? value[0] : value;
      if (typeof first === 'string') values[name] = first;
    }
  return values;
}

/**
 * Whether a browser says the request comes from this origin. Browsers send Sec-Fetch-Site and
 * Origin with every form POST; a request carrying neither (curl) still needs the CSRF token.
 */
function fromThisOrigin(request: FastifyRequest): boolean {
  const site = request.headers['sec-fetch-site'];
  if (site !== undefined && site !== 'same-origin' && site !== 'none') return false;
  const origin = request.headers.origin;
  return origin === undefined || origin === `${request.protocol}://${request.host}`;
}

/** Only paths inside the console are followed after sign-in (no open redirect). */
const safeNext = (next: string | undefined) =>
  next !== undefined && /^\/console([/?][^\\]*)?$/.test(next) ? next : CONSOLE_PATH;

/**
 * The operator console under /console: sign-in and sign-out, then each enabled page its
 * operator's role allows. Server-rendered HTML only; every POST checks the session, the CSRF
 * token and the origin before it does anything.
 */
export const consoleRoutes: FastifyPluginAsync<{
  services: Services;
  auth: ConsoleAuth;
  operators: OperatorAccounts;
  pages: readonly ConsolePage[];
}> = async (app, { services, auth, operators, pages }) => {
  const { pageSize } = services.config.console;
  const enabled = pages.filter((page) => page.enabled(services));

  acceptFormBodies(app, FORM_LIMIT_BYTES);
  app.addHook('onRequest', async (_request, reply) => {
    reply.header('content-security-policy', CONSOLE_CONTENT_SECURITY_POLICY);
    reply.header('cache-control', 'no-store');
  });

  const secure = (request: FastifyRequest) => request.protocol === 'https';
  const cookieName = (request: FastifyRequest) => sessionCookieName(secure(request));
  const signedInOf = (request: FastifyRequest) => auth.resolve(readCookie(request.headers.cookie, cookieName(request)));
  const navFor = (signedIn: SignedIn): NavLink[] => enabled.filter((page) => hasRole(signedIn.account.role, page.role));
  const sendHtml = (reply: FastifyReply, status: number, body: string) =>
    reply.code(status).type('text/html; charset=utf-8').send(body);

  /** An error as a console page (signed in) or a plain page, with the error's status; unexpected errors are logged. */
  const sendFailure = (request: FastifyRequest, reply: FastifyReply, error: unknown, signedIn?: SignedIn) => {
    let status = 500;
    let message = `Something went wrong on the server (request ${request.id}).`;
    if (isKeywardError(error)) {
      status = error.status;
      message = error.message;
      request.log.info({ code: error.code, category: error.category, detail: error.detail }, 'console request refused');
    } else request.log.error({ err: error }, 'console request failed');
    const body = html`<div class="notice notice-error" role="alert">${message}</div><p><a href="${CONSOLE_PATH}">Back to the console</a></p>`;
    return sendHtml(
      reply,
      status,
      signedIn
        ? consolePage({ title: 'Not done', body, signedIn, nav: navFor(signedIn), current: '' })
        : plainPage('Not done', body),
    );
  };

  app.get(`${CONSOLE_PATH}/login`, { schema: { hide: true } }, async (request, reply) => {
    const next = firstValues(request.query).next;
    if (await signedInOf(request)) return reply.redirect(safeNext(next), 303);
    return sendHtml(reply, 200, loginPage({ next: safeNext(next) }));
  });

  app.post(`${CONSOLE_PATH}/login`, { schema: { hide: true } }, async (request, reply) => {
    const form = firstValues(request.body);
    const next = safeNext(form.next);
    if (!fromThisOrigin(request))
      return sendFailure(request, reply, trustError('CONSOLE_CSRF_INVALID', 'Sign in from the console’s own page.'));
    const username = (form.username ?? '').slice(0, 256);
    const result = await auth.signIn(username, form.password ?? '', request.ip, request.id);
    if (!result.ok) {
      const status = result.reason === 'locked' ? 429 : 401;
      if (result.lockedUntil)
        reply.header('retry-after', Math.ceil((result.lockedUntil - services.clock.now()) / 1000));
      return sendHtml(reply, status, loginPage({ next, username, refused: result.reason }));
    }
    reply.header('set-cookie', sessionCookie(cookieName(request), result.cookieValue, { secure: secure(request) }));
    return reply.redirect(next, 303);
  });

  app.post(`${CONSOLE_PATH}/logout`, { schema: { hide: true } }, async (request, reply) => {
    const signedIn = await signedInOf(request);
    if (signedIn) {
      if (!fromThisOrigin(request) || !auth.csrfValid(signedIn, firstValues(request.body)._csrf))
        return sendFailure(
          request,
          reply,
          trustError('CONSOLE_CSRF_INVALID', 'The form has expired; reload the page and try again.'),
          signedIn,
        );
      await auth.signOut(signedIn, request.ip, request.id);
    }
    reply.header('set-cookie', sessionCookie(cookieName(request), '', { secure: secure(request), clear: true }));
    return reply.redirect(`${CONSOLE_PATH}/login`, 303);
  });

  const contextFor = (request: FastifyRequest, signedIn: SignedIn): PageContext => ({
    services,
    signedIn,
    query: firstValues(request.query),
    params: request.params as Record<string, string>,
    csrf: signedIn.session.csrfToken,
    can: (role) => hasRole(signedIn.account.role, role),
    pageSize,
    operators,
  });

  for (const page of enabled) {
    const router: ConsoleRouter = {
      page(path, render) {
        app.get(path, { schema: { hide: true } }, async (request, reply) => {
          const signedIn = await signedInOf(request);
          if (!signedIn) return reply.redirect(`${CONSOLE_PATH}/login?next=${encodeURIComponent(request.url)}`, 303);
          try {
            if (!hasRole(signedIn.account.role, page.role))
              throw trustError('CONSOLE_ROLE_REQUIRED', `The ${page.nav} page needs the ${page.role} role.`);
            const view = await render(contextFor(request, signedIn));
            return sendHtml(reply, 200, consolePage({ ...view, signedIn, nav: navFor(signedIn), current: page.path }));
          } catch (error) {
            return sendFailure(request, reply, error, signedIn);
          }
        });
      },
      action(path, role: OperatorRole, run) {
        app.post(path, { schema: { hide: true } }, async (request, reply) => {
          const signedIn = await signedInOf(request);
          const fields = firstValues(request.body);
          try {
            if (!signedIn) throw trustError('CONSOLE_CSRF_INVALID', 'Sign in to the console first.');
            if (!fromThisOrigin(request) || !auth.csrfValid(signedIn, fields._csrf))
              throw trustError(
                'CONSOLE_CSRF_INVALID',
                'The form has expired or did not come from the console; reload the page and try again.',
              );
            if (!hasRole(signedIn.account.role, role))
              throw trustError('CONSOLE_ROLE_REQUIRED', `This action needs the ${role} role.`);
            const { _csrf, ...form } = fields;
            const actor = {
              actor: signedIn.account.name,
              actorKind: 'operator' as const,
              address: request.ip,
              requestId: request.id,
            };
            const context: ActionContext = {
              ...contextFor(request, signedIn),
              form,
              actor,
              audit: (action, target, detail = {}) =>
                services.store.auditEvents.append({
                  ...actor,
                  at: services.clock.now(),
                  action,
                  ...(target === undefined ? {} : { target }),
                  outcome: 'ok',
                  detail,
                }),
            };
            return reply.redirect(await run(context), 303);
          } catch (error) {
            // A refused action is on the trail too: someone tried what their role does not allow.
            if (signedIn && isKeywardError(error) && error.code === 'CONSOLE_ROLE_REQUIRED')
              await services.store.auditEvents.append({
                at: services.clock.now(),
                actor: signedIn.account.name,
                actorKind: 'operator',
                action: `refused ${path}`,
                target: Object.values(request.params as Record<string, string>).join(' '),
                outcome: 'refused',
                address: request.ip,
                detail: { role: signedIn.account.role, needed: role },
                requestId: request.id,
              });
            return sendFailure(request, reply, error, signedIn);
          }
        });
      },
    };
    page.routes(router);
  }
};
