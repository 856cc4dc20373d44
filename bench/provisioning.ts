import { generateKeyPairSync, randomBytes, randomUUID, sign, verify, type KeyObject } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { Agent, request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeDocumentData } from '../src/features/provisioning/document-data.js';
import { fullDate } from '../src/features/provisioning/issuer/element-value.js';
import type { DocumentData, NamespaceEntry } from '../src/features/provisioning/protocol/data.js';
import { SimulatedIdentityCredentialHolder } from '../src/simulator/provisioning/holder.js';
import { openStore } from '../src/store/store.js';
import { benchLine, log, processCpuSeconds, startServerProcess, syncThroughput } from './lib.js';

/**
 * mdoc provisioning (issue 12 §10), over HTTP against a `keyward serve` child process on SQLite
 * (`--trust-simulator-roots`, offline), its system of record seeded beforehand through the store
 * on the same SQLite file (one person, one mDL, one provisioning code per flow):
 *
 * 1. Complete provisioning flows per second: StartProvisioning with a fresh code →
 *    StartProvisioning (prefixed) → SetCertificateChain (a freshly attested CredentialKey of a
 *    simulated device, tag 721) → SetProofOfProvisioning, each ending in Success.
 * 2. CertifyAuthKeys calls per second with 10 auth keys each, by provisioned holders:
 *    CertifyAuthKeys → ProveOwnershipResponse → SendCerts (10 certificates) → RequestEndSession.
 *
 * Next to each rate: the server's CPU per flow (from /proc) and the cost of the signature
 * operations the server cannot skip, measured with node:crypto in this process in the same run:
 *
 *   provisioning flow  CredentialKey chain: the leaf's ES256 signature (the chain's intermediates
 *                      are verified once per process and cached, so a known device costs one
 *                      verification; a device never seen costs chain length − 1) + the
 *                      ProofOfProvisioning's ES256 verification;
 *   certify (10 keys)  ProofOfOwnership verification + 10 auth-key certificate verifications
 *                      + 10 MSO signatures (ES256, the document signer).
 *
 * bound = 1 / (that signature time) on one core: the flows per second the server would reach
 * if it did nothing but its mandatory signatures; fraction = measured rate / bound.
 */
const SECONDS = Number(process.env.BENCH_PROVISIONING_SECONDS ?? 3);
const CONCURRENCY = Number(process.env.BENCH_PROVISIONING_CONCURRENCY ?? 4);
/** Provisioning codes seeded: the flows stop early (and say so) if they run out. */
const CODES = Number(process.env.BENCH_PROVISIONING_CODES ?? 3000);
const AUTH_KEYS = 10;
/** The server's environment: the sandbox is offline (no Android revocation list), any free TLS port. */
const SERVER_ENV = { KEYWARD_ANDROID_REVOCATION_ENABLED: 'false', KEYWARD_TLS_PORT: '0' };
const MDL = 'org.iso.18013.5.1.mDL';
const DAY = 86_400_000;

/** An mDL like the reference test data's (Erika Mustermann), with a small portrait. */
function mdl(): DocumentData {
  const entry = (name: string, value: unknown): NamespaceEntry => ({ name, value, accessControlProfiles: [0] });
  return {
    docType: MDL,
    accessControlProfiles: [{ id: 0 }],
    nameSpaces: new Map([
      [
        'org.iso.18013.5.1',
        [
          entry('family_name', 'Mustermann'),
          entry('given_name', 'Erika'),
          entry('birth_date', fullDate('1971-09-01')),
          entry('issuing_country', 'DE'),
          entry('portrait', new Uint8Array(Buffer.concat([Buffer.from('ffd8ffe0', 'hex'), randomBytes(2000)]))),
          entry('driving_privileges', [
            new Map<string, unknown>([
              ['vehicle_category_code', 'B'],
              ['issue_date', fullDate('2020-03-01')],
              ['expiry_date', fullDate('2035-02-28')],
            ]),
          ]),
        ],
      ],
      ['org.aamva.18013.5.1', [entry('real_id', true)]],
    ]),
  };
}

/** Seeds one person, one mDL and `count` codes ("b0000001"…) in the SQLite database the server will open. */
async function seed(dataDir: string, count: number): Promise<string[]> {
  mkdirSync(dataDir, { recursive: true });
  // NORMAL only for seeding speed; the server opens the file with its own setting.
  const store = await openStore({ url: `sqlite:${join(dataDir, 'keyward.db')}`, sqliteSynchronous: 'NORMAL' });
  const now = Date.now();
  const codes: string[] = [];
  try {
    const personId = randomUUID();
    const documentId = randomUUID();
    await store.mdocRecords.addPerson({ id: personId, name: 'Erika Mustermann', createdAt: now });
    await store.mdocRecords.addDocument({
      id: documentId,
      personId,
      docType: MDL,
      data: encodeDocumentData(mdl()),
      dataTimestamp: now - DAY,
      status: 'active',
      createdAt: now - DAY,
      updatedAt: now - DAY,
    });
    for (let index = 1; index <= count; index++) {
      const code = `b${String(index).padStart(7, '0')}`;
      await store.mdocRecords.addCode({ code, documentId, createdAt: now, expiresAt: now + DAY });
      codes.push(code);
    }
  } finally {
    await store.close();
  }
  return codes;
}

