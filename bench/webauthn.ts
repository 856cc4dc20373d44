import {
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  type KeyObject,
  randomBytes,
  sign,
  verify,
} from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  MetadataService,
  SettingsService,
  verifyAuthenticationResponse,
  verifyRegistrationResponse,
} from '@simplewebauthn/server';
import pg from 'pg';
import { assetPath, readAsset } from '../src/assets.js';
import { decodeAttestationObject } from '../src/attestation/webauthn/attestation-object.js';
import { verifyMetadataBlob } from '../src/attestation/webauthn/metadata/blob.js';
import { MetadataIndex } from '../src/attestation/webauthn/metadata/index.js';
import { entryFromStatement } from '../src/attestation/webauthn/metadata/statement.js';
import { DEFAULT_REFUSED_STATUSES } from '../src/attestation/webauthn/metadata/status-policy.js';
import { parseAssertionResponse, parseRegistrationResponse } from '../src/attestation/webauthn/response-json.js';
import type { FormatContext, WebAuthnRegistrationResult } from '../src/attestation/webauthn/types.js';
import { verifyAssertion } from '../src/attestation/webauthn/verify-assertion.js';
import { WebAuthnVerifier } from '../src/attestation/webauthn/verify-registration.js';
import { TrustAnchors, type TrustAnchor } from '../src/crypto/x509/chain.js';
import {
  SimulatedAuthenticator,
  type AuthenticationResponseJSON,
  type RegistrationResponseJSON,
} from '../src/simulator/webauthn/authenticator.js';
import { simulateWebAuthn } from '../src/simulator/webauthn/client.js';
import { webauthnSimulatorAnchors } from '../src/simulator/webauthn/roots.js';
import {
  benchDatabaseUrl,
  benchLine,
  dropSchema,
  keepAliveTransport,
  log,
  processCpuSeconds,
  startServerProcess,
  throughput,
} from './lib.js';

/**
 * WebAuthn, Keyward beside @simplewebauthn/server on the same inputs in one process, each
 * verification awaited before the next (one core's worth, as the two libraries would serve one
 * request each), in alternating rounds whose per-round ratios give the medians reported:
 * - registration, packed full attestation (x5c) with a metadata lookup: simulated authenticators,
 *   each with its own batch attestation key and leaf, their statement in Keyward's MetadataIndex
 *   and in SimpleWebAuthn's MetadataService, which both check the chain against its roots;
 * - registration, tpm: simulated TPMs (RSA-2048 AIK, ES256 credential key) with the simulator's
 *   root configured on both sides, and the real Windows Hello vector (ECC public area) from
 *   SimpleWebAuthn's tests with the Microsoft TPM root on both sides;
 * - assertion, ES256, over more credentials than Keyward's imported-key cache holds (every
 *   Keyward verification imports its key), and over a few credentials (the cache warm).
 * Each side starts from the PublicKeyCredential JSON. Also the time to verify and index the real
 * MDS3 BLOB, and complete register + sign-in flows per second over HTTP on SQLite and PostgreSQL.
 */
const SECONDS = Number(process.env.BENCH_SECONDS ?? 2);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const FLOW_SECONDS = Number(process.env.BENCH_FLOW_SECONDS ?? 8);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 24);
/** Distinct packed authenticators (each its own leaf), one registration each. */
const PACKED_REGISTRATIONS = Number(process.env.BENCH_WEBAUTHN_PACKED ?? 512);
/** Simulated TPMs (an RSA-2048 AIK each, slow to make) and registrations per TPM. */
const TPM_DEVICES = Number(process.env.BENCH_WEBAUTHN_TPMS ?? 32);
const TPM_REGISTRATIONS_EACH = 8;
/** More credentials than verify-assertion.ts's key cache holds (8,192): cycling through them, each lookup misses. */
const COLD_CREDENTIALS = 10_000;
const WARM_CREDENTIALS = 64;

