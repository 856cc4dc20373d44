import { generateKeyPairSync, randomBytes, sign, verify } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { verifyAssertion, verifyAttestation } from 'node-app-attest';
import { verifyAppleAssertion } from '../src/attestation/apple/verify-assertion.js';
import { appleVerifierFromConfig } from '../src/config/apple-verifier.js';
import { loadConfig } from '../src/config/load.js';
import { importSpki } from '../src/crypto/keys.js';
import { benchLine, log, syncThroughput } from './lib.js';

/**
 * App Attest verifications per second, Keyward beside node-app-attest on the same real vector
 * (node-app-attest's own development attestation and assertion), in one process, one core.
 * Keyward runs with its default configuration, so attestations include receipt verification
 * (node-app-attest does not verify receipts). The machine is shared, so every round measures
 * all contenders back to back and ratios are taken within a round; the medians are reported.
 * Bounds: an attestation needs at least one P-384 verify (credCert by CA 1) and one P-256
 * verify (the receipt); an assertion one P-256 verify.
 */
const SECONDS = Number(process.env.BENCH_SECONDS ?? 2);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const VECTORS = new URL('../../test/vectors/ios/node-app-attest/', import.meta.url);

const TEAM_ID = 'V8H6LQ9448';
const BUNDLE_ID = 'io.uebelacker.AppAttestExample';
const APP_ID = `${TEAM_ID}.${BUNDLE_ID}`;
/** The vector's receipt creation time: inside credCert's and the receipt signer's validity. */
const ATTESTED_AT = Date.parse('2024-02-04T20:27:06.193Z');

const readJson = (name: string) => JSON.parse(readFileSync(new URL(name, VECTORS), 'utf8'));
const median = (values: number[]) => [...values].sort((a, b) => a - b)[values.length >> 1]!;

/** Each measure once per round, back to back; per measure the rates of all rounds. */
function rounds<Name extends string>(measures: Record<Name, () => number>): Record<Name, number[]> {
  const names = Object.keys(measures) as Name[];
  const rates = Object.fromEntries(names.map((name) => [name, [] as number[]])) as Record<Name, number[]>;
  for (let round = 0; round < ROUNDS; round++) for (const name of names) rates[name].push(measures[name]());
  return rates;
}

/** Median over rounds of a per-round quotient. */
const medianRatio = (numerators: number[], denominators: number[]) =>
  median(numerators.map((value, round) => value / denominators[round]!));

function verifyRate(curve: 'P-256' | 'P-384'): () => number {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: curve });
  const data = randomBytes(32);
  const signature = sign('sha256', data, { key: privateKey, dsaEncoding: 'der' });
  return () => syncThroughput(SECONDS, () => verify('sha256', data, { key: publicKey, dsaEncoding: 'der' }, signature));
}

