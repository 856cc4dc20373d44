import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { statefulIsAuthorized } from '@cedar-policy/cedar-wasm/nodejs';
import { type PdpData, preparePdpData, toCedarRequest } from '../src/features/dsr/pdp/context.js';
import { bareIsAuthorized, compilePolicies, decide } from '../src/features/dsr/pdp/decide.js';
import { DEFAULT_POLICIES } from '../src/features/dsr/pdp/default-policies.js';
import { defaultBundleData } from '../src/features/dsr/defaults.js';
import { GmsClient, type GmsDevice } from '../src/simulator/dsr/gms-client.js';
import { SimulatedHealthCard } from '../src/simulator/dsr/health-card.js';
import { SimulatedDsrAndroidDevice } from '../src/simulator/dsr/android-device.js';
import { SimulatedDsrIosDevice } from '../src/simulator/dsr/ios-device.js';
import {
  benchDatabaseUrl,
  benchLine,
  benchRedisUrl,
  dropSchema,
  log,
  processCpuSeconds,
  runAutocannon,
  startServerProcess,
  syncThroughput,
  throughput,
  reachable,
} from './lib.js';

/**
 * gematik DSR (issue 11 §11):
 * 1. PDP decisions per second in process: `decide` with the default Cedar policies and the
 *    reference data, its Tor list holding TOR_EXIT_NODES generated addresses (the size of the
 *    reference snapshot, IPv4 and written-out IPv6 as Tor publishes them), beside the fastest bare
 *    cedar-wasm call on the same policy set: `statefulIsAuthorized` on the preparsed set with the
 *    same Cedar request, built once outside the loop (the ratio of the BENCH line). A bare
 *    `isAuthorized` that parses the policy text on every call is shown for information only.
 *    Target ≥ 5,000/s.
 * 2. PEP `auth_request` decisions per second over HTTP: autocannon drives GET
 *    /pep/strict/auth_request of a `keyward serve` child process with valid device tokens of
 *    simulated devices and their escaped client certificates (as nginx forwards them), as a
 *    fraction of the in-process PDP rate of this run (target ≥ 0.5).
 * 3. Complete RFC-02 flows per second (nonce → attestation token → device-attestation over mutual
 *    TLS → device-token exchange) of registered simulated Android devices, on SQLite and, when it
 *    is reachable, PostgreSQL (with Redis when that is reachable too).
 */
const SECONDS = Number(process.env.BENCH_SECONDS ?? 1);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const TOR_EXIT_NODES = Number(process.env.BENCH_DSR_TOR_NODES ?? 2300);
const PEP_SECONDS = Number(process.env.BENCH_PEP_SECONDS ?? 4);
const PEP_CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 32);
/** Simulated devices whose tokens the PEP benchmark cycles through (half Android, half iOS). */
const PEP_DEVICES = 8;
const FLOW_SECONDS = Number(process.env.BENCH_FLOW_SECONDS ?? 4);
/** Flows in flight: each loop drives its own registered device. */
const FLOW_CONCURRENCY = Number(process.env.BENCH_FLOW_CONCURRENCY ?? 8);
/** The server's environment: the sandbox is offline (no Android revocation list), any free TLS port. */
const SERVER_ENV = { KEYWARD_ANDROID_REVOCATION_ENABLED: 'false', KEYWARD_TLS_PORT: '0' };
/** The PDP target of issue 11. */
const PDP_TARGET = 5000;

const median = (values: number[]) => [...values].sort((a, b) => a - b)[values.length >> 1]!;

/** Deterministic Tor-like exit addresses: about a third IPv6 written out in full, as in the reference list. */
export function generatedTorExitNodes(count: number): string[] {
  const nodes: string[] = [];
  for (let index = 0; index < count; index++) {
    if (index % 3 === 2) {
      const hex = (value: number) => value.toString(16).padStart(4, '0');
      nodes.push(`2a0b:f4c2:${hex(index >> 8)}:${hex(index & 0xff)}:0000:0000:0000:${hex(index)}`);
    } else {
      nodes.push(`185.${(index * 7) % 256}.${(index >> 8) % 256}.${(index * 13 + 1) % 256}`);
    }
  }
  return nodes;
}