const RP_ID = 'keyward.example';
const ORIGIN = 'https://keyward.example';
/** What a server configured for every algorithm (RS1 included, for old TPMs) offers. */
const ALGORITHMS = [-7, -35, -36, -8, -257, -258, -259, -37, -38, -39, -65535];
const VECTORS = new URL('../../test/vectors/', import.meta.url);
const readVector = (path: string) => readFileSync(new URL(path, VECTORS), 'utf8');

const median = (values: number[]) => [...values].sort((a, b) => a - b)[values.length >> 1]!;
const medianRatio = (numerators: number[], denominators: number[]) =>
  median(numerators.map((value, round) => value / denominators[round]!));
const micros = (seconds: number) => `${(seconds * 1e6).toFixed(0)} µs`;

interface Rate {
  /** Verifications per second (wall clock). */
  rate: number;
  /** CPU seconds per verification, all threads of the process (WebCrypto runs on libuv's pool). */
  cpu: number;
}

/** Awaits `task` over and over for `seconds`: rate and CPU per operation. */
async function measure(seconds: number, task: () => unknown): Promise<Rate> {
  const cpu = process.cpuUsage();
  const started = performance.now();
  const rate = await throughput(seconds, 1, async () => task());
  const count = (rate * (performance.now() - started)) / 1000;
  const used = process.cpuUsage(cpu);
  return { rate, cpu: (used.user + used.system) / 1e6 / count };
}

/** Each measure once per round, back to back; per measure its figures of all rounds. */
async function rounds<Name extends string>(measures: Record<Name, () => Promise<Rate>>): Promise<Record<Name, Rate[]>> {
  const names = Object.keys(measures) as Name[];
  const figures = Object.fromEntries(names.map((name) => [name, [] as Rate[]])) as Record<Name, Rate[]>;
  for (let round = 0; round < ROUNDS; round++) for (const name of names) figures[name].push(await measures[name]());
  return figures;
}

/**
 * Node 20.20's KeyObject.export({format: 'jwk'}) can deadlock on a key fresh from
 * generateKeyPairSync: a garbage collection inside the export runs the finished key-generation
 * job's destructor, which waits for the mutex the export holds (main thread in futex_wait under
 * ~KeyGenJob ← GlobalHandles::InvokeFirstPassWeakCallbacks ← KeyObjectHandle::ExportJWK).
 * A loop of generate + JWK export hangs after some 10^4–10^5 keys. The simulated authenticators
 * make thousands of keys here (and export them as JWK for their COSE keys), so while the
 * benchmark runs, JWK exports go through a re-imported copy of the key, which no job refers to.
 * Keyward's verification code exports no keys, so nothing timed on its side passes through this.
 */
function avoidJwkExportDeadlock(): () => void {
  const pair = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  type Export = (this: KeyObject, options?: object) => unknown;
  const copies: [object, (key: KeyObject) => KeyObject][] = [
    [
      Object.getPrototypeOf(pair.publicKey),
      (key) => createPublicKey({ key: key.export({ format: 'der', type: 'spki' }), format: 'der', type: 'spki' }),
    ],
    [
      Object.getPrototypeOf(pair.privateKey),
      (key) => createPrivateKey({ key: key.export({ format: 'der', type: 'pkcs8' }), format: 'der', type: 'pkcs8' }),
    ],
  ];
  const restores = copies.map(([prototype, copy]) => {
    const holder = prototype as { export: Export };
    const original = holder.export;
    holder.export = function (this: KeyObject, options?: object) {
      const jwk = (options as { format?: string } | undefined)?.format === 'jwk';
      return original.call(jwk ? copy(this) : this, options);
    };
    return () => {
      holder.export = original;
    };
  });
  return () => {
    for (const restore of restores) restore();
  };
}

/** One ECDSA P-256 verification with node:crypto (DER signature, imported key). */
const p256Verify = (() => {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const data = randomBytes(64);
  const signature = sign('sha256', data, { key: privateKey, dsaEncoding: 'der' });
  return () => verify('sha256', data, { key: publicKey, dsaEncoding: 'der' }, signature);
})();

