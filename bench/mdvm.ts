import { generateKeyPairSync, randomBytes, sign, verify } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { keysFromJwks } from '../src/features/mdvm/mdvm-token.js';
import { verifyMdvmRequest } from '../src/features/mdvm/relying-backend.js';
import { AndroidDeviceSimulator } from '../src/simulator/android/device.js';
import { SimulatedAppleDevice } from '../src/simulator/apple/device.js';
import { SIMULATOR_APP_ID } from '../src/simulator/defaults.js';
import { AppleTestAuthority } from '../src/simulator/apple/test-authority.js';
import { SimulatedWalletInstance } from '../src/simulator/mdvm-wallet.js';
import type { HttpTransport } from '../src/simulator/warden-client.js';
import {
  benchDatabaseUrl,
  benchLine,
  benchRedisUrl,
  dropSchema,
  keepAliveTransport,
  log,
  processCpuSeconds,
  startServerProcess,
  syncThroughput,
  throughput,
} from './lib.js';

/**
 * MDVM: registrations and renewals per second over HTTP on loopback (simulated wallet
 * instances in this process, keep-alive HTTP, `keyward serve` in its own process) — Android on
 * SQLite and on PostgreSQL + Redis, iOS on SQLite — and, in the relying-backend library,
 * complete request checks per second (mdvm_token + HTTP message signature + Content-Digest +
 * challenge), next to the bound of the two P-256 verifications each needs, measured in the same run.
 */
const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 16);
const ENV = {
  KEYWARD_ANDROID_REVOCATION_ENABLED: 'false',
  KEYWARD_APPLE_APP_IDS: `["${SIMULATOR_APP_ID}"]`,
  KEYWARD_APPLE_ENVIRONMENT: 'any',
};

type WalletFactory = () => Promise<SimulatedWalletInstance>;

async function expectOk(step: Promise<{ status: number; body: unknown }>): Promise<void> {
  const response = await step;
  if (response.status !== 200) throw new Error(`MDVM answered ${response.status}: ${JSON.stringify(response.body)}`);
}

async function measure(name: string, serveArgs: string[], factory: WalletFactory, lines: string[]): Promise<void> {
  const server = await startServerProcess(['--trust-simulator-roots', ...serveArgs], { env: ENV, logLevel: 'error' });
  try {
    await throughput(1.5, CONCURRENCY, async () => expectOk((await factory()).register(server.url)));
    let cpu = processCpuSeconds(server.child.pid!);
    let started = performance.now();
    const registrations = await throughput(SECONDS, CONCURRENCY, async () =>
      expectOk((await factory()).register(server.url)),
    );
    const registrationCpu =
      (processCpuSeconds(server.child.pid!) - cpu) / ((registrations * (performance.now() - started)) / 1000);

    const wallets = await Promise.all(Array.from({ length: CONCURRENCY }, factory));
    for (const wallet of wallets) await expectOk(wallet.register(server.url));
    // Each wallet renews one at a time: concurrent renewals of one account would (rightly) conflict.
    cpu = processCpuSeconds(server.child.pid!);
    started = performance.now();
    const renewals = await throughput(SECONDS, 1, () =>
      Promise.all(wallets.map((wallet) => expectOk(wallet.renew(server.url)))),
    );
    const renewalRate = renewals * wallets.length;
    const renewalCpu =
      (processCpuSeconds(server.child.pid!) - cpu) / ((renewalRate * (performance.now() - started)) / 1000);
    log(
      `mdvm ${name}: ${registrations.toFixed(0)} registrations/s, ${renewalRate.toFixed(0)} renewals/s over HTTP (${CONCURRENCY} wallets); server CPU per registration ${(registrationCpu * 1e6).toFixed(0)} µs, per renewal ${(renewalCpu * 1e6).toFixed(0)} µs`,
    );
    lines.push(
      benchLine(`mdvm_register_${name}`, registrations, 'registrations/s'),
      benchLine(`mdvm_renew_${name}`, renewalRate, 'renewals/s'),
    );
  } finally {
    await server.stop();
  }
}

