import { generateKeyPairSync } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { rpIdHash } from '../apple/app-ids.js';
import type { AppleVerifier } from '../apple/verify.js';
import { ecPoint, sha256, spkiOf } from '../../crypto/keys.js';
import { SimulatedAppleDevice } from '../../simulator/apple/device.js';
import { AppleTestAuthority } from '../../simulator/apple/test-authority.js';
import { trustingVerifier } from '../../../test/helpers/apple.js';
import { asyncRejection, rejection } from '../../../test/helpers/outcome.js';
import { iosAssertionClientData, verifyIosDeviceAttestation } from './ios-device-attestation.js';
import { iosRegistrationClientData, verifyIosRegistration } from './ios-registration.js';
import { deriveNonce, NONCE_SUFFIXES } from './nonce-derivations.js';
import type { IosRegistrationClaims } from './registration-claims.js';

const APP_ID = 'ABCDE12345.de.gematik.dsr.poc';
const AT = Date.parse('2026-11-15T12:00:00Z');
/** Fixed nonces, so no assertion depends on random bytes. */
const NONCE = Buffer.alloc(64, 0x11);
const OTHER_NONCE = Buffer.alloc(64, 0x22);
const ATTEST_NONCE = Buffer.alloc(64, 0x33);

let authority: AppleTestAuthority;
let verifier: AppleVerifier;
beforeAll(async () => {
  authority = await AppleTestAuthority.create();
  verifier = trustingVerifier(authority, { appIds: [APP_ID], environment: 'development' });
});

