import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { ChallengeService } from '../src/challenges/challenge-service.js';
import { systemClock } from '../src/clock.js';
import { loadConfig } from '../src/config/load.js';
import type { ChallengeStore } from '../src/store/challenge-store.js';
import { RedisChallengeStore } from '../src/store/redis/challenge-store.js';
import { connectRedis } from '../src/store/redis/connect.js';
import { openStore } from '../src/store/store.js';
import {
  benchDatabaseUrl,
  benchLine,
  benchRedisUrl,
  benchScript,
  dropSchema,
  log,
  runAutocannon,
  startNodeProcess,
  startServerProcess,
  throughput,
  type ServerProcess,
} from './lib.js';

/**
 * Issue+consume pairs per second: in-process through ChallengeService, and over HTTP on
 * loopback with autocannon driving a `keyward serve` child process, for SQLite, PostgreSQL and
 * Redis (PostgreSQL and Redis at benchDatabaseUrl / benchRedisUrl, see lib.ts).
 */
const SECONDS = Number(process.env.BENCH_SECONDS ?? 8);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 32);

interface Backend {
  name: string;
  serveArgs: string[];
  /** Environment of the server process (beyond the retention setting every run uses). */
  env?: Record<string, string>;
  openChallengeStore(): Promise<{ store: ChallengeStore; close(): Promise<void> }>;
  cleanup(): Promise<void>;
}

function backends(work: string): Backend[] {
  const schema = `kw_bench_${randomBytes(4).toString('hex')}`;
  return [
    // SQLite with its default synchronous=FULL, and with NORMAL for the cost of that durability.
    ...(['FULL', 'NORMAL'] as const).map((synchronous) => ({
      name: synchronous === 'FULL' ? 'sqlite' : 'sqlite_normal',
      serveArgs: ['--data-dir', join(work, `sqlite-${synchronous}`)],
      env: { KEYWARD_SQLITE_SYNCHRONOUS: synchronous },
      async openChallengeStore() {
        const store = await openStore({
          url: `sqlite:${join(work, `inproc-${synchronous}.db`)}`,
          sqliteSynchronous: synchronous,
        });
        return { store: store.challenges, close: () => store.close() };
      },
      cleanup: async () => {},
    })),
    {
      name: 'postgres',
      serveArgs: ['--data-dir', join(work, 'pg'), '--database-url', benchDatabaseUrl, '--database-schema', schema],
      async openChallengeStore() {
        const store = await openStore({ url: benchDatabaseUrl, schema, poolSize: 16 });
        return { store: store.challenges, close: () => store.close() };
      },
      cleanup: () => dropSchema(benchDatabaseUrl, schema),
    },
    {
      name: 'redis',
      serveArgs: ['--data-dir', join(work, 'redis'), '--redis-url', benchRedisUrl],
      async openChallengeStore() {
        const redis = connectRedis({ url: benchRedisUrl });
        return {
          store: new RedisChallengeStore(redis, `keyward-bench:${randomBytes(4).toString('hex')}:`),
          close: async () => void (await redis.quit()),
        };
      },
      cleanup: async () => {},
    },
  ];
}

async function inProcess(backend: Backend): Promise<number> {
  const { store, close } = await backend.openChallengeStore();
  const service = new ChallengeService(store, systemClock, loadConfig({ env: {} }).config.challenges);
  try {
    const pair = async () => {
      const issued = await service.issue('default');
      await service.consume('default', issued.value);
    };
    await throughput(1, CONNECTIONS, pair); // warm-up
    return await throughput(SECONDS, CONNECTIONS, pair);
  } finally {
    await close();
  }
}

/** The issue's target for SQLite and Redis on a 2-core machine (PostgreSQL has none: every commit is an fsync). */
const TARGET_PAIRS_PER_SECOND = 5000;

