import { createHash, generateKeyPairSync, randomBytes, type KeyObject } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildCertificate, encodeName, keyIdentifier, type Signer } from '../../crypto/x509/certificate-builder.js';
import { TrustAnchors } from '../../crypto/x509/chain.js';
import { parseCertificate } from '../../crypto/x509/certificate.js';
import { ecPoint, spkiOf } from '../../crypto/keys.js';
import { AndroidDeviceSimulator } from '../../simulator/android/device.js';
import { encodeKeyDescription, type SimulatedRecord } from '../../simulator/android/key-description-encoder.js';
import { KEY_DESCRIPTION_OID, KEY_PURPOSE } from '../android/constants.js';
import type { AndroidVerifier } from '../android/verify.js';
import { androidVerifier } from '../../../test/helpers/android.js';
import { asyncOutcome } from '../../../test/helpers/outcome.js';
import { verifyAndroidDeviceAttestation } from './android-device-attestation.js';
import { attestKeyChallenge, verifyAndroidRegistration } from './android-registration.js';
import { deriveNonce, NONCE_SUFFIXES } from './nonce-derivations.js';
import type { AndroidRegistrationClaims } from './registration-claims.js';

/**
 * The simulator makes attest-key chains only with a throw-away attest key inside one call, so it
 * cannot attest a second key (the mTLS key, later the RFC-02 fresh key) under the same attest
 * key. The tests therefore take the attest key's own chain from the simulator (a leaf with
 * purpose ATTEST_KEY, whose private key it returns) and issue the keys under it here, with the
 * simulator's record encoder.
 */
const AT = Date.UTC(2026, 10, 15);
const KEY_SUBJECT = encodeName([['2.5.4.3', 'Android Keystore Key']]);
const sha256 = (data: Uint8Array) => createHash('sha256').update(data).digest();

interface AttestKey {
  chain: Buffer[];
  signer: Signer;
}

let device: AndroidDeviceSimulator;
let verifier: AndroidVerifier;
beforeAll(async () => {
  device = await AndroidDeviceSimulator.create({ root: 'generated', at: AT });
  verifier = androidVerifier({}, TrustAnchors.fromPem(device.rootPem, 'simulated android root'));
});

async function attestKey(nonce: Buffer, record: Partial<SimulatedRecord> = {}): Promise<AttestKey> {
  const attestation = await device.attest(
    { challenge: attestKeyChallenge(nonce), purposes: [KEY_PURPOSE.ATTEST_KEY], ...record },
    { at: AT },
  );
  const signer = {
    key: attestation.privateKey,
    subjectDer: KEY_SUBJECT,
    keyIdentifier: keyIdentifier(spkiOf(attestation.publicKey)),
  };
  return { chain: attestation.chain, signer };
}

/** A KeyMint key certificate for `key`, issued by the attest key. */
function keyCertificate(issuer: Signer, key: KeyObject, record: SimulatedRecord): Buffer {
  return buildCertificate(
    {
      serial: Buffer.of(1),
      subjectDer: KEY_SUBJECT,
      spki: spkiOf(key),
      notBefore: 0,
      notAfter: Date.UTC(2048, 0, 1),
      extensions: [
        {
          oid: KEY_DESCRIPTION_OID,
          critical: false,
          value: encodeKeyDescription({ keyAlgorithm: { algorithm: 3, keySize: 256, ecCurve: 1 }, ...record }, AT),
        },
      ],
    },
    issuer,
  );
}

const newKey = () => generateKeyPairSync('ec', { namedCurve: 'P-256' });

async function registration(
  options: { mtlsRecord?: Partial<SimulatedRecord>; attestRecord?: Partial<SimulatedRecord> } = {},
) {
  const nonce = randomBytes(64);
  const attest = await attestKey(nonce, options.attestRecord);
  const mtls = newKey();
  const subjectCert = keyCertificate(attest.signer, mtls.publicKey, {
    challenge: deriveNonce(nonce, NONCE_SUFFIXES.keypairMtls),
    ...options.mtlsRecord,
  });
  const claims = {
    platform: 'android',
    nonce,
    sub: sha256(ecPoint(mtls.publicKey)),
    subjectCert,
    attestCertChain: attest.chain,
    attestPublicKey: sha256(parseCertificate(attest.chain[0]!).publicKeyBits),
  } as unknown as AndroidRegistrationClaims;
  return { nonce, attest, mtls, claims, csrSpki: spkiOf(mtls.publicKey) };
}

