import { generateKeyPairSync } from 'node:crypto';
import {
  buildCertificate,
  encodeName,
  type Extension,
  keyIdentifier,
  randomSerial,
} from '../../src/crypto/x509/certificate-builder.js';
import { parseCertificate } from '../../src/crypto/x509/certificate.js';
import { spkiOf } from '../../src/crypto/keys.js';
import type { AndroidDeviceSimulator } from '../../src/simulator/android/device.js';
import { loadConfig } from '../../src/config/load.js';
import type { AndroidConfig } from '../../src/config/schema.js';
import type { TrustAnchor } from '../../src/crypto/x509/chain.js';
import type { AndroidVerifier } from '../../src/attestation/android/verify.js';
import { androidVerifierFromConfig, type AndroidVerifierDependencies } from '../../src/config/android-verifier.js';

type DeepPartial<T> = {
  [K in keyof T]?: T[K] extends object ? (T[K] extends unknown[] ? T[K] : DeepPartial<T[K]>) : T[K];
};

/** A verifier from the documented defaults plus overrides (revocation off unless given): for tests and benchmarks. */
export function androidVerifier(
  overrides: DeepPartial<AndroidConfig> = {},
  extraAnchors: TrustAnchor[] = [],
  options: { fetcher?: AndroidVerifierDependencies['fetcher']; now?: () => number } = {},
): AndroidVerifier {
  const { config } = loadConfig({
    env: {},
    flags: { android: { ...overrides, revocation: { enabled: false, ...overrides.revocation } } },
  });
  return androidVerifierFromConfig(config.android, {
    clock: { now: options.now ?? (() => Date.now()) },
    extraAnchors,
    ...(options.fetcher ? { fetcher: options.fetcher } : {}),
  });
}

/**
 * The `requireRkp` bypass of issue 16: a certificate with the root's key and subject, named as
 * issued by Google's "Droid CA2" and signed by a key of the attacker's.
 */
export function forgedTopCertificate(rootDer: Uint8Array, extensions: Extension[] = []): Buffer {
  const root = parseCertificate(rootDer);
  const attacker = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const droidCa2 = encodeName([
    ['2.5.4.10', 'Google LLC'],
    ['2.5.4.3', 'Droid CA2'],
  ]);
  return buildCertificate(
    {
      serial: randomSerial(),
      subjectDer: root.subjectDer,
      spki: root.spki,
      notBefore: root.notBefore,
      notAfter: root.notAfter,
      extensions,
    },
    { key: attacker.privateKey, subjectDer: droidCa2, keyIdentifier: keyIdentifier(spkiOf(attacker.publicKey)) },
  );
}

/** A simulated device whose chains end in `forgedTopCertificate` of its root instead of the root. */
export function withForgedTop(device: AndroidDeviceSimulator): AndroidDeviceSimulator {
  const forged = forgedTopCertificate(new Uint8Array(device.root.certificate.rawData));
  return {
    attest: async (...args: Parameters<AndroidDeviceSimulator['attest']>) => {
      const attestation = await device.attest(...args);
      return { ...attestation, chain: [...attestation.chain.slice(0, -1), forged] };
    },
  } as unknown as AndroidDeviceSimulator;
}