/** Cycles through `items`, one per call. */
function cycle<T>(items: readonly T[]): () => T {
  let next = 0;
  return () => {
    const item = items[next]!;
    next = (next + 1) % items.length;
    return item;
  };
}

interface Registration {
  json: RegistrationResponseJSON;
  challenge: Buffer;
  /** The challenge as clientDataJSON carries it, which SimpleWebAuthn compares with. */
  expectedChallenge: string;
  origin: string;
  rpId: string;
}

async function register(authenticator: SimulatedAuthenticator): Promise<Registration> {
  const challenge = randomBytes(32);
  const json = await authenticator.register({
    rpId: RP_ID,
    origin: ORIGIN,
    challenge,
    user: { id: randomBytes(16), name: 'bench' },
  });
  return { json, challenge, expectedChallenge: challenge.toString('base64url'), origin: ORIGIN, rpId: RP_ID };
}

/** The real Windows Hello registration (ECC credential, RS1-signed certInfo) from SimpleWebAuthn's tests. */
function windowsHelloVector(): Registration {
  const vectors = JSON.parse(readVector('webauthn/simplewebauthn-registrations.json')) as {
    name: string;
    expectedChallenge: string;
    expectedOrigin: string;
    expectedRPID: string;
    response: RegistrationResponseJSON;
  }[];
  const vector = vectors.find((item) => item.name === 'should verify TPM response with ECC public area type')!;
  return {
    json: vector.response,
    challenge: Buffer.from(vector.expectedChallenge, 'base64url'),
    expectedChallenge: vector.expectedChallenge,
    origin: vector.expectedOrigin,
    rpId: vector.expectedRPID,
  };
}

function keywardVerifier(metadata: MetadataIndex, roots: Record<string, TrustAnchor[]>): WebAuthnVerifier {
  const anchors = new Map(Object.entries(roots).map(([fmt, list]) => [fmt, new TrustAnchors(list)]));
  const none = new TrustAnchors([]);
  const context: FormatContext = {
    rootsFor: (fmt) => anchors.get(fmt) ?? none,
    requireCtsProfileMatch: true,
    safetynetMaxAgeMs: 60_000,
    maxChainLength: 6,
  };
  return new WebAuthnVerifier({
    context,
    mode: 'monitor',
    metadata: () => metadata,
    statusPolicy: { refuse: DEFAULT_REFUSED_STATUSES, minCertificationLevel: '' },
  });
}

const keywardRegistration = (verifier: WebAuthnVerifier) => (registration: Registration) =>
  verifier.verifyRegistration(
    parseRegistrationResponse(registration.json),
    {
      challenge: registration.challenge,
      origins: [registration.origin],
      rpId: registration.rpId,
      requireUserVerification: false,
      requireUserPresence: true,
      algorithms: ALGORITHMS,
    },
    Date.now(),
  );

const peerRegistration = (registration: Registration) =>
  verifyRegistrationResponse({
    response: registration.json as never,
    expectedChallenge: registration.expectedChallenge,
    expectedOrigin: registration.origin,
    expectedRPID: registration.rpId,
    requireUserVerification: false,
    supportedAlgorithmIDs: ALGORITHMS,
  });

interface Assertion {
  json: AuthenticationResponseJSON;
  challenge: Buffer;
  expectedChallenge: string;
  /** The COSE_Key bytes stored at registration. */
  publicKey: Uint8Array;
}

