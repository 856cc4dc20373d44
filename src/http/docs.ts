import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { App } from './app-type.js';
import { DOCS_CONTENT_SECURITY_POLICY } from './security-headers.js';

/** Must be registered before any route: it collects route schemas as they are added. */
export async function installOpenApi(
  app: App,
  options: { docs: boolean; serverUrl: string; version: string },
): Promise<void> {
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Keyward',
        version: options.version,
        description: 'Device-trust server: attestation verification, device registry and short-lived proofs of trust.',
      },
      servers: [{ url: options.serverUrl }],
    },
  });
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
  if (options.docs) {
    await app.register(swaggerUi, { routePrefix: '/docs', staticCSP: DOCS_CONTENT_SECURITY_POLICY });
  }
}
