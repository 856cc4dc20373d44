import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { verifyAndroidDeviceAttestation } from '../../attestation/dsr/android-device-attestation.js';
import { verifyAndroidRegistration } from '../../attestation/dsr/android-registration.js';
import { checkAttestationClaims, readAttestationClaims } from '../../attestation/dsr/attestation-claims.js';
import { CardTrust, verifyCardToken } from '../../attestation/dsr/health-card.js';
import { NONCE_SUFFIXES } from '../../attestation/dsr/nonce-derivations.js';
import { normalizeIntegrityVerdict, verifyIntegrityVerdict } from '../../attestation/dsr/play-integrity.js';
import {
  checkRegistrationClaims,
  parseMasterData,
  readRegistrationClaims,
} from '../../attestation/dsr/registration-claims.js';
import type { AndroidVerifier } from '../../attestation/android/verify.js';
import { decodeCompactJws, verifyEs256 } from '../../crypto/jose/compact-jws.js';
import { spkiOf } from '../../crypto/keys.js';
import { parseCertificate } from '../../crypto/x509/certificate.js';
import {
  buildCertificate,
  encodeName,
  keyIdentifier,
  randomSerial,
  type Signer,
} from '../../crypto/x509/certificate-builder.js';
import { checkRegistrationCsr } from '../../features/dsr/device-ca/csr-checks.js';
import { preparePdpData } from '../../features/dsr/pdp/context.js';
import { compilePolicies, decide } from '../../features/dsr/pdp/decide.js';
import { DEFAULT_POLICIES } from '../../features/dsr/pdp/default-policies.js';
import { androidVerifier } from '../../../test/helpers/android.js';
import { testCardPki } from '../../../test/helpers/dsr-card.js';
import { asyncOutcome, outcome } from '../../../test/helpers/outcome.js';
import { simulatorAnchors, simulatorPlayIntegrityKeys } from '../roots.js';
import { type AndroidRegistrationVariant, SimulatedDsrAndroidDevice } from './android-device.js';
import { SimulatedHealthCard } from './health-card.js';

const AT = Math.floor(Date.now() / 1000) * 1000;
const VECTORS = new URL('../../../test/vectors/dsr/', import.meta.url);
const masterData = parseMasterData(JSON.parse(readFileSync(new URL('gms/masterData.json', VECTORS), 'utf8')));
const cardTrust = new CardTrust({ anchors: simulatorAnchors().dsrCards });
const integrityKeys = [simulatorPlayIntegrityKeys()];
const newNonce = () => randomBytes(64).toString('base64');

