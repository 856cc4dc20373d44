import type { FastifyInstance } from 'fastify';
import { sendStaticFile, type StaticFile, staticFile } from '../../http-kit/static-files.js';
import { ASSET_PATH } from './layout.js';

let loaded: StaticFile | undefined;

/** The console's (and the landing page's) one style sheet, shipped under assets/console/. */
export function installConsoleStyle(app: FastifyInstance): void {
  app.get(`${ASSET_PATH}/console.css`, { schema: { hide: true } }, async (request, reply) => {
    loaded ??= staticFile('console/console.css', 'text/css; charset=utf-8');
    return sendStaticFile(request, reply, loaded);
  });
}
