import { spawnSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as der from '../../src/crypto/asn1/der-writer.js';
import { spkiOf } from '../../src/crypto/keys.js';
import type { WardenChallenge } from '../../src/features/warden/schemas.js';
import type { AndroidDeviceSimulator } from '../../src/simulator/android/device.js';
import { SimulatedAppleDevice } from '../../src/simulator/apple/device.js';
import { certificationRequestInfo, signedCsr, type CsrAttributeSpec } from '../../src/simulator/csr-builder.js';
import type { SimulatedDevice } from '../../src/simulator/warden-client.js';
import { SIMULATOR_APP_ID, startSimulatorServer } from '../helpers/server.js';
import { sharedAndroidDevice, sharedAppleAuthority } from '../helpers/simulators.js';

export const startWardenServer = startSimulatorServer;

export interface Devices {
  android: SimulatedDevice;
  ios: SimulatedDevice;
}

let devices: Promise<Devices> | undefined;

/**
 * One simulated device per platform under the shipped roots, built once and shared: every Warden
 * flow attests a fresh key with a fresh nonce, and Warden keeps no per-device state (no counters).
 */
export function simulatedDevices(): Promise<Devices> {
  devices ??= (async () => ({
    android: { platform: 'android', device: await sharedAndroidDevice() },
    ios: {
      platform: 'ios',
      device: await SimulatedAppleDevice.create(await sharedAppleAuthority(), {
        appId: SIMULATOR_APP_ID,
        environment: 'production',
      }),
    },
  }))();
  return devices;
}

/** The challenge's nonce as a request carries it in its subject's serialNumber. */
export const nonceHex = (challenge: WardenChallenge): string =>
  Buffer.from(challenge.nonce, 'base64url').toString('hex').toUpperCase();

/**
 * A valid signed Android proof (SIGNATURE mode) whose subject the caller writes: what a client
 * that wants to choose its certificate's subject sends. `subject` lists [OID, value] pairs.
 */
export async function androidProofWithSubject(
  challenge: WardenChallenge,
  device: AndroidDeviceSimulator,
  subject: [string, string][],
  deviceName?: string,
): Promise<Buffer> {
  const attestation = await device.attest({ challenge: Buffer.from(challenge.nonce, 'base64url') });
  const statement = {
    typ: 'android-key',
    x5c: attestation.chain.map((certificate) => certificate.toString('base64url')),
  };
  const attributes: CsrAttributeSpec[] = [
    { oid: challenge.proofOID, values: [der.utf8String(JSON.stringify(statement))] },
  ];
  if (deviceName !== undefined)
    attributes.push({ oid: challenge.genericDeviceNameOID!, values: [der.utf8String(deviceName)] });
  return signedCsr(
    certificationRequestInfo(subject, spkiOf(attestation.publicKey), attributes),
    attestation.privateKey,
  );
}

export interface OpensslResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs the openssl command with `files` written to a temporary directory (removed afterwards);
 * an argument `@name` stands for the path of file `name`. Does not throw on a non-zero exit.
 */
export function opensslResult(args: string[], files: Record<string, string | Buffer>): OpensslResult {
  const directory = mkdtempSync(join(tmpdir(), 'keyward-openssl-'));
  try {
    for (const [name, content] of Object.entries(files)) writeFileSync(join(directory, name), content);
    const result = spawnSync(
      'openssl',
      args.map((arg) => arg.replace(/^@/, `${directory}/`)),
      { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] },
    );
    if (result.error) throw result.error;
    return { status: result.status, stdout: result.stdout, stderr: result.stderr };
  } finally {
    rmSync(directory, { recursive: true, force: true });
  }
}

/** The same, returning stdout and failing on a non-zero exit. */
export function openssl(args: string[], files: Record<string, string | Buffer>): string {
  const result = opensslResult(args, files);
  if (result.status !== 0) throw new Error(`openssl ${args.join(' ')} exited with ${result.status}: ${result.stderr}`);
  return result.stdout;
}

/** Checks a returned chain (base64url DER, leaf first) with node:crypto and with the openssl command. */
export function assertChainVerifies(chain: string[]): X509Certificate[] {
  const certificates = chain.map((der) => new X509Certificate(Buffer.from(der, 'base64url')));
  for (let i = 0; i < certificates.length - 1; i++) {
    if (
      !certificates[i]!.checkIssued(certificates[i + 1]!) ||
      !certificates[i]!.verify(certificates[i + 1]!.publicKey)
    ) {
      throw new Error(`certificate ${i} is not issued by certificate ${i + 1}`);
    }
  }
  const root = certificates.at(-1)!;
  if (!root.verify(root.publicKey)) throw new Error('the root is not self-signed');
  const output = openssl(
    ['verify', '-CAfile', '@root.pem', '-untrusted', '@untrusted.pem', '-purpose', 'sslclient', '@leaf.pem'],
    {
      'root.pem': root.toString(),
      'untrusted.pem': certificates
        .slice(1, -1)
        .map((c) => c.toString())
        .join(''),
      'leaf.pem': certificates[0]!.toString(),
    },
  );
  if (!output.includes(': OK')) throw new Error(`openssl verify: ${output}`);
  return certificates;
}