/** POST /mdlServer over keep-alive sockets, as the app does (form-urlencoded content type, CBOR body). */
function mdlServer(url: string, maxSockets: number): (body: Uint8Array) => Promise<Uint8Array> {
  const agent = new Agent({ keepAlive: true, maxSockets });
  const target = `${url}/mdlServer`;
  return (body) =>
    new Promise((resolve, reject) => {
      const outgoing = httpRequest(
        target,
        {
          method: 'POST',
          agent,
          headers: { 'content-type': 'application/x-www-form-urlencoded', 'content-length': String(body.length) },
        },
        (response) => {
          const chunks: Buffer[] = [];
          response.on('data', (chunk: Buffer) => chunks.push(chunk));
          response.on('end', () => {
            const bytes = new Uint8Array(Buffer.concat(chunks));
            if (response.statusCode !== 200) reject(new Error(`/mdlServer answered ${response.statusCode}`));
            else resolve(bytes);
          });
          response.on('error', reject);
        },
      );
      outgoing.on('error', reject);
      outgoing.end(body);
    });
}

/** Runs each loop until `seconds` pass or it returns false; completed operations per second. */
async function timed(seconds: number, loops: (() => Promise<boolean>)[]): Promise<{ rate: number; done: number }> {
  const started = performance.now();
  const deadline = started + seconds * 1000;
  let done = 0;
  await Promise.all(
    loops.map(async (task) => {
      while (performance.now() < deadline) {
        if (!(await task())) return;
        done += 1;
      }
    }),
  );
  return { rate: done / ((performance.now() - started) / 1000), done };
}

/** ES256 sign and verify rates of node:crypto on this machine, over `bytes` of data (median of 3 rounds). */
function es256Rates(bytes: number): { sign: number; verify: number } {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const data = randomBytes(bytes);
  const signer = (key: KeyObject) => sign('sha256', data, { key, dsaEncoding: 'ieee-p1363' });
  const signature = signer(privateKey);
  const check = () => {
    if (!verify('sha256', data, { key: publicKey, dsaEncoding: 'ieee-p1363' }, signature)) throw new Error('verify');
  };
  for (let warm = 0; warm < 200; warm++) {
    signer(privateKey);
    check();
  }
  const median = (values: number[]) => [...values].sort((a, b) => a - b)[1]!;
  const signs: number[] = [];
  const verifies: number[] = [];
  for (let round = 0; round < 3; round++) {
    signs.push(syncThroughput(0.3, () => signer(privateKey)));
    verifies.push(syncThroughput(0.3, check));
  }
  return { sign: median(signs), verify: median(verifies) };
}

