import { createHash } from 'node:crypto';
import { readAsset } from '../../assets.js';
import type { FastifyInstance } from 'fastify';
import { ASSET_PATH } from './layout.js';

let loaded: { body: string; etag: string } | undefined;

/** The console's (and the landing page's) one style sheet, shipped under assets/console/, revalidated by ETag. */
export function installConsoleStyle(app: FastifyInstance): void {
  app.get(`${ASSET_PATH}/console.css`, { schema: { hide: true } }, async (request, reply) => {
    if (!loaded) {
      const body = readAsset('console/console.css');
      loaded = { body, etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"` };
    }
    reply.header('etag', loaded.etag).header('cache-control', 'no-cache');
    if (request.headers['if-none-match'] === loaded.etag) return reply.code(304).send();
    return reply.type('text/css; charset=utf-8').send(loaded.body);
  });
}
