import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { Agent, request as httpRequest } from 'node:http';
import { connect, createServer, type AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import pg from 'pg';
import type { HttpTransport } from '../src/simulator/warden-client.js';

/** One headline figure: `BENCH <name> <value> <unit>[ vs=<peer> ratio=<x>| bound=<y> fraction=<z>]`. */
export function benchLine(
  name: string,
  value: number,
  unit: string,
  comparison?: { vs: string; ratio: number } | { bound: number; fraction: number },
): string {
  const shown = value >= 100 ? value.toFixed(0) : value.toFixed(2);
  let line = `BENCH ${name} ${shown} ${unit}`;
  if (comparison && 'vs' in comparison) line += ` vs=${comparison.vs} ratio=${comparison.ratio.toFixed(2)}`;
  if (comparison && 'bound' in comparison)
    line += ` bound=${comparison.bound.toFixed(0)} fraction=${comparison.fraction.toFixed(2)}`;
  return line;
}

export const log = (text: string) => process.stdout.write(`${text}\n`);

/** PostgreSQL and Redis for the benchmarks: BENCH_DATABASE_URL / BENCH_REDIS_URL, else the TEST_ ones, else the local defaults. */
export const benchDatabaseUrl =
  process.env.BENCH_DATABASE_URL ?? process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
export const benchRedisUrl = process.env.BENCH_REDIS_URL ?? process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

/** Runs `task` with `concurrency` loops for `seconds`; returns completed operations per second. */
export async function throughput(seconds: number, concurrency: number, task: () => Promise<unknown>): Promise<number> {
  const deadline = performance.now() + seconds * 1000;
  let done = 0;
  const loop = async () => {
    while (performance.now() < deadline) {
      await task();
      done += 1;
    }
  };
  const started = performance.now();
  await Promise.all(Array.from({ length: concurrency }, loop));
  return done / ((performance.now() - started) / 1000);
}

/** Synchronous variant for CPU-bound work: operations per second over `seconds`. */
export function syncThroughput(seconds: number, task: () => unknown): number {
  const started = performance.now();
  const deadline = started + seconds * 1000;
  let done = 0;
  while (performance.now() < deadline) {
    for (let i = 0; i < 16; i++) task();
    done += 16;
  }
  return done / ((performance.now() - started) / 1000);
}

const CLI = fileURLToPath(new URL('../src/cli/main.js', import.meta.url));

export interface ServerProcess {
  url: string;
  child: ChildProcess;
  stop(): Promise<void>;
}

/** A free loopback port (bound and released), so a child server's address is known in advance. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}

/** Starts a Node script of this package (built) as a child process and waits until its /health answers. */
export async function startNodeProcess(
  script: string,
  args: (port: number) => string[],
  options: { env?: Record<string, string> } = {},
): Promise<ServerProcess> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const child = spawn(process.execPath, [script, ...args(port)], {
    env: { ...process.env, ...options.env },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  let exited: number | null | undefined;
  child.once('exit', (code) => (exited = code));
  for (let attempt = 0; ; attempt++) {
    if (exited !== undefined) throw new Error(`${script} exited with ${exited}`);
    if (attempt > 300) throw new Error(`${script} did not become healthy`);
    try {
      if ((await fetch(`${url}/health`)).ok) break;
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  return {
    url,
    child,
    stop: () =>
      new Promise((done) => {
        if (exited !== undefined) return done();
        child.once('exit', () => done());
        child.kill('SIGTERM');
      }),
  };
}

/** Starts the built `keyward serve` (logging warnings only) in its own process. */
export function startServerProcess(
  args: string[],
  options: { env?: Record<string, string>; logLevel?: string } = {},
): Promise<ServerProcess> {
  return startNodeProcess(
    CLI,
    (port) => ['serve', '--port', String(port), '--log-level', options.logLevel ?? 'warn', ...args],
    options,
  );
}

export const benchScript = (name: string) => fileURLToPath(new URL(`./${name}`, import.meta.url));

export type AutocannonOptions = autocannon.Options;

export function runAutocannon(options: AutocannonOptions): Promise<autocannon.Result> {
  return new Promise((resolve, reject) => {
    autocannon(options, (error, result) => (error ? reject(error) : resolve(result)));
  });
}

/**
 * A load generator's HTTP client for the simulated flows: node:http over keep-alive sockets,
 * several times cheaper per request than fetch, so the client leaves the CPU to the server.
 */
export function keepAliveTransport(maxSockets: number): HttpTransport {
  const agent = new Agent({ keepAlive: true, maxSockets });
  return ({ method, url, body, contentType, headers: extra }) =>
    new Promise((resolve, reject) => {
      const headers = {
        ...extra,
        ...(body
          ? { 'content-type': contentType ?? 'application/octet-stream', 'content-length': String(body.length) }
          : {}),
      };
      const outgoing = httpRequest(url, { method, agent, headers }, (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () =>
          resolve({ status: response.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }),
        );
        response.on('error', reject);
      });
      outgoing.on('error', reject);
      outgoing.end(body);
    });
}

/** CPU seconds (user + system, all threads) a child process has used so far, from /proc. */
export function processCpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  // utime and stime are fields 14 and 15 of stat; after "pid (comm) " they are at 11 and 12.
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** Drops a benchmark's PostgreSQL schema; quietly does nothing when PostgreSQL is not reachable. */
export async function dropSchema(databaseUrl: string, schema: string): Promise<void> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect().then(
    () => client.query(`drop schema if exists "${schema}" cascade`).finally(() => client.end()),
    () => undefined,
  );
}

/** True when a TCP connection to the URL's host and port opens within three seconds. */
export function reachable(url: string, defaultPort: number): Promise<boolean> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = connect({ host: hostname.replace(/^\[|\]$/g, ''), port: Number(port || defaultPort) });
    socket.setTimeout(3000);
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
    socket.once('timeout', () => done(false));
  });
}