/** A stand-in for the GMS device CA: issues the mTLS client certificate for the CSR's key. */
const deviceCa = (() => {
  const keys = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const subjectDer = encodeName([['2.5.4.3', 'Test Device CA']]);
  const signer: Signer = { key: keys.privateKey, subjectDer, keyIdentifier: keyIdentifier(spkiOf(keys.publicKey)) };
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

let device: SimulatedDsrAndroidDevice;
let verifier: AndroidVerifier;
beforeAll(async () => {
  device = await SimulatedDsrAndroidDevice.create();
  verifier = androidVerifier({}, simulatorAnchors().android);
});

/** What the GMS does with a registration token, at the domain level, up to issuing the client certificate. */
async function register(token: string, at = AT) {
  const card = verifyCardToken(token, cardTrust, at);
  const claims = readRegistrationClaims(card.claims);
  if (claims.platform !== 'android') throw new Error('not android');
  checkRegistrationClaims(claims, { now: at, masterData });
  const csr = checkRegistrationCsr({ csr: claims.csr.toString('base64'), sub: claims.subText, nonce: claims.nonce });
  const result = await verifyAndroidRegistration(verifier, { claims, csrSpki: csr.spki, at });
  const verdict = await verifyIntegrityVerdict(claims.integrityVerdict, integrityKeys, {
    nonce: claims.nonce,
    suffix: NONCE_SUFFIXES.integrity,
    packageName: claims.packageName,
    at,
  });
  return { card, claims, result, verdict, certificate: deviceCa(csr.spki) };
}

/** What the GMS does with a device-attestation token, at the domain level. */
async function attest(token: string, attestKeySpki: Uint8Array, clientCertificate: Buffer, at = AT) {
  const jws = decodeCompactJws(token, undefined, { maxLength: 65_536 });
  expect(jws.header.x5c).toEqual([clientCertificate.toString('base64')]);
  expect(verifyEs256(jws, parseCertificate(clientCertificate).publicKey())).toBe(true);
  const claims = readAttestationClaims(jws.payload);
  if (claims.platform !== 'android') throw new Error('not android');
  checkAttestationClaims(claims, { now: at, masterData });
  const platform = await verifyAndroidDeviceAttestation(verifier, {
    chain: claims.attestationCertChain,
    nonce: claims.nonce,
    attestKeySpki,
    at,
  });
  const verdict = await verifyIntegrityVerdict(claims.integrityVerdict, integrityKeys, {
    nonce: claims.nonce,
    suffix: NONCE_SUFFIXES.playIntegrity,
    packageName: claims.packageName,
    at,
  });
  return { claims, platform, verdict };
}

describe('SimulatedDsrAndroidDevice end to end against the domain verifiers', () => {
  it('registers (card, CSR, attest key, mTLS key, Play Integrity) and attests (fresh key, Play Integrity)', async () => {
    const card = new SimulatedHealthCard();
    const nonce = newNonce();
    const registration = await register(card.sign(await device.registrationClaims(nonce, AT)));
    expect(registration.card.userId).toBe('X110000001');
    expect(registration.card.trustedBy).toEqual({ kind: 'anchor', anchor: expect.stringMatching(/^SIMULATOR /) });
    expect(registration.claims.subText).toBe(device.sub);
    expect(registration.result.facts).toMatchObject({
      securityLevel: 'trusted-environment',
      app: { ids: ['de.gematik.dsr.android'] },
    });
    expect(registration.verdict).toMatchObject({ appIntegrity: { packageName: 'de.gematik.dsr.android' } });

    device.acceptCertificate(registration.certificate.toString('base64'));
    expect(device.certificate?.equals(registration.certificate)).toBe(true);
    expect(device.certificatePem).toMatch(/^-----BEGIN CERTIFICATE-----\n/);
    expect(device.mtlsPrivateKeyPem).toMatch(/^-----BEGIN PRIVATE KEY-----\n/);

    for (let round = 0; round < 2; round++) {
      const token = await device.attestationToken(newNonce(), AT);
      const attestation = await attest(token, registration.result.attestKeySpki, registration.certificate);
      expect(attestation.claims.subText).toBe(device.sub);
      expect(attestation.claims.deviceAttributes.build.model).toBe('Pixel 6');
      expect(attestation.platform.attestation.facts.attestKeyRecords).toHaveLength(1);
    }
  });

  it('passes the default policies with the reference data (device token built from its facts)', async () => {
    const card = new SimulatedHealthCard({ kvnr: 'X110411675' });
    const registration = await register(card.sign(await device.registrationClaims(newNonce(), AT)));
    device.acceptCertificate(registration.certificate);
    const { claims, verdict } = await attest(
      await device.attestationToken(newNonce(), AT),
      registration.result.attestKeySpki,
      registration.certificate,
    );
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
          sub: claims.subText,
          type: 'ANDROID',
          userIdentifier: card.kvnr,
          deviceHealth: {
            integrityVerdict: normalizeIntegrityVerdict(verdict),
            keyIdAttestation: { attestationSecurityLevel: 1 },
            deviceAttributes: claims.deviceAttributes,
          },
        },
      },
    );
    expect(decision.verdict).toEqual({
      allow: true,
      device: { allow: true, violations: [] },
      security: { allow: true, violations: [] },
    });
  });

  it('makes the refusals it is asked for', async () => {
    const card = new SimulatedHealthCard();
    const cases: [AndroidRegistrationVariant, string][] = [
      [{ wrongAttestChallenge: true }, 'CONTENT DSR_ANDROID_ATTEST_KEY_CHALLENGE_MISMATCH'],
      [{ wrongMtlsChallenge: true }, 'CONTENT DSR_ANDROID_MTLS_KEY_CHALLENGE_MISMATCH'],
      [{ wrongCsrChallenge: true }, 'TRUST DSR_CSR_CHALLENGE_MISMATCH'],
      [{ wrongIntegrityNonce: true }, 'TRUST DSR_INTEGRITY_NONCE_MISMATCH'],
    ];
    for (const [variant, code] of cases) {
      const token = card.sign(await device.registrationClaims(newNonce(), AT, variant));
      expect(await asyncOutcome(register(token))).toBe(code);
    }

    const registration = await register(card.sign(await device.registrationClaims(newNonce(), AT)));
    device.acceptCertificate(registration.certificate);
    const attestWith = async (variant: Parameters<SimulatedDsrAndroidDevice['attestationToken']>[2]) =>
      asyncOutcome(
        attest(
          await device.attestationToken(newNonce(), AT, variant),
          registration.result.attestKeySpki,
          registration.certificate,
        ),
      );
    expect(await attestWith({ wrongChallenge: true })).toBe('CONTENT DSR_ANDROID_FRESH_KEY_CHALLENGE_MISMATCH');
    expect(await attestWith({ foreignAttestKey: true })).toBe('TRUST DSR_ANDROID_ATTEST_KEY_NOT_REGISTERED');
    expect(await attestWith({ wrongIntegrityNonce: true })).toBe('TRUST DSR_INTEGRITY_NONCE_MISMATCH');
  });

  it('is refused without the simulator roots; a card of another CA is refused; a foreign certificate is not taken', async () => {
    const claims = await device.registrationClaims(newNonce(), AT);
    const token = new SimulatedHealthCard().sign(claims);
    expect(outcome(() => verifyCardToken(token, new CardTrust(), AT))).toBe('TRUST DSR_CARD_UNTRUSTED');
    const foreign = testCardPki();
    const foreignCard = new SimulatedHealthCard({
      authority: { certificate: foreign.caDer, privateKey: foreign.caKey },
    });
    expect(outcome(() => verifyCardToken(foreignCard.sign(claims), cardTrust, AT))).toBe('TRUST DSR_CARD_UNTRUSTED');
    const registration = readRegistrationClaims(claims);
    if (registration.platform !== 'android') throw new Error('not android');
    expect(
      await asyncOutcome(
        verifyAndroidRegistration(androidVerifier(), {
          claims: registration,
          csrSpki: spkiOf(device.identity.publicKey),
          at: AT,
        }),
      ),
    ).toBe('TRUST UNTRUSTED_ROOT');
    const otherKey = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey;
    expect(() => device.acceptCertificate(deviceCa(spkiOf(otherKey)))).toThrow(TypeError);
  });
});