/** One ES256 credential per simulated authenticator (format none: no attestation to make), each signing in once. */
async function assertions(count: number): Promise<Assertion[]> {
  const list: Assertion[] = [];
  for (let i = 0; i < count; i++) {
    const authenticator = await SimulatedAuthenticator.create({ format: 'none', algorithm: 'ES256' });
    const registration = await register(authenticator);
    const challenge = randomBytes(32);
    const json = authenticator.authenticate({
      rpId: RP_ID,
      origin: ORIGIN,
      challenge,
      allowCredentials: [registration.json.id],
    });
    list.push({
      json,
      challenge,
      expectedChallenge: challenge.toString('base64url'),
      publicKey: decodeAttestationObject(Buffer.from(registration.json.response.attestationObject, 'base64url'))
        .authData.attested!.publicKeyBytes,
    });
  }
  return list;
}

function assertTrust(result: WebAuthnRegistrationResult, trust: string, what: string): void {
  if (result.trust !== trust) throw new Error(`Keyward: ${what} ended in trust ${result.trust}, expected ${trust}`);
}

async function expectRefused(promise: Promise<unknown>, what: string): Promise<void> {
  try {
    await promise;
  } catch {
    return;
  }
  throw new Error(`${what} was accepted`);
}

const derOf = (anchors: readonly TrustAnchor[]) => anchors.map((anchor) => new Uint8Array(anchor.certificate.der));

/**
 * SimpleWebAuthn downloads the CRLs a chain names on every verification until one download
 * succeeds (then it caches the CRL). This sandbox is offline: each attempt would time a DNS
 * failure. Downloads are refused at once instead, the cheapest a deployment could make them.
 */
function refuseDownloads(): { attempts: () => number; restore: () => void } {
  const original = globalThis.fetch;
  let attempts = 0;
  globalThis.fetch = async () => {
    attempts++;
    throw new TypeError('fetch failed (offline benchmark)');
  };
  return { attempts: () => attempts, restore: () => (globalThis.fetch = original) };
}

/** In-process verifications: Keyward and SimpleWebAuthn on the same inputs. */
async function inProcess(lines: string[]): Promise<{ registration: number; assertion: number }> {
  const downloads = refuseDownloads();
  try {
    return await compare(lines, downloads.attempts);
  } finally {
    downloads.restore();
  }
}