describe('DSR Android registration (attest key + mTLS key under it)', () => {
  it('accepts the reference client shape and returns the facts to store', async () => {
    const { claims, csrSpki, attest } = await registration();
    const result = await verifyAndroidRegistration(verifier, { claims, csrSpki, at: AT });
    expect(result.attestKeySpki.equals(spkiOf(attest.signer.key))).toBe(true);
    expect(result.mtlsKeySpki.equals(Buffer.from(csrSpki))).toBe(true);
    expect(result.facts).toMatchObject({
      securityLevel: 'trusted-environment',
      osVersion: '15.0.0',
      bootState: { locked: true, state: 'verified' },
      app: { ids: [expect.any(String)] },
      rkp: false,
    });
    expect(result.facts.osPatchLevel).toMatch(/^\d{4}-\d{2}$/);
    expect(result.facts.app.signerDigests).toHaveLength(1);
    expect(JSON.parse(JSON.stringify(result.facts))).toEqual(result.facts);
  });

  it("refuses an attest key made for another nonce, or with the mTLS key's challenge", async () => {
    const wrong = await registration({ attestRecord: { challenge: randomBytes(32) } });
    expect(await asyncOutcome(verifyAndroidRegistration(verifier, { ...wrong, at: AT }))).toBe(
      'CONTENT DSR_ANDROID_ATTEST_KEY_CHALLENGE_MISMATCH',
    );
    const nonce = randomBytes(64);
    const mtlsChallenge = await registration({
      attestRecord: { challenge: deriveNonce(nonce, NONCE_SUFFIXES.keypairMtls) },
    });
    expect(await asyncOutcome(verifyAndroidRegistration(verifier, { ...mtlsChallenge, at: AT }))).toBe(
      'CONTENT DSR_ANDROID_ATTEST_KEY_CHALLENGE_MISMATCH',
    );
  });

  it('refuses an mTLS key made for another challenge', async () => {
    const nonce = randomBytes(64);
    const wrong = await registration({ mtlsRecord: { challenge: deriveNonce(nonce, NONCE_SUFFIXES.keypairMtls) } });
    expect(await asyncOutcome(verifyAndroidRegistration(verifier, { ...wrong, at: AT }))).toBe(
      'CONTENT DSR_ANDROID_MTLS_KEY_CHALLENGE_MISMATCH',
    );
  });

  it('refuses an attest key without the single purpose ATTEST_KEY', async () => {
    for (const purposes of [[KEY_PURPOSE.SIGN], [KEY_PURPOSE.SIGN, KEY_PURPOSE.ATTEST_KEY]]) {
      const wrong = await registration({ attestRecord: { purposes } });
      expect(await asyncOutcome(verifyAndroidRegistration(verifier, { ...wrong, at: AT }))).toBe(
        'TRUST DSR_ANDROID_ATTEST_KEY_PURPOSE',
      );
    }
  });

  it('refuses an mTLS key that is an attestation key', async () => {
    const wrong = await registration({ mtlsRecord: { purposes: [KEY_PURPOSE.ATTEST_KEY] } });
    expect(await asyncOutcome(verifyAndroidRegistration(verifier, { ...wrong, at: AT }))).toBe(
      'TRUST DSR_ANDROID_MTLS_KEY_PURPOSE',
    );
  });

  it('refuses a subjectCert not signed by the attest key', async () => {
    const good = await registration();
    const other = await attestKey(good.nonce);
    const subjectCert = keyCertificate(other.signer, good.mtls.publicKey, {
      challenge: deriveNonce(good.nonce, NONCE_SUFFIXES.keypairMtls),
    });
    const claims = { ...good.claims, subjectCert };
    expect(await asyncOutcome(verifyAndroidRegistration(verifier, { ...good, claims, at: AT }))).toBe(
      'TRUST DSR_ANDROID_SUBJECT_CERT_NOT_UNDER_ATTEST_KEY',
    );
  });

  it("refuses a CSR for another key than subjectCert's, a sub of another key, a wrong attestPublicKey", async () => {
    const good = await registration();
    const otherSpki = spkiOf(newKey().publicKey);
    expect(await asyncOutcome(verifyAndroidRegistration(verifier, { ...good, csrSpki: otherSpki, at: AT }))).toBe(
      'CONTENT DSR_ANDROID_CSR_KEY_MISMATCH',
    );
    const sub = sha256(ecPoint(newKey().publicKey));
    expect(
      await asyncOutcome(verifyAndroidRegistration(verifier, { ...good, claims: { ...good.claims, sub }, at: AT })),
    ).toBe('CONTENT DSR_ANDROID_SUB_MISMATCH');
    const attestPublicKey = sha256(ecPoint(newKey().publicKey));
    expect(
      await asyncOutcome(
        verifyAndroidRegistration(verifier, { ...good, claims: { ...good.claims, attestPublicKey }, at: AT }),
      ),
    ).toBe('CONTENT DSR_ANDROID_ATTEST_PUBLIC_KEY_MISMATCH');
  });

  it('keeps the Android verifier refusals (untrusted root)', async () => {
    const good = await registration();
    expect(await asyncOutcome(verifyAndroidRegistration(androidVerifier(), { ...good, at: AT }))).toBe(
      'TRUST UNTRUSTED_ROOT',
    );
  });
});