export async function run(): Promise<void> {
  const work = mkdtempSync(join(tmpdir(), 'keyward-bench-provisioning-'));
  const dataDir = join(work, 'data');
  const lines: string[] = [];
  try {
    const codes = await seed(dataDir, CODES + CONCURRENCY * 2);
    const server = await startServerProcess(['--trust-simulator-roots', '--data-dir', dataDir], {
      env: SERVER_ENV,
      logLevel: 'error',
    });
    try {
      const exchange = mdlServer(server.url, CONCURRENCY * 2);
      const holders = await Promise.all(
        Array.from({ length: CONCURRENCY }, () => SimulatedIdentityCredentialHolder.create()),
      );
      let chainLength = 0;
      let failures = 0;
      let firstFailure = '';
      let next = 0;
      const provision = async (holder: SimulatedIdentityCredentialHolder): Promise<boolean> => {
        const code = codes[next++];
        if (code === undefined) return false;
        const end = await holder.converse(holder.startProvisioning(code), exchange);
        if (end.reason !== 'Success') {
          failures += 1;
          firstFailure ||= `provisioning with code ${code} ended ${end.reason}`;
        }
        chainLength ||= holder.credential(MDL).credentialKey.chain.length;
        return true;
      };
      // Warm-up (also gives every holder a credential for the certify runs).
      for (const holder of holders) await provision(holder);
      if (failures > 0) throw new Error(`${failures} warm-up flows failed: ${firstFailure} (see the server log)`);

      // 1. Provisioning flows.
      let serverCpu = processCpuSeconds(server.child.pid!);
      let clientCpu = process.cpuUsage();
      const flows = await timed(
        SECONDS,
        holders.map((holder) => () => provision(holder)),
      );
      const flowServerCpu = (processCpuSeconds(server.child.pid!) - serverCpu) / flows.done;
      let clientUsed = process.cpuUsage(clientCpu);
      const flowClientCpu = (clientUsed.user + clientUsed.system) / 1e6 / flows.done;
      if (failures > 0) throw new Error(`${failures} provisioning flows failed: ${firstFailure}`);
      const ranOut = next >= codes.length;

      // The holders' current credentials (from their last flow) are certified from here on.
      for (const holder of holders) {
        if (!holder.credentials.has(MDL)) throw new Error('a holder has no credential to certify');
      }

      // 2. CertifyAuthKeys with 10 auth keys each.
      const certify = async (holder: SimulatedIdentityCredentialHolder): Promise<boolean> => {
        const end = await holder.converse(holder.certifyAuthKeys(MDL, AUTH_KEYS), exchange);
        if (end.reason !== 'Success') {
          failures += 1;
          firstFailure ||= `certify ended ${end.reason}`;
        }
        // Keep the holder's memory flat: the certified keys are not used here.
        holder.credential(MDL).authKeys.length = 0;
        return true;
      };
      for (const holder of holders) await certify(holder);
      if (failures > 0) throw new Error(`${failures} warm-up certify calls failed: ${firstFailure}`);
      serverCpu = processCpuSeconds(server.child.pid!);
      clientCpu = process.cpuUsage();
      const calls = await timed(
        SECONDS,
        holders.map((holder) => () => certify(holder)),
      );
      const certifyServerCpu = (processCpuSeconds(server.child.pid!) - serverCpu) / calls.done;
      clientUsed = process.cpuUsage(clientCpu);
      const certifyClientCpu = (clientUsed.user + clientUsed.system) / 1e6 / calls.done;
      if (failures > 0) throw new Error(`${failures} certify calls failed: ${firstFailure}`);

      // The mandatory signature operations, measured here in the same run (the server is stopped
      // only afterwards, but idle meanwhile).
      const es256 = es256Rates(2048);
      const verifySeconds = 1 / es256.verify;
      const signSeconds = 1 / es256.sign;
      const chainVerifies = 1; // the leaf; intermediates are cached per process (chain.ts)
      const flowSignatureSeconds = (chainVerifies + 1) * verifySeconds;
      const certifySignatureSeconds = (1 + AUTH_KEYS) * verifySeconds + AUTH_KEYS * signSeconds;
      const flowBound = 1 / flowSignatureSeconds;
      const certifyBound = 1 / certifySignatureSeconds;
      const micro = (seconds: number) => `${(seconds * 1e6).toFixed(0)} µs`;
      log(
        `node:crypto ES256 in process: ${es256.sign.toFixed(0)} signs/s (${micro(signSeconds)}), ${es256.verify.toFixed(0)} verifies/s (${micro(verifySeconds)})`,
      );
      log(
        `provisioning flows SQLite: ${flows.rate.toFixed(1)} flows/s (${CONCURRENCY} holders in flight, 4 messages each${ranOut ? `; STOPPED EARLY: the ${codes.length} seeded codes ran out, raise BENCH_PROVISIONING_CODES` : ''}); CPU per flow: server ${micro(flowServerCpu)}, simulated holders ${micro(flowClientCpu)}; mandatory signatures ${micro(flowSignatureSeconds)} (CredentialKey leaf + ProofOfProvisioning: 2 ES256 verifies; a device never seen adds ${Math.max(chainLength - 2, 0)} chain verifications of its ${chainLength} certificates) = ${((100 * flowSignatureSeconds) / flowServerCpu).toFixed(0)}% of the server CPU`,
      );
      log(
        `provisioning certify SQLite: ${calls.rate.toFixed(1)} CertifyAuthKeys calls/s with ${AUTH_KEYS} keys each (4 messages each); CPU per call: server ${micro(certifyServerCpu)}, simulated holders ${micro(certifyClientCpu)}; mandatory signatures ${micro(certifySignatureSeconds)} (ProofOfOwnership + ${AUTH_KEYS} auth-key certificates: ${AUTH_KEYS + 1} ES256 verifies; ${AUTH_KEYS} MSO ES256 signs) = ${((100 * certifySignatureSeconds) / certifyServerCpu).toFixed(0)}% of the server CPU`,
      );
      lines.push(
        benchLine('provisioning_flows_sqlite', flows.rate, 'flows/s', {
          bound: flowBound,
          fraction: flows.rate / flowBound,
        }),
        benchLine('provisioning_certify10_sqlite', calls.rate, 'calls/s', {
          bound: certifyBound,
          fraction: calls.rate / certifyBound,
        }),
      );
    } finally {
      await server.stop();
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  for (const line of lines) log(line);
}