export async function run(): Promise<void> {
  const attestationVector = readJson('attestation-development.json');
  const assertionVector = readJson('assertion.json');
  const attestation = Buffer.from(attestationVector.attestation, 'base64');
  const challenge = Buffer.from(attestationVector.challenge, 'base64');
  const keyId = Buffer.from(attestationVector.keyId, 'base64');
  const assertion = Buffer.from(assertionVector.assertion, 'base64');
  const clientData = Buffer.from(assertionVector.clientData, 'utf8');
  const spki = importSpki(
    Buffer.from(assertionVector.publicKeyPem.replace(/-----[^-]+-----|\s/g, ''), 'base64'),
  ).export({ format: 'der', type: 'spki' });

  const defaults = loadConfig({ env: {} }).config.apple;
  const verifier = appleVerifierFromConfig({ ...defaults, appIds: [APP_ID], environment: 'any' });
  const withoutReceipts = appleVerifierFromConfig({
    ...defaults,
    appIds: [APP_ID],
    environment: 'any',
    checkReceipts: false,
  });

  const keyward = {
    attestation: () => verifier.verify({ attestation, clientData: challenge, keyId, at: ATTESTED_AT }),
    attestationWithoutReceipt: () =>
      withoutReceipts.verify({ attestation, clientData: challenge, keyId, at: ATTESTED_AT }),
    // The stored key arrives as SPKI each time; importSpki's KeyObject cache is part of the technique.
    assertion: () =>
      verifyAppleAssertion({ assertion, clientData }, { publicKey: importSpki(spki), appId: APP_ID, counter: 0 }),
  };
  const peer = {
    attestation: () =>
      verifyAttestation({
        attestation,
        challenge,
        keyId: attestationVector.keyId,
        bundleIdentifier: BUNDLE_ID,
        teamIdentifier: TEAM_ID,
        allowDevelopmentEnvironment: true,
      }),
    assertion: () =>
      verifyAssertion({
        assertion,
        payload: assertionVector.clientData,
        publicKey: assertionVector.publicKeyPem,
        bundleIdentifier: BUNDLE_ID,
        teamIdentifier: TEAM_ID,
        signCount: 0,
      }),
  };

  // Both sides must accept the vector before they are timed.
  const verified = keyward.attestation();
  if (!verified.facts.receipt) throw new Error('receipt not verified');
  if (peer.attestation().keyId !== attestationVector.keyId) throw new Error('node-app-attest rejected the attestation');
  if (keyward.assertion().counter !== 1 || peer.assertion().signCount !== 1)
    throw new Error('an assertion was rejected');
  for (const warmUp of [keyward.attestation, peer.attestation, keyward.assertion, peer.assertion])
    syncThroughput(0.5, warmUp);

  const p384 = verifyRate('P-384');
  const p256 = verifyRate('P-256');
  const rates = rounds({
    keywardAttestation: () => syncThroughput(SECONDS, keyward.attestation),
    peerAttestation: () => syncThroughput(SECONDS, peer.attestation),
    keywardAttestationWithoutReceipt: () => syncThroughput(SECONDS, keyward.attestationWithoutReceipt),
    keywardAssertion: () => syncThroughput(SECONDS, keyward.assertion),
    peerAssertion: () => syncThroughput(SECONDS, peer.assertion),
    p384,
    p256,
  });
  const attestationBounds = rates.p384.map((rate, round) => 1 / (1 / rate + 1 / rates.p256[round]!));
  const attestationRate = median(rates.keywardAttestation);
  const assertionRate = median(rates.keywardAssertion);

  log(
    `node-app-attest: ${median(rates.peerAttestation).toFixed(0)} attestations/s, ${median(rates.peerAssertion).toFixed(0)} assertions/s`,
  );
  log(`node:crypto verify: P-384 ${median(rates.p384).toFixed(0)}/s, P-256 ${median(rates.p256).toFixed(0)}/s`);
  log(
    `keyward attestation without receipt check: ${median(rates.keywardAttestationWithoutReceipt).toFixed(0)}/s (bound: the P-384 rate)`,
  );
  log(`keyward attestation runs with receipts checked (the default); medians of ${ROUNDS} rounds of ${SECONDS} s`);
  log(
    benchLine('apple_attestation', attestationRate, 'verifications/s', {
      vs: 'node-app-attest',
      ratio: medianRatio(rates.keywardAttestation, rates.peerAttestation),
    }),
  );
  log(
    benchLine('apple_attestation', attestationRate, 'verifications/s', {
      bound: median(attestationBounds),
      fraction: medianRatio(rates.keywardAttestation, attestationBounds),
    }),
  );
  log(
    benchLine('apple_assertion', assertionRate, 'verifications/s', {
      vs: 'node-app-attest',
      ratio: medianRatio(rates.keywardAssertion, rates.peerAssertion),
    }),
  );
  log(
    benchLine('apple_assertion', assertionRate, 'verifications/s', {
      bound: median(rates.p256),
      fraction: medianRatio(rates.keywardAssertion, rates.p256),
    }),
  );
}
