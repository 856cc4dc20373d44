import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:https';
import type { Socket } from 'node:net';
import { pemCertificates } from '../crypto/x509/certificate.js';
import type { TlsKeys } from '../keys/load-keys.js';
import type { App } from './app-type.js';
import type { ConnectionSettings } from './connections.js';

export interface TlsListener {
  readonly server: Server;
  /** https://host:port actually bound. */
  readonly url: string;
  /** SHA-256 (hex) of the server certificate's DER. */
  readonly certificateSha256: string;
  close(graceMs: number): Promise<void>;
}

export interface TlsListenerOptions {
  host: string;
  port: number;
  keys: TlsKeys;
  /** PEM CA certificates named in the CertificateRequest (the device CA first). */
  clientCas: readonly string[];
  connections: ConnectionSettings;
  /** Answers what Node's HTTP parser refuses (timeouts, oversize headers) as the plain listener does. */
  clientErrorHandler?: (error: NodeJS.ErrnoException, socket: Socket) => void;
}

/**
 * Keyward's TLS listener for DSR's mutual-TLS routes: the same application as the plain
 * listener (Fastify's router), behind a TLS server that asks every client for a certificate.
 * Node cannot ask per route, so the listener asks always and accepts any certificate or none
 * (rejectUnauthorized false): the routes that need one check it against the device CA
 * themselves, with typed refusals instead of a failed handshake.
 */
export async function startTlsListener(app: App, options: TlsListenerOptions): Promise<TlsListener> {
  const certificates = pemCertificates(options.keys.certificate);
  if (certificates.length === 0) throw new Error('tls.certFile holds no PEM certificate');
  const server = createServer(
    {
      cert: options.keys.certificate,
      key: options.keys.key,
      requestCert: true,
      rejectUnauthorized: false,
      ca: [...options.clientCas],
      minVersion: 'TLSv1.2',
      handshakeTimeout: options.connections.idleConnectionTimeoutMs,
    },
    (request, response) => app.routing(request, response),
  );
  const { connections } = options;
  server.requestTimeout = connections.requestTimeoutMs;
  server.headersTimeout = connections.requestTimeoutMs;
  server.keepAliveTimeout = connections.idleConnectionTimeoutMs;
  if (connections.maxConnections > 0) server.maxConnections = connections.maxConnections;
  (server as Server & { connectionsCheckingInterval: number }).connectionsCheckingInterval = Math.min(
    1000,
    Math.floor(connections.requestTimeoutMs / 4),
  );
  // Silence before the first request closes the connection (the handshake has its own timeout);
  // from the first request on, the request and keep-alive timeouts take over, as on the plain listener.
  const awaitingFirstRequest = new WeakSet<Socket>();
  server.on('secureConnection', (socket: Socket) => {
    awaitingFirstRequest.add(socket);
    socket.setTimeout(connections.idleConnectionTimeoutMs, () => socket.destroy());
  });
  server.on('request', (request) => {
    if (awaitingFirstRequest.delete(request.socket)) request.socket.setTimeout(0);
  });
  if (options.clientErrorHandler) server.on('clientError', options.clientErrorHandler);

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : options.port;
  const host = options.host.includes(':') ? `[${options.host}]` : options.host;
  return {
    server,
    url: `https://${host}:${port}`,
    certificateSha256: createHash('sha256').update(certificates[0]!).digest('hex'),
    close: (graceMs) =>
      new Promise<void>((resolve) => {
        const forced = setTimeout(() => server.closeAllConnections(), graceMs);
        forced.unref();
        server.close(() => {
          clearTimeout(forced);
          resolve();
        });
        server.closeIdleConnections();
      }),
  };
}