async function compare(lines: string[], downloads: () => number): Promise<{ registration: number; assertion: number }> {
  const simulator = webauthnSimulatorAnchors();
  const packedStatement = JSON.parse(readAsset('simulator/webauthn-metadata/packed.json'));
  const microsoftTpmRoot = TrustAnchors.fromPem(
    readVector('webauthn/roots/microsoft-tpm-root-ca-2014.pem'),
    'Microsoft TPM Root Certificate Authority 2014',
  );

  // Metadata on both sides: the packed model's statement. SimpleWebAuthn is permissive, so that
  // authenticators without a statement (the TPMs here) fall back to its configured format roots,
  // as Keyward's monitor mode does.
  const index = MetadataIndex.from([], [entryFromStatement(packedStatement, 'packed.json')]);
  await MetadataService.initialize({ mdsServers: [], statements: [packedStatement], verificationMode: 'permissive' });
  SettingsService.setRootCertificates({ identifier: 'packed', certificates: [] });
  const peerTpmRoots = (roots: readonly TrustAnchor[]) =>
    SettingsService.setRootCertificates({ identifier: 'tpm', certificates: derOf(roots) });

  log(`preparing ${PACKED_REGISTRATIONS} packed registrations (one authenticator and leaf each)…`);
  const packed: Registration[] = [];
  for (let i = 0; i < PACKED_REGISTRATIONS; i++)
    packed.push(await register(await SimulatedAuthenticator.create({ format: 'packed', algorithm: 'ES256' })));
  log(`preparing ${TPM_DEVICES * TPM_REGISTRATIONS_EACH} tpm registrations (${TPM_DEVICES} simulated TPMs)…`);
  const tpm: Registration[] = [];
  for (let i = 0; i < TPM_DEVICES; i++) {
    const device = await SimulatedAuthenticator.create({ format: 'tpm', algorithm: 'ES256' });
    for (let j = 0; j < TPM_REGISTRATIONS_EACH; j++) tpm.push(await register(device));
  }
  const windowsHello = windowsHelloVector();
  log(`preparing ES256 assertions of ${COLD_CREDENTIALS} credentials…`);
  const cold = await assertions(COLD_CREDENTIALS);
  const warm = cold.slice(0, WARM_CREDENTIALS);

  const packedVerifier = keywardVerifier(index, {});
  const simulatorTpmVerifier = keywardVerifier(index, { tpm: simulator.tpm });
  const microsoftTpmVerifier = keywardVerifier(index, { tpm: microsoftTpmRoot });
  const keyward = {
    packed: keywardRegistration(packedVerifier),
    tpm: keywardRegistration(simulatorTpmVerifier),
    windowsHello: keywardRegistration(microsoftTpmVerifier),
    assertion: (assertion: Assertion) =>
      verifyAssertion(
        parseAssertionResponse(assertion.json),
        { challenge: assertion.challenge, origins: [ORIGIN], rpId: RP_ID, requireUserVerification: false },
        { publicKey: assertion.publicKey, counter: 0 },
      ),
  };
  const peer = {
    registration: peerRegistration,
    assertion: (assertion: Assertion) =>
      verifyAuthenticationResponse({
        response: assertion.json as never,
        expectedChallenge: assertion.expectedChallenge,
        expectedOrigin: ORIGIN,
        expectedRPID: RP_ID,
        credential: { id: assertion.json.id, publicKey: assertion.publicKey as never, counter: 0 },
        requireUserVerification: false,
      }),
  };

  // Both sides must accept every input (and each must look the packed authenticator up) before anything is timed.
  for (const registration of packed) {
    const result = await keyward.packed(registration);
    assertTrust(result, 'metadata', 'a packed registration');
    if (!result.metadata.found) throw new Error('Keyward: packed metadata not found');
    if (!(await peer.registration(registration)).verified)
      throw new Error('SimpleWebAuthn refused a packed registration');
  }
  if (!(await MetadataService.getStatement(aaguidOf(packed[0]!))))
    throw new Error('SimpleWebAuthn has no statement for the packed model');
  // Both check the chain against the statement's roots: a packed authenticator of another root is
  // refused by SimpleWebAuthn, and by Keyward in enforced mode (monitor records trust none).
  const stranger = await register(await SimulatedAuthenticator.create({ format: 'packed', roots: 'generated' }));
  assertTrust(await keyward.packed(stranger), 'none', 'a packed chain to an unknown root');
  const enforced = new WebAuthnVerifier({ ...packedVerifier.options, mode: 'enforced' });
  await expectRefused(
    enforced.verifyRegistration(parseRegistrationResponse(stranger.json), expectationsOf(stranger), Date.now()),
    'Keyward (enforced): a packed chain to an unknown root',
  );
  await expectRefused(peer.registration(stranger), 'SimpleWebAuthn: a packed chain to an unknown root');

  peerTpmRoots(simulator.tpm);
  for (const registration of tpm) {
    assertTrust(await keyward.tpm(registration), 'root', 'a simulated tpm registration');
    if (!(await peer.registration(registration)).verified) throw new Error('SimpleWebAuthn refused a tpm registration');
  }
  peerTpmRoots(microsoftTpmRoot);
  assertTrust(await keyward.windowsHello(windowsHello), 'root', 'the Windows Hello vector');
  if (!(await peer.registration(windowsHello)).verified)
    throw new Error('SimpleWebAuthn refused the Windows Hello vector');
  for (const assertion of cold) {
    if (keyward.assertion(assertion).counterRegressed) throw new Error('Keyward: counter regressed');
    if (!(await peer.assertion(assertion)).verified) throw new Error('SimpleWebAuthn refused an assertion');
  }

  const next = {
    packed: cycle(packed),
    tpm: cycle(tpm),
    cold: cycle(cold),
    warm: cycle(warm),
  };
  const warmUp = SECONDS / 4;
  await measure(warmUp, () => keyward.packed(next.packed()));
  await measure(warmUp, () => peer.registration(next.packed()));

  const attempted = downloads();
  const figures = await rounds({
    keywardPacked: () => measure(SECONDS, () => keyward.packed(next.packed())),
    peerPacked: () => measure(SECONDS, () => peer.registration(next.packed())),
    keywardTpm: () => measure(SECONDS, () => keyward.tpm(next.tpm())),
    peerTpm: () => {
      peerTpmRoots(simulator.tpm);
      return measure(SECONDS, () => peer.registration(next.tpm()));
    },
    keywardWindowsHello: () => measure(SECONDS, () => keyward.windowsHello(windowsHello)),
    peerWindowsHello: () => {
      peerTpmRoots(microsoftTpmRoot);
      return measure(SECONDS, () => peer.registration(windowsHello));
    },
    keywardAssertion: () => measure(SECONDS, () => keyward.assertion(next.cold())),
    peerAssertion: () => measure(SECONDS, () => peer.assertion(next.cold())),
    keywardAssertionWarm: () => measure(SECONDS, () => keyward.assertion(next.warm())),
    p256: () => measure(SECONDS / 2, p256Verify),
  });

  const report = (name: string, what: string, mine: Rate[], theirs: Rate[]) => {
    const rate = median(mine.map((figure) => figure.rate));
    const ratio = medianRatio(
      mine.map((figure) => figure.rate),
      theirs.map((figure) => figure.rate),
    );
    const cpuRatio = medianRatio(
      theirs.map((figure) => figure.cpu),
      mine.map((figure) => figure.cpu),
    );
    log(
      `${what}: Keyward ${rate.toFixed(0)}/s (${micros(median(mine.map((figure) => figure.cpu)))} CPU each), SimpleWebAuthn ${median(theirs.map((figure) => figure.rate)).toFixed(0)}/s (${micros(median(theirs.map((figure) => figure.cpu)))} CPU each); ratio ${ratio.toFixed(2)} by rate, ${cpuRatio.toFixed(2)} by CPU`,
    );
    lines.push(benchLine(name, rate, 'verifications/s', { vs: 'simplewebauthn', ratio }));
    return rate;
  };
  log(`medians of ${ROUNDS} rounds of ${SECONDS} s, each verification awaited before the next`);
  log(
    `SimpleWebAuthn tried ${attempted} CRL downloads while the inputs were checked, ${downloads() - attempted} while timed (each refused at once: the sandbox is offline)`,
  );
  const p256 = median(figures.p256.map((figure) => figure.rate));
  const fraction = (mine: Rate[], verifies: number) =>
    `${(
      100 *
        medianRatio(
          mine.map((figure) => figure.rate * verifies),
          figures.p256.map((figure) => figure.rate),
        )
    ).toFixed(0)}%`;
  log(
    `node:crypto P-256 verify: ${p256.toFixed(0)}/s. A packed registration needs two (the leaf's certificate signature, the attestation signature; the CA above it is verified once per process): Keyward runs at ${fraction(figures.keywardPacked, 2)} of that bound; an assertion needs one: ${fraction(figures.keywardAssertion, 1)} with a key import each, ${fraction(figures.keywardAssertionWarm, 1)} with the key cached`,
  );
  const registrationRate = report(
    'webauthn_registration_packed',
    `packed full attestation + metadata (${packed.length} distinct leaves)`,
    figures.keywardPacked,
    figures.peerPacked,
  );
  report(
    'webauthn_registration_tpm',
    `tpm, simulated (${TPM_DEVICES} AIKs, ${tpm.length} registrations)`,
    figures.keywardTpm,
    figures.peerTpm,
  );
  report(
    'webauthn_registration_tpm_windows_hello',
    'tpm, the real Windows Hello vector (one input, repeated)',
    figures.keywardWindowsHello,
    figures.peerWindowsHello,
  );
  const assertionRate = report(
    'webauthn_assertion',
    `ES256 assertion, ${COLD_CREDENTIALS} credentials (Keyward's key cache missing)`,
    figures.keywardAssertion,
    figures.peerAssertion,
  );
  report(
    'webauthn_assertion_cached_key',
    `ES256 assertion, ${WARM_CREDENTIALS} credentials (Keyward's key cache hit)`,
    figures.keywardAssertionWarm,
    figures.peerAssertion,
  );
  return { registration: registrationRate, assertion: assertionRate };
}

