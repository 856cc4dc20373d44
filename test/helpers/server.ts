import { Writable } from 'node:stream';
import type { Clock } from '../../src/clock.js';
import { loadConfig } from '../../src/config/load.js';
import type { KeywardConfig } from '../../src/config/schema.js';
import { startServer, type RunningServer } from '../../src/http/server.js';
import { SIMULATOR_APP_ID } from '../../src/simulator/defaults.js';
import { createLogger } from '../../src/logger.js';
import { Metrics } from '../../src/metrics.js';
import { TEST_REDIS_URL, postgresDatabase, sqliteDatabase, uniqueName } from './backends.js';

export interface TestServer extends RunningServer {
  config: KeywardConfig;
  /** Every log line the server wrote, parsed. */
  logs: Record<string, any>[];
  post(
    path: string,
    body: unknown,
    headers?: Record<string, string>,
  ): Promise<{ status: number; body: any; headers: Headers }>;
  close(): Promise<void>;
}

export interface TestServerOptions {
  database?: 'sqlite' | 'postgres';
  redis?: boolean;
  clock?: Clock;
  /** Option overrides by path, as command-line flags would give them. */
  options?: Record<string, unknown>;
}

/** A real Keyward server on an ephemeral loopback port over a fresh database (and Redis prefix). */
export async function startTestServer(options: TestServerOptions = {}): Promise<TestServer> {
  const database = options.database === 'postgres' ? postgresDatabase() : sqliteDatabase();
  const { config } = loadConfig({
    env: {},
    flags: {
      ...database.config,
      host: '127.0.0.1',
      port: 0,
      logLevel: 'info',
      ...(options.redis ? { redisUrl: TEST_REDIS_URL, redisKeyPrefix: `${uniqueName('kwtest')}:` } : {}),
      ...options.options,
      // Test servers run side by side: their TLS listeners take any free port.
      tls: { port: 0, ...(options.options?.tls as object | undefined) },
      // No test reaches the FIDO Alliance: metadata comes from files or the test's own server.
      fido2: withoutMetadataDownloads(options.options?.fido2),
    },
  });
  const logs: Record<string, any>[] = [];
  const sink = new Writable({
    write(chunk, _encoding, done) {
      for (const line of String(chunk).split('\n')) if (line.trim()) logs.push(JSON.parse(line));
      done();
    },
  });
  const server = await startServer(config, createLogger(config.logLevel, sink), {
    ...(options.clock ? { clock: options.clock } : {}),
    metrics: new Metrics({ processMetrics: false }),
  });
  return {
    ...server,
    config,
    logs,
    async post(path, body, headers = {}) {
      const response = await fetch(`${server.url}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: typeof body === 'string' ? body : JSON.stringify(body),
      });
      const text = await response.text();
      return { status: response.status, body: text ? JSON.parse(text) : undefined, headers: response.headers };
    },
    async close() {
      await server.stop();
      await database.remove();
    },
  };
}

export { SIMULATOR_APP_ID } from '../../src/simulator/defaults.js';

/** A server that trusts the simulators' roots, with their App Attest app id and Android revocation off (the sandbox is offline). */
export function startSimulatorServer(options: TestServerOptions = {}): Promise<TestServer> {
  return startTestServer({
    ...options,
    options: {
      trustSimulatorRoots: true,
      android: { revocation: { enabled: false } },
      apple: { appIds: [SIMULATOR_APP_ID], environment: 'any' },
      ...options.options,
    },
  });
}

/** Test servers download no FIDO metadata unless the test names its servers. */
function withoutMetadataDownloads(fido2: unknown): Record<string, unknown> {
  const given = (fido2 ?? {}) as Record<string, unknown>;
  return { ...given, mds: { servers: [], ...(given.mds as Record<string, unknown> | undefined) } };
}
