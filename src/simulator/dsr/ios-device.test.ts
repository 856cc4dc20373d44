import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import type { AppleVerifier } from '../../attestation/apple/verify.js';
import { checkAttestationClaims, readAttestationClaims } from '../../attestation/dsr/attestation-claims.js';
import { CardTrust, verifyCardToken } from '../../attestation/dsr/health-card.js';
import { verifyIosDeviceAttestation } from '../../attestation/dsr/ios-device-attestation.js';
import { verifyIosRegistration } from '../../attestation/dsr/ios-registration.js';
import {
  checkRegistrationClaims,
  parseMasterData,
  readRegistrationClaims,
} from '../../attestation/dsr/registration-claims.js';
import type { AppAttestKeyRecord } from '../../attestation/apple/stored-keys.js';
import { decodeCompactJws, verifyEs256 } from '../../crypto/jose/compact-jws.js';
import { spkiOf } from '../../crypto/keys.js';
import { parseCertificate } from '../../crypto/x509/certificate.js';
import { buildCertificate, encodeName, keyIdentifier, randomSerial } from '../../crypto/x509/certificate-builder.js';
import { checkRegistrationCsr } from '../../features/dsr/device-ca/csr-checks.js';
import { preparePdpData } from '../../features/dsr/pdp/context.js';
import { compilePolicies, decide } from '../../features/dsr/pdp/decide.js';
import { DEFAULT_POLICIES } from '../../features/dsr/pdp/default-policies.js';
import { verifier as appleVerifier } from '../../../test/helpers/apple.js';
import { asyncOutcome, outcome } from '../../../test/helpers/outcome.js';
import { simulatorAnchors } from '../roots.js';
import { DSR_IOS_APP_ID } from './app-identity.js';
import { SimulatedHealthCard } from './health-card.js';
import { type IosRegistrationVariant, SimulatedDsrIosDevice } from './ios-device.js';

const AT = Math.floor(Date.now() / 1000) * 1000;
const VECTORS = new URL('../../../test/vectors/dsr/', import.meta.url);
const masterData = parseMasterData(JSON.parse(readFileSync(new URL('gms/masterData.json', VECTORS), 'utf8')));
const cardTrust = new CardTrust({ anchors: simulatorAnchors().dsrCards });
const newNonce = () => randomBytes(64).toString('base64');

const issueClientCertificate = (() => {
  const keys = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const subjectDer = encodeName([['2.5.4.3', 'Test Device CA']]);
  const signer = { key: keys.privateKey, subjectDer, keyIdentifier: keyIdentifier(spkiOf(keys.publicKey)) };
  return (spki: Uint8Array) =>
    buildCertificate(
      {
        serial: randomSerial(),
        subjectDer: encodeName([['2.5.4.3', 'device']]),
        spki,
        notBefore: AT - 60_000,
        notAfter: AT + 86_400_000,
        extensions: [],
      },
      signer,
    );
})();

let device: SimulatedDsrIosDevice;
let verifier: AppleVerifier;
beforeAll(async () => {
  device = await SimulatedDsrIosDevice.create();
  // A server with default App Attest settings and --trust-simulator-roots.
  const anchors = simulatorAnchors();
  verifier = appleVerifier(
    { appIds: [DSR_IOS_APP_ID] },
    { extraAnchors: anchors.apple, extraReceiptAnchors: anchors.appleReceipts },
  );
});

async function register(token: string) {
  const card = verifyCardToken(token, cardTrust, AT);
  const claims = readRegistrationClaims(card.claims);
  if (claims.platform !== 'ios') throw new Error('not ios');
  checkRegistrationClaims(claims, { now: AT, masterData });
  const csr = checkRegistrationCsr({ csr: claims.csr.toString('base64'), sub: claims.subText, nonce: claims.nonce });
  const result = await verifyIosRegistration(verifier, { claims, csrSpki: csr.spki, at: AT });
  return { card, claims, result, certificate: issueClientCertificate(csr.spki) };
}