/** An mTLS key as the iOS client makes it: sub = SHA-256 of its raw EC point. */
function mtlsKey() {
  const { publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  return { spki: spkiOf(publicKey), sub: sha256(ecPoint(publicKey)) };
}

async function registration(
  options: { attestNonce?: Buffer; clientData?: Buffer; keyId?: Buffer; sub?: Buffer } = {},
): Promise<{ device: SimulatedAppleDevice; claims: IosRegistrationClaims; csrSpki: Buffer; sub: Buffer }> {
  const device = await SimulatedAppleDevice.create(authority, { appId: APP_ID });
  const mtls = mtlsKey();
  const sub = options.sub ?? mtls.sub;
  const clientData = options.clientData ?? iosRegistrationClientData(options.attestNonce ?? NONCE, mtls.sub);
  const keyId = options.keyId ?? device.keyId;
  const claims: IosRegistrationClaims = {
    iss: 'TrustSDK_1.0.0',
    sdkVersion: '1.0.0',
    sub,
    subText: sub.toString('base64'),
    iat: Math.floor(AT / 1000),
    platform: 'ios',
    type: 'iOS',
    nonce: NONCE,
    nonceText: NONCE.toString('base64'),
    csr: Buffer.of(0x30),
    keyId: keyId.toString('base64'),
    keyIdBytes: keyId,
    attestation: await device.attest(clientData, { at: AT }),
  };
  return { device, claims, csrSpki: mtls.spki, sub: mtls.sub };
}

describe('iOS client data as the reference client and GMS compute it', () => {
  it('registration: SHA-256(nonce ‖ "INTEGRITY") ‖ sub', () => {
    const sub = Buffer.alloc(32, 0xab);
    const data = iosRegistrationClientData(NONCE, sub);
    expect(data).toHaveLength(64);
    expect(data.subarray(0, 32)).toEqual(deriveNonce(NONCE, NONCE_SUFFIXES.integrity));
    expect(data.subarray(32)).toEqual(sub);
  });

  it('device attestation: SHA-256(nonce ‖ "1") ‖ sub', () => {
    const sub = Buffer.alloc(32, 0xab);
    const data = iosAssertionClientData(NONCE, sub);
    expect(data).toHaveLength(64);
    expect(data.subarray(0, 32)).toEqual(deriveNonce(NONCE, NONCE_SUFFIXES.attest));
    expect(data.subarray(32)).toEqual(sub);
  });
});

describe('iOS registration (RFC-01)', () => {
  it('verifies the attestation and returns the App Attest key to store with counter 0', async () => {
    const { device, claims, csrSpki } = await registration();
    const result = await verifyIosRegistration(verifier, { claims, csrSpki, at: AT });
    expect(result.keyId).toBe(device.keyId.toString('base64'));
    expect(result.appAttestKey).toEqual({
      keyId: device.keyId.toString('base64'),
      appId: APP_ID,
      publicKey: spkiOf(device.publicKey).toString('base64'),
      environment: 'development',
      counter: 0,
      createdAt: AT,
      updatedAt: AT,
    });
    expect(result.mtlsKeySpki).toEqual(csrSpki);
    expect(result.facts).toMatchObject({
      appId: APP_ID,
      environment: 'development',
      osVersion: '17.5.1',
      build: '21F90',
      receiptChecked: true,
    });
    expect(result.attestation.counter).toBe(0);
  });

  it('refuses an attestation made for another nonce', async () => {
    const { claims, csrSpki } = await registration({ attestNonce: OTHER_NONCE });
    const error = await asyncRejection(() => verifyIosRegistration(verifier, { claims, csrSpki, at: AT }));
    expect([error.category, error.code]).toEqual(['CONTENT', 'DSR_IOS_ATTESTATION_CHALLENGE_MISMATCH']);
  });

  it('refuses an attestation whose client data uses another derivation (KEYPAIR_MTLS)', async () => {
    const probe = mtlsKey();
    const { claims } = await registration({
      clientData: Buffer.concat([deriveNonce(NONCE, NONCE_SUFFIXES.keypairMtls), probe.sub]),
      sub: probe.sub,
    });
    const error = await asyncRejection(() => verifyIosRegistration(verifier, { claims, csrSpki: probe.spki, at: AT }));
    expect(error.code).toBe('DSR_IOS_ATTESTATION_CHALLENGE_MISMATCH');
  });

  it('refuses a keyId that is not the attested key', async () => {
    const other = await SimulatedAppleDevice.create(authority, { appId: APP_ID });
    const { claims, csrSpki } = await registration({ keyId: other.keyId });
    const error = await asyncRejection(() => verifyIosRegistration(verifier, { claims, csrSpki, at: AT }));
    expect([error.category, error.code]).toEqual(['CONTENT', 'DSR_IOS_KEY_ID_MISMATCH']);
  });

  it('refuses a sub that is not the CSR key fingerprint', async () => {
    const { claims } = await registration();
    const error = await asyncRejection(() =>
      verifyIosRegistration(verifier, { claims, csrSpki: mtlsKey().spki, at: AT }),
    );
    expect([error.category, error.code]).toEqual(['CONTENT', 'DSR_IOS_SUB_MISMATCH']);
  });

  it('refuses a CSR key that is not an EC key', async () => {
    const { claims } = await registration();
    const { publicKey } = generateKeyPairSync('ed25519');
    const error = await asyncRejection(() =>
      verifyIosRegistration(verifier, { claims, csrSpki: spkiOf(publicKey), at: AT }),
    );
    expect(error.code).toBe('DSR_IOS_SUB_MISMATCH');
  });

  it('keeps the App Attest code for an attestation for another app', async () => {
    const other = trustingVerifier(authority, { appIds: ['ZYXWV98765.org.other.app'], environment: 'development' });
    const { claims, csrSpki } = await registration();
    const error = await asyncRejection(() => verifyIosRegistration(other, { claims, csrSpki, at: AT }));
    expect(error.code).toBe('APP_ID_MISMATCH');
  });
});

describe('iOS device attestation (RFC-02)', () => {
  async function registered() {
    const { device, claims, csrSpki, sub } = await registration();
    const { appAttestKey } = await verifyIosRegistration(verifier, { claims, csrSpki, at: AT });
    return { device, key: appAttestKey, sub };
  }

  it('verifies assertions with increasing counters and returns the counter to store', async () => {
    const { device, key, sub } = await registered();
    const first = verifyIosDeviceAttestation({
      assertion: device.assert(iosAssertionClientData(ATTEST_NONCE, sub)),
      nonce: ATTEST_NONCE,
      sub,
      key,
    });
    expect(first).toEqual({
      keyId: key.keyId,
      appId: APP_ID,
      counter: 1,
      previousCounter: 0,
      assertion: { rpID: rpIdHash(APP_ID).toString('base64').replace(/=+$/, ''), counter: 1 },
    });
    const second = verifyIosDeviceAttestation({
      assertion: device.assert(iosAssertionClientData(OTHER_NONCE, sub), { counter: 7 }),
      nonce: OTHER_NONCE,
      sub,
      key: { ...key, counter: first.counter },
    });
    expect([second.previousCounter, second.counter]).toEqual([1, 7]);
  });

  it('refuses an assertion over another nonce', async () => {
    const { device, key, sub } = await registered();
    const assertion = device.assert(iosAssertionClientData(OTHER_NONCE, sub));
    const error = rejection(() => verifyIosDeviceAttestation({ assertion, nonce: ATTEST_NONCE, sub, key }));
    expect([error.category, error.code]).toEqual(['TRUST', 'DSR_IOS_ASSERTION_INVALID']);
  });

  it('refuses an assertion over the registration derivation (INTEGRITY) instead of "1"', async () => {
    const { device, key, sub } = await registered();
    const assertion = device.assert(iosRegistrationClientData(ATTEST_NONCE, sub));
    const error = rejection(() => verifyIosDeviceAttestation({ assertion, nonce: ATTEST_NONCE, sub, key }));
    expect(error.code).toBe('DSR_IOS_ASSERTION_INVALID');
  });

  it('refuses an assertion bound to another sub', async () => {
    const { device, key, sub } = await registered();
    const assertion = device.assert(iosAssertionClientData(ATTEST_NONCE, Buffer.alloc(32, 0x44)));
    const error = rejection(() => verifyIosDeviceAttestation({ assertion, nonce: ATTEST_NONCE, sub, key }));
    expect(error.code).toBe('DSR_IOS_ASSERTION_INVALID');
  });

  it('refuses an assertion by another App Attest key', async () => {
    const { key, sub } = await registered();
    const stranger = await SimulatedAppleDevice.create(authority, { appId: APP_ID });
    const assertion = stranger.assert(iosAssertionClientData(ATTEST_NONCE, sub));
    const error = rejection(() => verifyIosDeviceAttestation({ assertion, nonce: ATTEST_NONCE, sub, key }));
    expect([error.category, error.code]).toEqual(['TRUST', 'DSR_IOS_ASSERTION_INVALID']);
  });

  it('refuses a counter equal to the stored one (the reference GMS accepts it) and a lower one', async () => {
    const { device, key, sub } = await registered();
    const clientData = iosAssertionClientData(ATTEST_NONCE, sub);
    for (const counter of [5, 4]) {
      const assertion = device.assert(clientData, { counter });
      const error = rejection(() =>
        verifyIosDeviceAttestation({ assertion, nonce: ATTEST_NONCE, sub, key: { ...key, counter: 5 } }),
      );
      expect([error.category, error.code]).toEqual(['TRUST', 'DSR_IOS_COUNTER_NOT_INCREASING']);
    }
  });

  it('refuses a replay of an accepted assertion once its counter is stored', async () => {
    const { device, key, sub } = await registered();
    const assertion = device.assert(iosAssertionClientData(ATTEST_NONCE, sub));
    const accepted = verifyIosDeviceAttestation({ assertion, nonce: ATTEST_NONCE, sub, key });
    const error = rejection(() =>
      verifyIosDeviceAttestation({ assertion, nonce: ATTEST_NONCE, sub, key: { ...key, counter: accepted.counter } }),
    );
    expect(error.code).toBe('DSR_IOS_COUNTER_NOT_INCREASING');
  });

  it('keeps the App Attest code for an assertion made for another app', async () => {
    const { device, key, sub } = await registered();
    const assertion = device.assert(iosAssertionClientData(ATTEST_NONCE, sub), { appId: 'ZYXWV98765.org.other.app' });
    const error = rejection(() => verifyIosDeviceAttestation({ assertion, nonce: ATTEST_NONCE, sub, key }));
    expect(error.code).toBe('APP_ID_MISMATCH');
  });
});
