import type { FastifyPluginAsync } from 'fastify';
import { sendStaticFile, type StaticFile, staticFile } from '../../http-kit/static-files.js';

/**
 * The demo page's own policy, stricter than the server-wide one: its script, style sheet and the
 * ceremony routes from this origin only; no inline script or style, no plug-ins, no frames, no
 * form posts (demo.js submits), and Trusted Types with no policy at all, since the page builds its
 * DOM from text only.
 */
export const DEMO_CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "connect-src 'self'",
  "img-src 'self'",
  "form-action 'none'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
  "require-trusted-types-for 'script'",
  "trusted-types 'none'",
].join('; ');

/** The page and what it loads, relative to /fido2/ (the page uses relative URLs, so a path prefix in front of Keyward is kept). */
const DEMO_FILES = {
  demo: { asset: 'fido2-demo/demo.html', contentType: 'text/html; charset=utf-8' },
  'demo.js': { asset: 'fido2-demo/demo.js', contentType: 'text/javascript; charset=utf-8' },
  'demo.css': { asset: 'fido2-demo/demo.css', contentType: 'text/css; charset=utf-8' },
} as const;

let loaded: Map<string, StaticFile> | undefined;

/** The files, read from assets/ once per process. */
function demoFiles(): Map<string, StaticFile> {
  loaded ??= new Map(
    Object.entries(DEMO_FILES).map(([name, { asset, contentType }]) => [name, staticFile(asset, contentType)]),
  );
  return loaded;
}

/**
 * GET /fido2/demo (with /fido2/demo.js and /fido2/demo.css): a page that registers and signs in
 * through the ceremony routes with the browser's WebAuthn, showing what Keyward made of the
 * authenticator. Static files served from memory; browsers revalidate them (no-cache with an
 * ETag), so a new server version is picked up at once.
 */
export const fido2DemoRoutes: FastifyPluginAsync = async (app) => {
  const files = demoFiles();
  for (const [name, file] of files) {
    app.get(`/fido2/${name}`, { schema: { hide: true } }, async (request, reply) => {
      reply.headers({ 'content-security-policy': DEMO_CONTENT_SECURITY_POLICY, 'referrer-policy': 'no-referrer' });
      return sendStaticFile(request, reply, file);
    });
  }
};