describe('DSR Android device attestation (RFC-02 fresh key under the registered attest key)', () => {
  async function registered() {
    const good = await registration();
    const result = await verifyAndroidRegistration(verifier, { ...good, at: AT });
    return { ...good, attestKeySpki: result.attestKeySpki };
  }
  const freshChain = (attest: AttestKey, challenge: Buffer, record: Partial<SimulatedRecord> = {}) => [
    keyCertificate(attest.signer, newKey().publicKey, { challenge, ...record }),
    ...attest.chain,
  ];

  it('accepts a fresh key attested under the registered attest key with SHA-256(nonce ‖ "1")', async () => {
    const { attest, attestKeySpki } = await registered();
    const nonce = randomBytes(64);
    const chain = freshChain(attest, deriveNonce(nonce, NONCE_SUFFIXES.attest));
    const result = await verifyAndroidDeviceAttestation(verifier, { chain, nonce, attestKeySpki, at: AT });
    expect(result.facts.securityLevel).toBe('trusted-environment');
    expect(result.attestation.facts.attestKeyRecords).toHaveLength(1);
  });

  it('refuses a fresh key made for another challenge', async () => {
    const { attest, attestKeySpki } = await registered();
    const nonce = randomBytes(64);
    for (const challenge of [deriveNonce(nonce, NONCE_SUFFIXES.playIntegrity), deriveNonce(randomBytes(64), '1')]) {
      const chain = freshChain(attest, challenge);
      expect(
        await asyncOutcome(verifyAndroidDeviceAttestation(verifier, { chain, nonce, attestKeySpki, at: AT })),
      ).toBe('CONTENT DSR_ANDROID_FRESH_KEY_CHALLENGE_MISMATCH');
    }
  });

  it('refuses a fresh key attested under another attest key', async () => {
    const { attestKeySpki } = await registered();
    const nonce = randomBytes(64);
    const other = await attestKey(nonce);
    const chain = freshChain(other, deriveNonce(nonce, NONCE_SUFFIXES.attest));
    expect(await asyncOutcome(verifyAndroidDeviceAttestation(verifier, { chain, nonce, attestKeySpki, at: AT }))).toBe(
      'TRUST DSR_ANDROID_ATTEST_KEY_NOT_REGISTERED',
    );
  });

  it('refuses a plain factory chain (no attest key) and a chain whose link to the attest key is forged', async () => {
    const { attest, attestKeySpki } = await registered();
    const nonce = randomBytes(64);
    const plain = await device.attest({ challenge: deriveNonce(nonce, NONCE_SUFFIXES.attest) }, { at: AT });
    expect(
      await asyncOutcome(
        verifyAndroidDeviceAttestation(verifier, { chain: plain.chain, nonce, attestKeySpki, at: AT }),
      ),
    ).toBe('TRUST DSR_ANDROID_ATTEST_KEY_NOT_REGISTERED');
    // The registered attest key's certificate above a leaf signed by some other key.
    const forger = await attestKey(nonce);
    const chain = [
      keyCertificate(forger.signer, newKey().publicKey, { challenge: deriveNonce(nonce, NONCE_SUFFIXES.attest) }),
      ...attest.chain,
    ];
    const outcome = await asyncOutcome(
      verifyAndroidDeviceAttestation(verifier, { chain, nonce, attestKeySpki, at: AT }),
    );
    expect(outcome).toMatch(/^TRUST /);
    expect(outcome).not.toMatch(/DSR_ANDROID_ATTEST_KEY_NOT_REGISTERED/);
  });
});
