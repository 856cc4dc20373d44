import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { systemClock } from '../src/clock.js';
import { loadConfig } from '../src/config/load.js';
import { DecisionLog, type DecisionInput } from '../src/decision-log/decision-log.js';
import { buildApp } from '../src/http/app.js';
import { createLogger } from '../src/logger.js';
import { createServices } from '../src/services.js';
import { AndroidDeviceSimulator } from '../src/simulator/android/device.js';
import { buildProof } from '../src/simulator/warden-client.js';
import { openStore } from '../src/store/store.js';
import { benchLine, log } from './lib.js';

/**
 * What the decision log costs the hot paths: (a) record() in this process, the background writer
 * inserting into SQLite on the same thread meanwhile; (b) Warden attest requests through the real
 * route (Fastify inject, no sockets: the figure is the server's own work) on SQLite with
 * decisionLog.enabled true and false in the same run, proofs built beforehand, each chunk's
 * decisions written within its time. CPU time per request is printed too: it is what a busy
 * machine disturbs least.
 */
const SECONDS = Number(process.env.BENCH_SECONDS ?? 8);
const PROOFS = Number(process.env.BENCH_PROOFS ?? 3000);
const WARM_UP = 200;
const CHUNK = 100;
const CONCURRENCY = 8;

/** A decision as the Warden route records it. */
const decision = (n: number): DecisionInput => ({
  capability: 'warden',
  operation: 'attest',
  platform: 'android',
  outcome: 'accepted',
  subject: `7f3a9c${n.toString(16).padStart(26, '0')}`,
  requestId: `c5d0f2a4-1b7e-4a3c-9d2e-${n.toString(16).padStart(12, '0')}`,
  summary: {
    policy: 'default',
    securityLevel: 'TrustedEnvironment',
    anchor: 'Google Hardware Attestation Root (RSA)',
    app: ['com.example.wallet'],
    bootState: 'Verified, locked',
    osVersion: '16.0.0',
    osPatchLevel: '2026-11',
    appVersion: 10,
  },
});

/** ns per record() and the sustained rate (recorded and written) with the writer on the same thread, over SQLite. */
async function inProcess(dataDir: string): Promise<{ recordNs: number; sustained: number; written: number }> {
  const store = await openStore({ url: `sqlite:${join(dataDir, 'keyward.db')}`, schema: '' });
  let written = 0;
  const decisions = new DecisionLog({
    config: { enabled: true, retentionDays: 90, flushIntervalMs: 250, maxBuffered: 10_000_000 },
    store: store.decisionEvents,
    clock: systemClock,
    metrics: { written: (count) => (written += count), dropped: () => undefined },
  });
  decisions.start();
  try {
    let recordMs = 0;
    let n = 0;
    const started = performance.now();
    const deadline = started + SECONDS * 1000;
    while (performance.now() < deadline) {
      // Events built outside the timed part: a route builds its own anyway.
      const batch = Array.from({ length: 1000 }, () => decision(n++));
      const before = performance.now();
      for (const event of batch) decisions.record(event);
      recordMs += performance.now() - before;
      // Yield as a server does between requests, so the writer runs.
      await new Promise((resolve) => setImmediate(resolve));
    }
    await decisions.stop();
    const elapsed = (performance.now() - started) / 1000;
    return { recordNs: (recordMs * 1e6) / n, sustained: written / elapsed, written };
  } finally {
    await store.close();
  }
}

interface Measured {
  seconds: number;
  cpuSeconds: number;
  requests: number;
}

