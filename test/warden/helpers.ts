import { execFileSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AndroidDeviceSimulator } from '../../src/simulator/android/device.js';
import { SimulatedAppleDevice } from '../../src/simulator/apple/device.js';
import { AppleTestAuthority } from '../../src/simulator/apple/test-authority.js';
import type { SimulatedDevice } from '../../src/simulator/warden-client.js';
import { SIMULATOR_APP_ID, startSimulatorServer } from '../helpers/server.js';

export const APP_ID = SIMULATOR_APP_ID;
export const startWardenServer = startSimulatorServer;

export interface Devices {
  android: SimulatedDevice;
  ios: SimulatedDevice;
}

export async function simulatedDevices(): Promise<Devices> {
  const authority = await AppleTestAuthority.create({ roots: 'shipped' });
  return {
    android: { platform: 'android', device: await AndroidDeviceSimulator.create({ root: 'shipped' }) },
    ios: { platform: 'ios', device: await SimulatedAppleDevice.create(authority, { appId: APP_ID, environment: 'production' }) },
  };
}

/** Checks a returned chain (base64url DER, leaf first) with node:crypto and with the openssl command. */
export function assertChainVerifies(chain: string[]): X509Certificate[] {
  const certificates = chain.map((der) => new X509Certificate(Buffer.from(der, 'base64url')));
  for (let i = 0; i < certificates.length - 1; i++) {
    if (!certificates[i]!.checkIssued(certificates[i + 1]!) || !certificates[i]!.verify(certificates[i + 1]!.publicKey)) {
      throw new Error(`certificate ${i} is not issued by certificate ${i + 1}`);
    }
  }
  const root = certificates.at(-1)!;
  if (!root.verify(root.publicKey)) throw new Error('the root is not self-signed');
  const directory = mkdtempSync(join(tmpdir(), 'keyward-chain-'));
  try {
    writeFileSync(join(directory, 'root.pem'), root.toString());
    writeFileSync(join(directory, 'untrusted.pem'), certificates.slice(1, -1).map((c) => c.toString()).join(''));
    writeFileSync(join(directory, 'leaf.pem'), certificates[0]!.toString());
    const output = execFileSync('openssl', ['verify', '-CAfile', join(directory, 'root.pem'), '-untrusted', join(directory, 'untrusted.pem'), '-purpose', 'sslclient', join(directory, 'leaf.pem')], {
      encoding: 'utf8',
    });
    if (!output.includes(': OK')) throw new Error(`openssl verify: ${output}`);
  } finally {
    rmSync(directory, { recursive: true, force: true });
  }
  return certificates;
}