/** A healthy Android device running the reference app, from `address`. */
function androidInput(data: PdpData, clientIP: string) {
  const android = data.android_data!;
  const app = android.allowedApplications![0]!;
  return {
    request: { method: 'GET', path: '/fd/api/v1/records', clientIP, countryCode: 'DE' },
    deviceTokenValid: true,
    deviceTokenPayload: {
      iss: 'https://gms.keyward.example',
      sub: 'x7P6hU3jZ2q0Wb1m5V9yFvN8cQeRtYuIoPaSdFgHjKl',
      iat: 1_700_000_000,
      exp: 1_700_003_600,
      type: 'ANDROID',
      userIdentifier: 'X110411675',
      deviceHealth: {
        integrityVerdict: {
          appIntegrity: {
            packageName: app.packageName,
            versionCode: app.version,
            certificateSha256Digest: [app.certificateSha256Digest],
          },
        },
        keyIdAttestation: { attestationSecurityLevel: 1 },
        deviceAttributes: {
          build: { model: android.allowedBuildModel![0], version: { securityPatch: '2023-06-05' } },
          devicePolicyManager: { passwordComplexity: 196608 },
        },
      },
    },
  };
}

/** A healthy iPhone on iOS 17 running the reference app. */
function iosInput(data: PdpData, clientIP: string) {
  return {
    request: { method: 'POST', path: '/fd/api/v1/records', clientIP, countryCode: 'AT' },
    deviceTokenValid: true,
    deviceTokenPayload: {
      iss: 'https://gms.keyward.example',
      sub: 'QmFzZTY0U3ViT2ZUaGVNVExTUHVibGljS2V5SGFzaDE',
      iat: 1_700_000_000,
      exp: 1_700_003_600,
      type: 'IOS',
      userIdentifier: 'X110411676',
      deviceHealth: {
        assertion: { rpID: data.ios_data!.allowedRpIDs![0], counter: 7 },
        deviceAttributes: { systemVersion: '17.1.2', systemModel: data.ios_data!.allowedSystemModels![11] },
      },
    },
  };
}

async function pdpInProcess(lines: string[]): Promise<number> {
  const tor = generatedTorExitNodes(TOR_EXIT_NODES);
  const reference = defaultBundleData();
  const data: PdpData = { ...reference, security_data: { ...reference.security_data, torExitNodes: tor } };
  const policies = compilePolicies(DEFAULT_POLICIES);
  const prepared = preparePdpData(data);
  // Allowed Android and iOS devices, a Tor exit node, a blocked IP: each decision takes the next.
  const inputs = [
    androidInput(data, '192.0.2.10'),
    iosInput(data, '2001:db8::10'),
    androidInput(data, tor[tor.length - 2]!),
    androidInput(data, data.security_data!.blocklistClientIPs![0]!),
  ];
  const expected = [true, true, false, false];
  inputs.forEach((input, index) => {
    const { verdict, errors } = decide(policies, prepared, input);
    if (verdict.allow !== expected[index] || errors.length > 0)
      throw new Error(`bench input ${index}: unexpected verdict ${JSON.stringify(verdict)} ${errors.join('; ')}`);
  });
  const requests = inputs.map((input) => toCedarRequest(input, prepared));

  let next = 0;
  const decideOnce = () => decide(policies, prepared, inputs[next++ & 3]);
  // The Cedar call decide() makes, alone: the preparsed policy set and a prebuilt request. The
  // fastest a bare isAuthorized call gets on this set, so the figure decide() is compared with.
  const preparsedOnce = () => statefulIsAuthorized({ ...requests[next++ & 3]!, preparsedPolicySetId: policies.id });
  // For information: a bare call that parses the policy text on every call.
  const textOnce = () => bareIsAuthorized(policies, requests[next++ & 3]!);
  for (let warm = 0; warm < 500; warm++) {
    decideOnce();
    preparsedOnce();
    textOnce();
  }
  const decideRates: number[] = [];
  const preparsedRates: number[] = [];
  const textRates: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    decideRates.push(syncThroughput(SECONDS, decideOnce));
    preparsedRates.push(syncThroughput(SECONDS, preparsedOnce));
    textRates.push(syncThroughput(SECONDS, textOnce));
  }
  const rate = median(decideRates);
  const preparsed = median(preparsedRates);
  const ratio = median(decideRates.map((value, round) => value / preparsedRates[round]!));
  log(
    `dsr pdp: ${rate.toFixed(0)} decisions/s with decide() (input → context, Tor list of ${tor.length}, preparsed policy set, verdict), ${preparsed.toFixed(0)}/s for the bare Cedar call alone on the same ${policies.policies.size} preparsed policies and prebuilt requests (ratio ${ratio.toFixed(2)}); target ≥ ${PDP_TARGET}/s: ${rate >= PDP_TARGET ? 'met' : 'NOT met'}`,
  );
  log(
    `dsr pdp (information): ${median(textRates).toFixed(0)}/s bare isAuthorized parsing the policy text on every call (ratio decide/text ${median(decideRates.map((value, round) => value / textRates[round]!)).toFixed(2)})`,
  );
  lines.push(benchLine('dsr_pdp_decisions', rate, 'decisions/s', { vs: 'cedar-isAuthorized', ratio }));
  return rate;
}

