import { randomUUID } from 'node:crypto';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Fastify, { type FastifyBaseLogger } from 'fastify';
import type { App } from './app-type.js';
import { challengeRoutes } from '../features/challenge-api/routes.js';
import { dsrOperatorRoutes } from '../features/dsr/operator-routes.js';
import { pepRoutes } from '../features/dsr/pep-routes.js';
import { DSR_PATH_PREFIX, dsrFailureFormat, dsrRoutes } from '../features/dsr/routes.js';
import { provisioningOperatorRoutes } from '../features/provisioning/operator-routes.js';
import { provisioningRoutes } from '../features/provisioning/routes.js';
import { fido2DemoRoutes } from '../features/fido2/demo-routes.js';
import { fido2OperatorRoutes } from '../features/fido2/operator-routes.js';
import { FIDO2_PATH_PREFIX, fido2FailureFormat, fido2Routes } from '../features/fido2/routes.js';
import { mdvmOperatorRoutes } from '../features/mdvm/operator-routes.js';
import { mdvmWalletRoutes } from '../features/mdvm/routes.js';
import { wardenOperatorRoutes } from '../features/warden/operator-routes.js';
import {
  WARDEN_PATH_PREFIX,
  wardenDocumentRoutes,
  wardenFailureFormat,
  wardenRoutes,
} from '../features/warden/routes.js';
import { resolvePublicBaseUrl } from '../config/derived.js';
import type { Services } from '../services.js';
import { installOpenApi } from './docs.js';
import { type ErrorFormatFor, frameworkErrorOptions, installErrorHandling } from './errors.js';
import { installHealth } from './health.js';
import { installLandingPage } from './landing-page.js';
import { installApiAudit } from '../features/console/api-audit.js';
import { installConsole } from '../features/console/install-console.js';
import { installConsoleStyle } from '../features/console/style-route.js';
import { lazyChildLogger } from './lazy-logger.js';
import { installMetrics } from './metrics-plugin.js';
import { SECURITY_HEADERS } from './security-headers.js';
import { installValidation } from './validation.js';
import { KEYWARD_VERSION } from '../version.js';

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,64}$/;

/** Builds the Fastify application over running services; listening is the caller's business. */
export async function buildApp(services: Services): Promise<App> {
  const { config } = services;
  // What the framework refuses under Warden's routes is answered as Warden's clients expect: a Failure.
  const wardenFailures = wardenFailureFormat(config.warden);
  const errorFormatFor: ErrorFormatFor = (path) => {
    if (services.warden && path.startsWith(WARDEN_PATH_PREFIX)) return wardenFailures;
    // …and under the WebAuthn ceremonies' routes as the conformance API's clients expect: a failed ServerResponse.
    if (services.fido2 && path.startsWith(FIDO2_PATH_PREFIX)) return fido2FailureFormat;
    // …and under the DSR GMS's as its OpenAPI describes: {errorCode, description, traceId}.
    if (services.dsr && path.startsWith(DSR_PATH_PREFIX)) return dsrFailureFormat;
    return undefined;
  };
  const app = Fastify({
    loggerInstance: services.logger as FastifyBaseLogger,
    childLoggerFactory: (logger, bindings, options) => lazyChildLogger(logger, bindings, options),
    bodyLimit: config.bodyLimitBytes,
    requestTimeout: config.requestTimeoutMs,
    trustProxy: config.trustProxy,
    return503OnClosing: true,
    requestIdHeader: false,
    genReqId: (request) => {
      const presented = request.headers['x-request-id'];
      return typeof presented === 'string' && REQUEST_ID.test(presented) ? presented : randomUUID();
    },
    ...frameworkErrorOptions(errorFormatFor),
  }).withTypeProvider<TypeBoxTypeProvider>();

  // JSON only unless a route registers its own wire format.
  app.removeContentTypeParser('text/plain');
  app.addHook('onRequest', (request, reply, done) => {
    reply.headers({ 'x-request-id': request.id, ...SECURITY_HEADERS });
    done();
  });

  installValidation(app);
  installErrorHandling(app, errorFormatFor);
  installMetrics(app, services.metrics, config.metrics);
  await installOpenApi(app, {
    docs: config.docs.enabled,
    serverUrl: resolvePublicBaseUrl(config),
    version: KEYWARD_VERSION,
  });
  installHealth(app, services);
  installConsoleStyle(app);
  installLandingPage(app, services);
  // Operator API changes go on the audit trail, like the console's.
  if (config.admin.apiKeys.length > 0)
    installApiAudit(app, { audit: services.store.auditEvents, clock: services.clock });
  if (config.console.enabled) await installConsole(app, services);
  await app.register(challengeRoutes, { challenges: services.challenges });
  if (services.warden) {
    await app.register(wardenRoutes, {
      warden: services.warden,
      failure: wardenFailures,
      maxProofBytes: config.warden.maxProofBytes,
      attestations: services.metrics.wardenAttestations,
      decisionLog: services.decisions,
    });
    await app.register(wardenDocumentRoutes, { warden: services.warden, publicBaseUrl: services.publicBaseUrl });
    if (config.admin.apiKeys.length > 0)
      await app.register(wardenOperatorRoutes, { warden: services.warden, apiKeys: config.admin.apiKeys });
  }
  if (services.mdvm) {
    await app.register(mdvmWalletRoutes, {
      mdvm: services.mdvm.service,
      operations: services.mdvm.operations,
      maxBodyBytes: config.mdvm.maxBodyBytes,
      clock: services.clock,
      decisionLog: services.decisions,
    });
    if (config.admin.apiKeys.length > 0)
      await app.register(mdvmOperatorRoutes, { operations: services.mdvm.operations, apiKeys: config.admin.apiKeys });
  }
  if (services.fido2) {
    await app.register(fido2Routes, {
      fido2: services.fido2.service,
      ceremonies: services.metrics.fido2Ceremonies,
      decisionLog: services.decisions,
    });
    await app.register(fido2DemoRoutes);
    if (config.admin.apiKeys.length > 0)
      await app.register(fido2OperatorRoutes, { fido2: services.fido2.service, apiKeys: config.admin.apiKeys });
  }
  if (services.dsr) {
    const { dsr } = services;
    await app.register(dsrRoutes, {
      dsr,
      decisions: services.metrics.dsrDecisions,
      decisionLog: services.decisions,
      addresses: {
        baseUrl: services.publicBaseUrl,
        mtlsUrl: () => {
          const tls = services.listeners.tls;
          if (!tls) return undefined;
          const host = new URL(services.publicBaseUrl()).host.replace(/:\d+$/, '');
          return `https://${host}:${new URL(tls.url).port}`;
        },
        get serverCertificateSha256() {
          return services.listeners.tls?.certificateSha256;
        },
      },
    });
    await app.register(pepRoutes, {
      dsr,
      decisions: services.metrics.pepDecisions,
      decisionLog: services.decisions,
    });
    if (config.admin.apiKeys.length > 0) await app.register(dsrOperatorRoutes, { dsr, apiKeys: config.admin.apiKeys });
  }
  if (services.provisioning) {
    await app.register(provisioningRoutes, {
      provisioning: services.provisioning,
      maxBodyBytes: config.provisioning.maxBodyBytes,
      decisionLog: services.decisions,
    });
    if (config.admin.apiKeys.length > 0)
      await app.register(provisioningOperatorRoutes, {
        records: services.provisioning.records,
        apiKeys: config.admin.apiKeys,
      });
  }
  return app;
}