function attest(token: string, key: AppAttestKeyRecord, clientCertificate: Buffer) {
  const jws = decodeCompactJws(token, undefined, { maxLength: 65_536 });
  expect(jws.header.x5c).toEqual([clientCertificate.toString('base64')]);
  expect(verifyEs256(jws, parseCertificate(clientCertificate).publicKey())).toBe(true);
  const claims = readAttestationClaims(jws.payload);
  if (claims.platform !== 'ios') throw new Error('not ios');
  checkAttestationClaims(claims, { now: AT, masterData });
  const result = verifyIosDeviceAttestation({ assertion: claims.assertion, nonce: claims.nonce, sub: claims.sub, key });
  key.counter = result.counter;
  return { claims, result };
}

describe('SimulatedDsrIosDevice end to end against the domain verifiers', () => {
  it('registers (card, CSR, App Attest over INTEGRITY ‖ sub) and attests with increasing counters', async () => {
    const card = new SimulatedHealthCard({ kvnr: 'X110411675' });
    const registration = await register(card.sign(await device.registrationClaims(newNonce(), AT)));
    expect(registration.card.userId).toBe('X110411675');
    expect(registration.result.keyId).toBe(device.keyId);
    expect(registration.result.facts).toMatchObject({ appId: DSR_IOS_APP_ID, environment: 'production' });
    const key = registration.result.appAttestKey;
    expect(key.counter).toBe(0);

    device.acceptCertificate(registration.certificate);
    const first = attest(await device.attestationToken(newNonce(), AT), key, registration.certificate);
    const second = attest(await device.attestationToken(newNonce(), AT), key, registration.certificate);
    expect([first.result.counter, second.result.counter]).toEqual([1, 2]);
    expect(first.claims.deviceAttributes).toMatchObject({
      systemName: 'iOS',
      systemVersion: '17.1',
      systemModel: 'iPhone15,2',
    });

    const bundle = new URL('policy-bundle/', VECTORS);
    const data = (path: string) => JSON.parse(readFileSync(new URL(path, bundle), 'utf8'));
    const decision = decide(
      compilePolicies(DEFAULT_POLICIES),
      preparePdpData({
        android_data: data('android_data/data.json'),
        ios_data: data('ios_data/data.json'),
        security_data: data('security_data/data.json'),
      }),
      {
        request: { method: 'GET', path: '/fd', clientIP: '192.0.2.10', countryCode: 'DE' },
        deviceTokenValid: true,
        deviceTokenPayload: {
          sub: second.claims.subText,
          type: 'IOS',
          userIdentifier: card.kvnr,
          deviceHealth: { assertion: second.result.assertion, deviceAttributes: second.claims.deviceAttributes },
        },
      },
    );
    expect(decision.verdict.allow).toBe(true);
  });

  it('makes the refusals it is asked for', async () => {
    const card = new SimulatedHealthCard();
    const cases: [IosRegistrationVariant, string][] = [
      [{ wrongChallenge: true }, 'CONTENT DSR_IOS_ATTESTATION_CHALLENGE_MISMATCH'],
      [{ wrongCsrChallenge: true }, 'TRUST DSR_CSR_CHALLENGE_MISMATCH'],
    ];
    for (const [variant, code] of cases) {
      const token = card.sign(await device.registrationClaims(newNonce(), AT, variant));
      expect(await asyncOutcome(register(token))).toBe(code);
    }

    const registration = await register(card.sign(await device.registrationClaims(newNonce(), AT)));
    const key = registration.result.appAttestKey;
    device.acceptCertificate(registration.certificate);
    const token = (variant = {}) => device.attestationToken(newNonce(), AT, variant);
    attest(await token(), key, registration.certificate);
    const wrong = await token({ wrongChallenge: true });
    expect(outcome(() => attest(wrong, key, registration.certificate))).toBe('TRUST DSR_IOS_ASSERTION_INVALID');
    const replayed = await token({ counter: key.counter });
    expect(outcome(() => attest(replayed, key, registration.certificate))).toBe('TRUST DSR_IOS_COUNTER_NOT_INCREASING');
  });
});
