import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { androidVerifierFromConfig } from '../src/config/android-verifier.js';
import { parseCertificate, pemCertificates, type ParsedCertificate } from '../src/crypto/x509/certificate.js';
import { signatureAlgorithmName, verifySignature } from '../src/crypto/x509/signatures.js';
import { loadConfig } from '../src/config/load.js';
import { benchLine, log } from './lib.js';

/**
 * Android verifications per second for a factory-provisioned and an RKP chain from
 * test/vectors, against the bound set by the signatures unique to each request (the leaf's;
 * for RKP also the per-device certificate's), measured on this machine in the same run.
 * Shared intermediates are verified once per process (the verifier's cache), so they are not
 * part of the bound. Measurement alternates short rounds of both so drift hits both alike.
 */
const VECTORS = fileURLToPath(new URL('../../test/vectors/android/keyattestation/testdata/', import.meta.url));
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 8);
const ROUND_MS = Number(process.env.BENCH_ROUND_MS ?? 500);

const CASES = [
  { name: 'factory', vector: 'blueline/sdk28/TEE_EC_NONE', uniqueSignatures: 1 },
  { name: 'rkp', vector: 'caiman/sdk36/TEE_EC_RKP', uniqueSignatures: 2 },
];

async function timed(
  task: () => unknown | Promise<unknown>,
  ms: number,
): Promise<{ operations: number; seconds: number }> {
  const started = performance.now();
  let operations = 0;
  while (performance.now() - started < ms) {
    for (let i = 0; i < 8; i++) await task();
    operations += 8;
  }
  return { operations, seconds: (performance.now() - started) / 1000 };
}

export async function run(): Promise<void> {
  // Google's test phones: unlocked, pre-release patch levels (policy is not what is measured here).
  const { config } = loadConfig({
    env: {},
    flags: {
      android: { revocation: { enabled: false }, policy: { requireLockedBootloader: false, maxPatchMonthsAhead: 24 } },
    },
  });
  const verifier = androidVerifierFromConfig(config.android, { clock: { now: Date.now } });
  const lines: string[] = [];
  for (const benchCase of CASES) {
    const chain = pemCertificates(readFileSync(`${VECTORS}${benchCase.vector}.pem`, 'utf8'));
    const decoded = JSON.parse(readFileSync(`${VECTORS}${benchCase.vector}.json`, 'utf8').replace(/^\s*\/\/.*$/gm, ''));
    const input = {
      chain,
      challenge: Buffer.from(decoded.attestationChallenge, 'base64'),
      at: Number(decoded.softwareEnforced.creationDateTime),
    };
    const parsed = chain.map((der) => parseCertificate(der));
    // The signatures a request cannot share with others: certificate i signed by certificate i+1.
    const unique: [ParsedCertificate, ParsedCertificate][] = parsed
      .slice(0, benchCase.uniqueSignatures)
      .map((certificate, index) => [certificate, parsed[index + 1]!]);
    for (const [certificate, issuer] of unique) {
      if (!verifySignature(certificate.signatureAlgorithm, certificate.tbs, certificate.signature, issuer.publicKey()))
        throw new Error('vector signature does not verify');
    }
    // Steady state: caches filled and the JIT done with both workloads before anything is measured.
    await timed(() => verifier.verify(input), 1500);
    for (const [certificate, issuer] of unique)
      await timed(
        () =>
          verifySignature(certificate.signatureAlgorithm, certificate.tbs, certificate.signature, issuer.publicKey()),
        300,
      );

    const perSignature = unique.map(() => ({ operations: 0, seconds: 0 }));
    const verifications = { operations: 0, seconds: 0 };
    for (let round = 0; round < ROUNDS; round++) {
      for (const [index, [certificate, issuer]] of unique.entries()) {
        const key = issuer.publicKey();
        const measured = await timed(
          () => verifySignature(certificate.signatureAlgorithm, certificate.tbs, certificate.signature, key),
          ROUND_MS / (2 * unique.length),
        );
        perSignature[index]!.operations += measured.operations;
        perSignature[index]!.seconds += measured.seconds;
      }
      const measured = await timed(() => verifier.verify(input), ROUND_MS / 2);
      verifications.operations += measured.operations;
      verifications.seconds += measured.seconds;
    }
    const rates = perSignature.map((m) => m.operations / m.seconds);
    const bound = 1 / rates.reduce((sum, rate) => sum + 1 / rate, 0);
    const rate = verifications.operations / verifications.seconds;
    unique.forEach(([certificate, issuer], index) => {
      log(
        `android ${benchCase.name}: unique signature ${index} (${signatureAlgorithmName(certificate.signatureAlgorithm)}, ${issuer.keyAlgorithm}${issuer.curve ? ` ${issuer.curve}` : ''}) verifies at ${rates[index]!.toFixed(0)}/s`,
      );
    });
    log(
      `android ${benchCase.name} (${benchCase.vector}): ${rate.toFixed(0)} verifications/s, bound ${bound.toFixed(0)}/s, ${((100 * rate) / bound).toFixed(0)}% of bound (target 70%)`,
    );
    lines.push(
      benchLine(`android_${benchCase.name}_verify`, rate, 'verifications/s', { bound, fraction: rate / bound }),
    );
  }
  for (const line of lines) log(line);
}