/** Registers `count` simulated devices (alternately Android and iOS unless `platform`) and gets each a device token. */
async function registeredDevices(
  client: GmsClient,
  count: number,
  platform?: 'android' | 'ios',
): Promise<{ device: GmsDevice; token: string }[]> {
  const devices: { device: GmsDevice; token: string }[] = [];
  for (let index = 0; index < count; index++) {
    const card = new SimulatedHealthCard({ kvnr: `X${String(110_100_000 + index).padStart(9, '0')}` });
    const device: GmsDevice =
      (platform ?? (index % 2 === 0 ? 'android' : 'ios')) === 'android'
        ? await SimulatedDsrAndroidDevice.create()
        : await SimulatedDsrIosDevice.create();
    await client.register(card, device);
    devices.push({ device, token: await client.deviceToken(device) });
  }
  return devices;
}

/**
 * PEP `GET /pep/strict/auth_request` decisions per second over HTTP with valid tokens
 * (X-Device-Token, X-Original-URI, X-Original-Method, X-Real-IP, X-Country-Code and the client
 * certificate escaped as nginx's $ssl_client_escaped_cert), against a `keyward serve` child
 * process, PEP_CONNECTIONS keep-alive connections, reported against the in-process PDP rate.
 */
async function pepOverHttp(pdpRate: number, lines: string[]): Promise<boolean> {
  const work = mkdtempSync(join(tmpdir(), 'keyward-bench-dsr-pep-'));
  const server = await startServerProcess(['--trust-simulator-roots', '--data-dir', join(work, 'data')], {
    env: SERVER_ENV,
    logLevel: 'error',
  });
  const client = await GmsClient.discover(server.url);
  try {
    const devices = await registeredDevices(client, PEP_DEVICES);
    const requests = devices.map(({ device, token }, index) => ({
      method: 'GET' as const,
      path: '/pep/strict/auth_request',
      headers: {
        'x-device-token': token,
        'x-original-uri': `/fd/api/v1/records/${index}`,
        'x-original-method': 'GET',
        'x-real-ip': `192.0.2.${10 + index}`,
        'x-country-code': 'DE',
        'x-client-certificate': encodeURIComponent(device.certificatePem!),
      },
    }));
    for (const request of requests) {
      const response = await fetch(`${server.url}${request.path}`, { headers: request.headers });
      if (response.status !== 200)
        throw new Error(`PEP refused a valid token: ${response.status} ${response.headers.get('x-pep-result')}`);
    }
    const options = { url: server.url, connections: PEP_CONNECTIONS, requests };
    await runAutocannon({ ...options, duration: 1 });
    const serverCpu = processCpuSeconds(server.child.pid!);
    const result = await runAutocannon({ ...options, duration: PEP_SECONDS });
    const failures = result.non2xx + result.errors + result.timeouts;
    if (failures > 0) throw new Error(`${failures} PEP decisions were not 200`);
    const rate = result['2xx'] / PEP_SECONDS;
    const cpu = (processCpuSeconds(server.child.pid!) - serverCpu) / result['2xx'];
    log(
      `dsr pep over HTTP: ${rate.toFixed(0)} strict auth_request decisions/s (${PEP_CONNECTIONS} keep-alive connections, ${devices.length} tokens, cached after their first verification; p99 ${result.latency.p99} ms), ${((100 * rate) / pdpRate).toFixed(0)}% of the in-process PDP rate (target ≥ 50%); server CPU per decision ${(cpu * 1e6).toFixed(0)} µs`,
    );
    lines.push(benchLine('dsr_pep_decisions', rate, 'decisions/s', { bound: pdpRate, fraction: rate / pdpRate }));
    return true;
  } finally {
    client.close();
    await server.stop();
    rmSync(work, { recursive: true, force: true });
  }
}