/** A server (services and routes, no sockets) on a fresh SQLite database with proofs built for it. */
async function attestServer(dataDir: string, device: AndroidDeviceSimulator, decisionLog: boolean) {
  const { config } = loadConfig({
    env: {},
    flags: {
      dataDir,
      trustSimulatorRoots: true,
      logLevel: 'error',
      android: { revocation: { enabled: false } },
      decisionLog: { enabled: decisionLog },
    },
  });
  const services = await createServices(config, createLogger('error'));
  const app = await buildApp(services);
  services.listening('http://127.0.0.1:0');
  const proofs: Buffer[] = [];
  for (let i = 0; i < PROOFS; i++)
    proofs.push((await buildProof(await services.warden!.challenge(), { platform: 'android', device })).body);
  const measured: Measured = { seconds: 0, cpuSeconds: 0, requests: 0 };
  const attest = async (proof: Buffer) => {
    const reply = await app.inject({
      method: 'POST',
      url: '/api/v1/attest',
      headers: { 'content-type': 'application/octet-stream' },
      payload: proof,
    });
    if (reply.statusCode !== 200) throw new Error(`attest answered ${reply.statusCode}: ${reply.body}`);
  };
  return {
    measured,
    /** The next `count` proofs, CONCURRENCY at a time; the time includes writing the decisions they made. */
    async run(count: number, timed = true): Promise<void> {
      const chunk = proofs.splice(0, count);
      const cpu = process.cpuUsage();
      const started = performance.now();
      let next = 0;
      const loop = async () => {
        while (next < chunk.length) await attest(chunk[next++]!);
      };
      await Promise.all(Array.from({ length: CONCURRENCY }, loop));
      await services.decisions.flush();
      if (!timed) return;
      const used = process.cpuUsage(cpu);
      measured.seconds += (performance.now() - started) / 1000;
      measured.cpuSeconds += (used.user + used.system) / 1e6;
      measured.requests += chunk.length;
    },
    async close(): Promise<void> {
      await app.close();
      await services.close();
    },
  };
}

/**
 * Attest requests per second with the decision log on and off: two servers side by side, fed
 * alternately in chunks of CHUNK requests, so a machine whose load drifts disturbs both alike.
 */
async function overhead(work: string, device: AndroidDeviceSimulator): Promise<Record<'on' | 'off', Measured>> {
  const on = await attestServer(join(work, 'warden-on'), device, true);
  const off = await attestServer(join(work, 'warden-off'), device, false);
  try {
    await off.run(WARM_UP, false);
    await on.run(WARM_UP, false);
    for (let done = WARM_UP; done + CHUNK <= PROOFS; done += CHUNK) {
      await off.run(CHUNK);
      await on.run(CHUNK);
    }
    return { on: on.measured, off: off.measured };
  } finally {
    await on.close();
    await off.close();
  }
}

export async function run(): Promise<void> {
  const work = mkdtempSync(join(tmpdir(), 'keyward-bench-decisions-'));
  const lines: string[] = [];
  try {
    const local = await inProcess(work);
    log(
      `decision log in process: record() ${local.recordNs.toFixed(0)} ns; ${local.sustained.toFixed(0)} decisions/s recorded and written to SQLite on the same thread (${local.written} written)`,
    );
    lines.push(
      benchLine('decision_log_record', local.recordNs, 'ns/record'),
      benchLine('decision_log_written_sqlite', local.sustained, 'decisions/s'),
    );

    const device = await AndroidDeviceSimulator.create({ root: 'shipped' });
    const { on, off } = await overhead(work, device);
    const rate = { on: on.requests / on.seconds, off: off.requests / off.seconds };
    const cpu = { on: (on.cpuSeconds / on.requests) * 1e6, off: (off.cpuSeconds / off.requests) * 1e6 };
    log(
      `decision log overhead on Warden attest through the route (SQLite, ${on.requests} requests each, alternated): ${rate.on.toFixed(0)} vs ${rate.off.toFixed(0)} requests/s (${((100 * rate.on) / rate.off).toFixed(1)}%), CPU ${cpu.on.toFixed(0)} vs ${cpu.off.toFixed(0)} µs per request (${(cpu.on - cpu.off).toFixed(0)} µs)`,
    );
    lines.push(
      benchLine('decision_log_overhead', rate.on, 'flows/s', { vs: 'log-disabled', ratio: rate.on / rate.off }),
      benchLine('decision_log_overhead_cpu', cpu.on, 'µs/flow', { vs: 'log-disabled', ratio: cpu.on / cpu.off }),
    );
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  for (const line of lines) log(line);
}