/** Issue+consume pairs driven by autocannon (in this process) against a server in another process. */
async function pairsOverHttp(server: ServerProcess): Promise<{ pairs: number; errors: number; p99: number }> {
  const pairRequests = [
    {
      method: 'POST' as const,
      path: '/v1/challenges',
      headers: { 'content-type': 'application/json' },
      body: '{"purpose":"default"}',
      onResponse: (_status: number, body: string, context: any) => {
        context.challenge = JSON.parse(body).challenge;
      },
    },
    {
      method: 'POST' as const,
      path: '/v1/challenges/consume',
      headers: { 'content-type': 'application/json' },
      setupRequest: (request: any, context: any) => ({
        ...request,
        body: `{"purpose":"default","challenge":"${context.challenge as string}"}`,
      }),
    },
  ];
  await runAutocannon({ url: server.url, connections: CONNECTIONS, duration: 2, requests: pairRequests });
  const result = await runAutocannon({
    url: server.url,
    connections: CONNECTIONS,
    duration: SECONDS,
    requests: pairRequests,
  });
  return {
    pairs: result['2xx'] / 2 / SECONDS,
    errors: result.non2xx + result.errors + result.timeouts,
    p99: result.latency.p99,
  };
}

async function overHttp(backend: Backend) {
  const server = await startServerProcess(backend.serveArgs, {
    env: { KEYWARD_CHALLENGES_RETENTION_SECONDS: '60', ...backend.env },
  });
  try {
    return await pairsOverHttp(server);
  } finally {
    await server.stop();
  }
}

async function httpCeiling(): Promise<number> {
  const server = await startNodeProcess(benchScript('empty-server.js'), (port) => [String(port)]);
  try {
    return (await pairsOverHttp(server)).pairs;
  } finally {
    await server.stop();
  }
}

export async function run(): Promise<void> {
  const work = mkdtempSync(join(tmpdir(), 'keyward-bench-'));
  const lines: string[] = [];
  const rates = new Map<string, { inProcess: number; http: number }>();
  try {
    const ceiling = await httpCeiling();
    log(`HTTP ceiling (empty Fastify server, same two requests): ${ceiling.toFixed(0)} pairs/s`);
    for (const backend of backends(work)) {
      try {
        const local = await inProcess(backend);
        log(
          `challenges ${backend.name} in-process: ${local.toFixed(0)} issue+consume pairs/s (${CONNECTIONS} concurrent)`,
        );
        const http = await overHttp(backend);
        log(
          `challenges ${backend.name} HTTP: ${http.pairs.toFixed(0)} pairs/s, ${http.errors} errors, p99 ${http.p99} ms (${CONNECTIONS} connections, autocannon)` +
            (backend.name === 'postgres'
              ? ''
              : `; target ${TARGET_PAIRS_PER_SECOND}: ${http.pairs >= TARGET_PAIRS_PER_SECOND ? 'met' : 'NOT met'}`),
        );
        if (http.errors > 0) throw new Error(`${http.errors} failed requests during the ${backend.name} HTTP run`);
        rates.set(backend.name, { inProcess: local, http: http.pairs });
        lines.push(benchLine(`challenges_${backend.name}_inprocess`, local, 'pairs/s'));
        lines.push(
          benchLine(`challenges_${backend.name}_http`, http.pairs, 'pairs/s', {
            bound: ceiling,
            fraction: http.pairs / ceiling,
          }),
        );
      } finally {
        await backend.cleanup();
      }
    }
    // What synchronous=FULL (a confirmed write survives a power loss) costs against NORMAL, measured in this run.
    const full = rates.get('sqlite')!;
    const normal = rates.get('sqlite_normal')!;
    log(
      `challenges sqlite synchronous=FULL: ${((100 * full.http) / normal.http).toFixed(0)}% of NORMAL's rate over HTTP, ${((100 * full.inProcess) / normal.inProcess).toFixed(0)}% in-process`,
    );
    for (const mode of ['inProcess', 'http'] as const)
      lines.push(
        benchLine(`challenges_sqlite_full_${mode === 'http' ? 'http' : 'inprocess'}`, full[mode], 'pairs/s', {
          bound: normal[mode],
          fraction: full[mode] / normal[mode],
        }),
      );
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  for (const line of lines) log(line);
}