/** Complete RFC-02 flows per second against a `keyward serve` child process with `serveArgs`. */
async function flowRate(
  serveArgs: string[],
): Promise<{ rate: number; serverCpuPerFlow: number; clientCpuPerFlow: number }> {
  const server = await startServerProcess(['--trust-simulator-roots', ...serveArgs], {
    env: SERVER_ENV,
    logLevel: 'error',
  });
  const client = await GmsClient.discover(server.url);
  try {
    const devices = (await registeredDevices(client, FLOW_CONCURRENCY, 'android')).map(({ device }) => device);
    let failures = 0;
    let firstFailure: unknown;
    let slot = 0;
    const loop = () => {
      const device = devices[slot++ % devices.length]!;
      return async () => {
        try {
          await client.deviceToken(device);
        } catch (error) {
          failures += 1;
          firstFailure ??= error;
        }
      };
    };
    // One device per loop: its flows never overlap (an iOS counter, an Android attest key per device).
    const run = async (seconds: number) => {
      slot = 0;
      const loops = Array.from({ length: FLOW_CONCURRENCY }, loop);
      const rates = await Promise.all(loops.map((task) => throughput(seconds, 1, task)));
      return rates.reduce((sum, value) => sum + value, 0);
    };
    await run(1);
    if (failures > 0) throw new Error(`${failures} warm-up flows failed: ${(firstFailure as Error).message}`);
    const serverCpu = processCpuSeconds(server.child.pid!);
    const clientCpu = process.cpuUsage();
    const started = performance.now();
    const rate = await run(FLOW_SECONDS);
    const count = (rate * (performance.now() - started)) / 1000;
    const clientUsed = process.cpuUsage(clientCpu);
    if (failures > 0) throw new Error(`${failures} flows failed: ${(firstFailure as Error).message}`);
    return {
      rate,
      serverCpuPerFlow: (processCpuSeconds(server.child.pid!) - serverCpu) / count,
      clientCpuPerFlow: (clientUsed.user + clientUsed.system) / 1e6 / count,
    };
  } finally {
    client.close();
    await server.stop();
  }
}

/**
 * Complete RFC-02 flows per second (nonce, attestation token with a freshly attested key,
 * device-attestation over mutual TLS, PKCE token exchange) of registered simulated Android
 * devices, on SQLite and on PostgreSQL (with Redis when reachable), as `dsr_flows_<backend>`.
 */
async function flows(lines: string[]): Promise<boolean> {
  const work = mkdtempSync(join(tmpdir(), 'keyward-bench-dsr-flows-'));
  const schema = `kw_bench_${randomBytes(4).toString('hex')}`;
  const backends: { name: string; label: string; args: string[] }[] = [
    { name: 'sqlite', label: 'SQLite', args: ['--data-dir', join(work, 'sqlite')] },
  ];
  if (await reachable(benchDatabaseUrl, 5432)) {
    const redis = await reachable(benchRedisUrl, 6379);
    backends.push({
      name: 'postgres',
      label: redis ? 'PostgreSQL + Redis' : 'PostgreSQL',
      args: [
        '--data-dir',
        join(work, 'pg'),
        '--database-url',
        benchDatabaseUrl,
        '--database-schema',
        schema,
        ...(redis ? ['--redis-url', benchRedisUrl] : []),
      ],
    });
  } else log(`PostgreSQL at ${benchDatabaseUrl.replace(/\/\/[^@]*@/, '//…@')} is not reachable: its flows are skipped`);
  try {
    for (const backend of backends) {
      const figures = await flowRate(backend.args);
      log(
        `dsr flows ${backend.label}: ${figures.rate.toFixed(0)} device-attestation + token flows/s (Android, ${FLOW_CONCURRENCY} devices in flight); CPU per flow: server ${(figures.serverCpuPerFlow * 1e6).toFixed(0)} µs, simulated devices ${(figures.clientCpuPerFlow * 1e6).toFixed(0)} µs`,
      );
      lines.push(benchLine(`dsr_flows_${backend.name}`, figures.rate, 'flows/s'));
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
    await dropSchema(benchDatabaseUrl, schema);
  }
  return true;
}

export async function run(): Promise<void> {
  const lines: string[] = [];
  const pdpRate = await pdpInProcess(lines);
  await pepOverHttp(pdpRate, lines);
  await flows(lines);
  for (const line of lines) log(line);
}
