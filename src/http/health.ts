import { Type } from '@sinclair/typebox';
import type { App } from './app-type.js';
import { MetadataReadinessSchema, metadataReadiness } from '../features/fido2/metadata-readiness.js';
import type { Services } from '../services.js';

const Readiness = Type.Object({
  status: Type.Union([Type.Literal('ready'), Type.Literal('not-ready')]),
  checks: Type.Record(Type.String(), Type.Union([Type.Literal('ok'), Type.Literal('failed')])),
  simulatorRootsTrusted: Type.Optional(
    Type.Literal(true, { description: 'Present while trustSimulatorRoots is on: never in production.' }),
  ),
  metadata: Type.Optional(MetadataReadinessSchema),
});

/**
 * /health: the process is alive. /ready: its database (and Redis, when configured) answer; it
 * also tells when simulator roots are trusted, and the FIDO metadata state (which never makes
 * the server unready: downloads retry in the background).
 */
export function installHealth(app: App, services: Services): void {
  app.get(
    '/health',
    {
      schema: {
        tags: ['operations'],
        summary: 'Liveness: the process is up',
        response: { 200: Type.Object({ status: Type.Literal('ok') }) },
      },
    },
    async () => ({ status: 'ok' as const }),
  );
  app.get(
    '/ready',
    {
      schema: {
        tags: ['operations'],
        summary: 'Readiness: the database and, when configured, Redis are reachable',
        response: { 200: Readiness, 503: Readiness },
      },
    },
    async (_request, reply) => {
      const report = await services.checkReady();
      return reply.code(report.ready ? 200 : 503).send({
        status: report.ready ? 'ready' : 'not-ready',
        checks: report.checks,
        ...(services.config.trustSimulatorRoots ? { simulatorRootsTrusted: true as const } : {}),
        ...(services.fido2 ? { metadata: metadataReadiness(services.fido2.metadata.state()) } : {}),
      });
    },
  );
}