function expectationsOf(registration: Registration) {
  return {
    challenge: registration.challenge,
    origins: [registration.origin],
    rpId: registration.rpId,
    requireUserVerification: false,
    requireUserPresence: true,
    algorithms: ALGORITHMS,
  };
}

/** The AAGUID of a simulated registration, from the authenticator data the response carries. */
function aaguidOf(registration: Registration): string {
  const authData = Buffer.from(registration.json.response.authenticatorData, 'base64url');
  const hex = authData.subarray(37, 53).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** Verifying the real MDS3 BLOB no 9 (at 2021-11-15, CRLs off) and indexing its entries. */
async function blob(lines: string[]): Promise<void> {
  const jwt = readVector('mds/mds3-blob-2021-no9.jwt');
  const anchors = new TrustAnchors(
    TrustAnchors.fromPem(readAsset('roots/globalsign-root-r3.pem'), 'GlobalSign Root CA - R3'),
  );
  const options = {
    anchors,
    at: Date.UTC(2021, 10, 15),
    crls: async () => undefined,
    crlCheck: 'off' as const,
    graceDays: 7,
  };
  const once = async () => {
    const started = performance.now();
    const verified = await verifyMetadataBlob(jwt, options);
    const middle = performance.now();
    const index = MetadataIndex.from(verified.entries, []);
    return { verify: middle - started, index: performance.now() - middle, entries: index.size };
  };
  for (let i = 0; i < 3; i++) await once();
  const runs: Awaited<ReturnType<typeof once>>[] = [];
  for (let i = 0; i < 15; i++) runs.push(await once());
  const total = median(runs.map((run) => run.verify + run.index));
  log(
    `MDS3 BLOB no 9 (${(jwt.length / 1e6).toFixed(1)} MB, ${runs[0]!.entries} FIDO2/U2F entries indexed): verify ${median(runs.map((run) => run.verify)).toFixed(1)} ms + index ${median(runs.map((run) => run.index)).toFixed(2)} ms (medians of ${runs.length})`,
  );
  lines.push(benchLine('webauthn_mds_blob_verify_and_index', total, 'ms'));
}

interface FlowFigures {
  rate: number;
  serverCpuPerFlow: number;
  clientCpuPerFlow: number;
}

/**
 * Complete flows (attestation options → register → result → assertion options → sign in →
 * result) over HTTP against `keyward serve` in its own process. The server trusts the simulated
 * security keys the way an operator trusts a vendor's: through their metadata statements in the
 * local metadata folder (fido2.mds.folder), not with --trust-simulator-roots.
 */
async function flows(serveArgs: string[], env: Record<string, string> = {}): Promise<FlowFigures> {
  const server = await startServerProcess(serveArgs, {
    env: {
      KEYWARD_FIDO2_MDS_ENABLED: 'false',
      KEYWARD_FIDO2_MDS_FOLDER: assetPath('simulator/webauthn-metadata'),
      ...env,
    },
    logLevel: 'error',
  });
  const transport = keepAliveTransport(CONCURRENCY);
  // One simulated security key per concurrent user, reused for every flow of that loop (a key makes many credentials).
  const free = await Promise.all(
    Array.from({ length: CONCURRENCY }, () => SimulatedAuthenticator.create({ format: 'packed', algorithm: 'ES256' })),
  );
  let users = 0;
  let failure: string | undefined;
  const flow = async () => {
    const authenticator = free.pop()!;
    try {
      const result = await simulateWebAuthn({
        url: server.url,
        username: `bench-${process.pid}-${++users}`,
        format: 'packed',
        authenticator,
        transport,
      });
      if (!result.ok) failure ??= JSON.stringify(result.steps.at(-1));
      const registered = result.steps.find((step) => step.step === 'attestation/result')?.body as
        | { trust?: string; metadata?: { found?: boolean } }
        | undefined;
      if (registered?.trust !== 'metadata' || registered.metadata?.found !== true)
        failure ??= `registration not trusted through metadata: ${JSON.stringify(registered)}`;
    } finally {
      free.push(authenticator);
    }
  };
  try {
    await throughput(2, CONCURRENCY, flow);
    if (failure) throw new Error(`a warm-up flow failed: ${failure}`);
    const serverCpu = processCpuSeconds(server.child.pid!);
    const clientCpu = process.cpuUsage();
    const started = performance.now();
    const rate = await throughput(FLOW_SECONDS, CONCURRENCY, flow);
    const count = (rate * (performance.now() - started)) / 1000;
    const client = process.cpuUsage(clientCpu);
    if (failure) throw new Error(`a flow failed: ${failure}`);
    return {
      rate,
      serverCpuPerFlow: (processCpuSeconds(server.child.pid!) - serverCpu) / count,
      clientCpuPerFlow: (client.user + client.system) / 1e6 / count,
    };
  } finally {
    await server.stop();
  }
}

async function postgresReachable(url: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
    await client.query('select 1');
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

async function overHttp(lines: string[], inProcessRates: { registration: number; assertion: number }): Promise<void> {
  // What one flow's two verifications cost in process (packed + metadata, then an assertion): the bound of a flow.
  const bound = 1 / (1 / inProcessRates.registration + 1 / inProcessRates.assertion);
  const work = mkdtempSync(join(tmpdir(), 'keyward-bench-webauthn-'));
  const schema = `kw_bench_${randomBytes(4).toString('hex')}`;
  // SQLite with its default synchronous=FULL, and with NORMAL for what that durability costs.
  const backends: { name: string; args: string[]; env?: Record<string, string> }[] = [
    { name: 'sqlite', args: ['--data-dir', join(work, 'sqlite')] },
    {
      name: 'sqlite_normal',
      args: ['--data-dir', join(work, 'sqlite-normal')],
      env: { KEYWARD_SQLITE_SYNCHRONOUS: 'NORMAL' },
    },
  ];
  if (await postgresReachable(benchDatabaseUrl))
    backends.push({
      name: 'postgres',
      args: ['--data-dir', join(work, 'pg'), '--database-url', benchDatabaseUrl, '--database-schema', schema],
    });
  else log(`PostgreSQL at ${benchDatabaseUrl.replace(/\/\/[^@]*@/, '//…@')} is not reachable: its flows are skipped`);
  try {
    for (const backend of backends) {
      const figures = await flows(backend.args, backend.env);
      log(
        `webauthn ${backend.name}: ${figures.rate.toFixed(0)} register + sign-in flows/s over HTTP (${CONCURRENCY} concurrent, packed + metadata, ES256), ${((100 * figures.rate) / bound).toFixed(0)}% of the in-process rate of the two verifications (${bound.toFixed(0)}/s); CPU per flow: server ${micros(figures.serverCpuPerFlow)}, simulated browsers and keys ${micros(figures.clientCpuPerFlow)}`,
      );
      lines.push(
        benchLine(`webauthn_flows_${backend.name}`, figures.rate, 'flows/s', {
          bound,
          fraction: figures.rate / bound,
        }),
      );
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
    await dropSchema(benchDatabaseUrl, schema);
  }
}

export async function run(): Promise<void> {
  const lines: string[] = [];
  const restoreExport = avoidJwkExportDeadlock();
  try {
    const rates = await inProcess(lines);
    await blob(lines);
    await overHttp(lines, rates);
  } finally {
    restoreExport();
  }
  for (const line of lines) log(line);
}
