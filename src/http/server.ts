import { readFileSync } from 'node:fs';
import type { App } from './app-type.js';
import { ConfigError } from '../config/config-error.js';
import type { Logger } from 'pino';
import { reachableHost } from '../config/derived.js';
import type { KeywardConfig } from '../config/schema.js';
import { redactConfig } from '../config/load.js';
import { createServices, type ServiceOptions, type Services } from '../services.js';
import { KEYWARD_VERSION } from '../version.js';
import { buildApp } from './app.js';
import { limitConnections } from './connections.js';
import { startTlsListener, type TlsListener } from './tls-listener.js';
import { frameworkErrorOptions } from './errors.js';
import { dsrFailureFormat } from '../features/dsr/routes.js';

export interface RunningServer {
  readonly app: App;
  readonly services: Services;
  /** http://host:port actually bound (port 0 resolves to the chosen port). */
  readonly url: string;
  /** https://host:port of the TLS listener for DSR's mTLS routes, when it runs. */
  readonly tlsUrl: string | undefined;
  /**
   * Stops accepting connections, closes idle ones, lets in-flight requests finish (up to
   * shutdownGraceMs) with Connection: close, closes the store.
   */
  stop(): Promise<void>;
}

export type StartOptions = ServiceOptions;

export async function startServer(
  config: KeywardConfig,
  logger: Logger,
  options: StartOptions = {},
): Promise<RunningServer> {
  const services = await createServices(config, logger, options);
  for (const key of services.keys.development) {
    logger.warn(
      { key: key.name, path: key.path, created: key.created },
      `DEVELOPMENT KEY ${key.created ? 'GENERATED' : 'IN USE'} at ${key.path}: for development only. In production configure ${key.name} and set keys.generateDevelopmentKeys=false.`,
    );
  }
  let app: App;
  let connections: ReturnType<typeof limitConnections>;
  let tls: TlsListener | undefined;
  let listening: App | undefined;
  try {
    app = await buildApp(services);
    connections = limitConnections(app, config);
    await app.listen({ host: config.host, port: config.port });
    listening = app;
    if (services.dsr && services.keys.tls) {
      tls = await startTlsListener(app, {
        host: config.host,
        port: config.tls.port,
        keys: services.keys.tls,
        clientCas: [services.dsr.deviceCa.clientCaPem, ...config.tls.clientCaFiles.map((file) => readClientCa(file))],
        connections: { ...config, maxConnections: connections.maxConnections },
        // Only DSR's routes need this listener: what the parser refuses is answered in their format.
        clientErrorHandler: frameworkErrorOptions(() => dsrFailureFormat).clientErrorHandler.bind(app),
      });
      services.listeners.tls = { url: tls.url, certificateSha256: tls.certificateSha256 };
    }
  } catch (error) {
    // The plain listener is closed again when the TLS listener cannot start (its port taken, say).
    await listening?.close().catch(() => undefined);
    await services.close();
    throw error;
  }
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  const url = `http://${bracketed(config.host)}:${port}`;
  services.listening(`http://${bracketed(reachableHost(config.host))}:${port}`);
  logger.info(
    {
      url,
      ...(tls ? { tlsUrl: tls.url } : {}),
      publicBaseUrl: services.publicBaseUrl(),
      store: services.store.location,
      challenges: services.redis ? 'redis' : 'database',
      version: KEYWARD_VERSION,
      config: redactConfig(config),
      maxConnections: connections.maxConnections,
    },
    'keyward listening',
  );

  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      const forced = setTimeout(() => {
        logger.warn({ graceMs: config.shutdownGraceMs }, 'shutdown grace period over: closing remaining connections');
        app.server.closeAllConnections();
      }, config.shutdownGraceMs);
      forced.unref();
      connections.beginShutdown();
      try {
        await Promise.all([app.close(), tls?.close(config.shutdownGraceMs)]);
      } finally {
        clearTimeout(forced);
        await services.close();
      }
    })());
  return { app, services, url, tlsUrl: tls?.url, stop };
}

function readClientCa(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    throw new ConfigError(`invalid configuration: tls.clientCaFiles: cannot read ${file}: ${(error as Error).message}`);
  }
}

/** IPv6 literals go in brackets in a URL. */
const bracketed = (host: string) => (host.includes(':') ? `[${host}]` : host);

/** SIGTERM/SIGINT stop the server gracefully, then the process exits. */
export function stopOnSignals(server: RunningServer, logger: Logger): void {
  const onSignal = (signal: NodeJS.Signals) => {
    logger.info({ signal }, 'shutting down');
    server.stop().then(
      () => {
        logger.info('shutdown complete');
        process.exit(0);
      },
      (error) => {
        logger.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', onSignal);
  process.once('SIGINT', onSignal);
}
