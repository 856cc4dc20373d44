import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect, createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CLI, runCli, serve } from '../helpers/cli.js';

const work = mkdtempSync(join(tmpdir(), 'keyward-connections-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A loopback port nothing listens on. */
async function closedPort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as { port: number };
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

function openSilentConnection(port: number): Promise<Socket> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.on('error', () => {});
    socket.once('connect', () => resolve(socket));
    socket.once('close', () => resolve(socket));
  });
}

describe('keyward serve under connection pressure', () => {
  it('answers /health within the idle timeout plus a second while 2,000 silent connections hold a 1,024 open-file limit', async () => {
    const IDLE_TIMEOUT_MS = 2000;
    const cwd = mkdtempSync(join(work, 'flood-'));
    // The server alone gets the low limit; maxConnections is left to its default, derived from it.
    const child = spawn('bash', ['-c', `ulimit -n 1024 && exec "${process.execPath}" "${CLI}" serve --port 0`], {
      cwd,
      env: {
        PATH: process.env.PATH ?? '',
        KEYWARD_IDLE_CONNECTION_TIMEOUT_MS: String(IDLE_TIMEOUT_MS),
        KEYWARD_TLS_PORT: '0',
      },
    });
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
    const sockets: Socket[] = [];
    try {
      const listening = await new Promise<{ url: string; maxConnections: number }>((resolve, reject) => {
        let buffered = '';
        const timer = setTimeout(() => reject(new Error('keyward serve did not start')), 20_000);
        child.stdout.on('data', (chunk) => {
          buffered += chunk;
          for (const line of buffered.split('\n').slice(0, -1)) {
            const entry = JSON.parse(line);
            if (entry.msg === 'keyward listening') {
              clearTimeout(timer);
              resolve(entry);
            }
          }
          buffered = buffered.slice(buffered.lastIndexOf('\n') + 1);
        });
      });
      expect(listening.maxConnections).toBeLessThan(1024);
      const port = Number(new URL(listening.url).port);

      const floodStarted = performance.now();
      for (let batch = 0; batch < 20; batch++)
        sockets.push(...(await Promise.all(Array.from({ length: 100 }, () => openSilentConnection(port)))));
      const floodEnded = performance.now();
      let answeredAfterMs: number | undefined;
      while (performance.now() - floodEnded < IDLE_TIMEOUT_MS + 6000) {
        try {
          const response = await fetch(`${listening.url}/health`, { signal: AbortSignal.timeout(500) });
          if (response.status === 200) {
            answeredAfterMs = performance.now() - floodEnded;
            break;
          }
        } catch {
          // Refused or reset while the cap is reached; try again.
        }
        await sleep(100);
      }
      console.log(
        `2,000 connections opened in ${(floodEnded - floodStarted).toFixed(0)} ms; /health answered ${answeredAfterMs?.toFixed(0)} ms later`,
      );
      expect(answeredAfterMs).toBeDefined();
      expect(answeredAfterMs).toBeLessThan(IDLE_TIMEOUT_MS + 1000);
      expect(child.exitCode).toBeNull();
    } finally {
      for (const socket of sockets) socket.destroy();
      child.kill('SIGTERM');
      await exited;
    }
  }, 60_000);

  it('on SIGTERM closes idle connections at once, says Connection: close on a reply in flight, and exits well within the grace period', async () => {
    const cwd = mkdtempSync(join(work, 'shutdown-'));
    const server = await serve([], { cwd, env: { KEYWARD_SHUTDOWN_GRACE_MS: '30000' } });
    const port = Number(new URL(server.url).port);
    const sockets: Socket[] = [];
    try {
      // Idle keep-alive connections (one request answered each) and one that never sent anything.
      for (let i = 0; i < 3; i++) {
        const socket = await openSilentConnection(port);
        sockets.push(socket);
        await new Promise<void>((resolve) => {
          socket.once('data', () => resolve());
          socket.write('GET /health HTTP/1.1\r\nHost: keyward\r\n\r\n');
        });
      }
      sockets.push(await openSilentConnection(port));
      // A request in flight: its body is still on the way when SIGTERM arrives.
      const inFlight = await openSilentConnection(port);
      sockets.push(inFlight);
      let reply = '';
      inFlight.on('data', (chunk) => (reply += chunk));
      const replied = new Promise((resolve) => inFlight.once('close', resolve));
      inFlight.write(
        'POST /v1/challenges HTTP/1.1\r\nHost: keyward\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{',
      );
      await sleep(200);

      const signalled = performance.now();
      const stopped = server.stop('SIGTERM');
      await sleep(300);
      inFlight.write('}');
      await replied;
      const code = await stopped;
      const tookMs = performance.now() - signalled;
      console.log(`exited ${tookMs.toFixed(0)} ms after SIGTERM (grace period 30000 ms)`);
      expect(code).toBe(0);
      expect(reply).toMatch(/^HTTP\/1\.1 \d{3} /);
      expect(reply.split('\r\n\r\n')[0]).toMatch(/\r\nconnection: close\r\n/i);
      expect(tookMs).toBeLessThan(5000);
    } finally {
      for (const socket of sockets) socket.destroy();
      server.child.kill('SIGKILL');
    }
  }, 60_000);
});

describe('failures name what failed', () => {
  it('db migrate names the database and the step, never the password', async () => {
    const port = await closedPort();
    const result = await runCli(['db', 'migrate'], {
      cwd: work,
      env: { KEYWARD_DATABASE_URL: `postgres://keyward:s3cret-pw@127.0.0.1:${port}/devices` },
    });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`database postgres 127.0.0.1:${port}/devices: connecting failed: `);
    expect(result.stderr).toContain('ECONNREFUSED');
    expect(result.stderr).not.toContain('s3cret-pw');
  });

  it('simulate names the URL it could not reach and why', async () => {
    const port = await closedPort();
    const result = await runCli(['simulate', 'warden', '--platform', 'android', '--url', `http://127.0.0.1:${port}`], {
      cwd: work,
    });
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain(`GET http://127.0.0.1:${port}/api/v1/challenge failed: `);
    expect(result.stderr).toContain('ECONNREFUSED');
  });
});