/** The relying-backend library on one core: complete request checks per second, against two P-256 verifications. */
async function relying(factory: WalletFactory, lines: string[]): Promise<void> {
  const server = await startServerProcess(['--trust-simulator-roots'], { env: ENV, logLevel: 'error' });
  try {
    const wallet = await factory();
    await expectOk(wallet.register(server.url));
    const trust = {
      issuer: 'keyward-mdvm',
      keys: keysFromJwks((await (await fetch(`${server.url}/v1/mdvm/jwks.json`)).json()) as { keys: unknown }),
    };
    const requests = Array.from({ length: 256 }, (_, i) =>
      wallet.signRelyingRequest({
        method: 'POST',
        path: '/v1/wpb/attestation',
        challenge: `c${i}`,
        body: { wi_wia_pubk: randomBytes(32).toString('base64') },
        label: 'wpb-auth-sig',
      }),
    );
    let index = 0;
    const check = () => {
      const request = requests[index++ % requests.length]!;
      return verifyMdvmRequest(
        { message: { method: 'POST', target: '/v1/wpb/attestation', headers: request.headers }, body: request.body },
        { trust, label: 'wpb-auth-sig', now: Date.now(), consumeChallenge: () => undefined },
      );
    };
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const data = randomBytes(200);
    const signature = sign('sha256', data, { key: privateKey, dsaEncoding: 'ieee-p1363' });
    const verifyOnce = () => verify('sha256', data, { key: publicKey, dsaEncoding: 'ieee-p1363' }, signature);
    await throughput(1, 1, check);
    syncThroughput(0.5, verifyOnce);
    let checks = 0;
    let verifies = 0;
    for (let round = 0; round < 4; round++) {
      checks += await throughput(SECONDS / 8, 1, check);
      verifies += syncThroughput(SECONDS / 8, verifyOnce);
    }
    const rate = checks / 4;
    const bound = verifies / 4 / 2;
    log(
      `mdvm relying backend: ${rate.toFixed(0)} request checks/s (mdvm_token + HTTP signature + Content-Digest), bound ${bound.toFixed(0)}/s (two P-256 verifications at ${(bound * 2).toFixed(0)}/s)`,
    );
    lines.push(benchLine('mdvm_relying_verify', rate, 'checks/s', { bound, fraction: rate / bound }));
  } finally {
    await server.stop();
  }
}

export async function run(): Promise<void> {
  const work = mkdtempSync(join(tmpdir(), 'keyward-bench-mdvm-'));
  const schema = `kw_bench_${randomBytes(4).toString('hex')}`;
  const transport: HttpTransport = keepAliveTransport(CONCURRENCY * 2);
  const device = await AndroidDeviceSimulator.create({ root: 'shipped' });
  const authority = await AppleTestAuthority.create({ roots: 'shipped' });
  const android: WalletFactory = async () => SimulatedWalletInstance.forAndroid(device, {}, transport);
  const ios: WalletFactory = async () =>
    SimulatedWalletInstance.forIos(
      await SimulatedAppleDevice.create(authority, { appId: SIMULATOR_APP_ID, environment: 'production' }),
      {},
      transport,
    );
  const lines: string[] = [];
  try {
    await measure('android_sqlite', ['--data-dir', join(work, 'a')], android, lines);
    await measure('ios_sqlite', ['--data-dir', join(work, 'i')], ios, lines);
    await measure(
      'android_postgres_redis',
      [
        '--data-dir',
        join(work, 'p'),
        '--database-url',
        benchDatabaseUrl,
        '--database-schema',
        schema,
        '--redis-url',
        benchRedisUrl,
      ],
      android,
      lines,
    );
    await relying(android, lines);
  } finally {
    rmSync(work, { recursive: true, force: true });
    await dropSchema(benchDatabaseUrl, schema);
  }
  for (const line of lines) log(line);
}
