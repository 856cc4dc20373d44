import { createHash, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { describe, expect, test } from 'vitest';
import { androidVerifier } from '../../../../test/helpers/android.js';
import * as der from '../../../crypto/asn1/der-writer.js';
import { spkiOf } from '../../../crypto/keys.js';
import {
  buildCertificate,
  encodeName,
  extensions,
  keyIdentifier,
  randomSerial,
} from '../../../crypto/x509/certificate-builder.js';
import { parseCertificate } from '../../../crypto/x509/certificate.js';
import { TrustAnchors, type TrustAnchor } from '../../../crypto/x509/chain.js';
import type { AndroidVerifier } from '../../android/verify.js';
import type { AndroidPolicy } from '../../android/policy.js';
import type { FormatContext, FormatInput } from '../types.js';
import {
  coseKey,
  decodedVector,
  failure,
  parsedAuthenticatorData,
  selfSignedRoot,
} from '../../../../test/webauthn/build-registration.js';
import { WEBAUTHN_ANDROID_POLICY, androidKeyFormat } from './android-key.js';

const NOW = Date.UTC(2025, 5, 1);
const DAY = 24 * 3600 * 1000;

function context(verifier?: AndroidVerifier, policy: AndroidPolicy = WEBAUTHN_ANDROID_POLICY): FormatContext {
  return {
    rootsFor: () => new TrustAnchors([]),
    ...(verifier ? { android: (chain, challenge, at) => verifier.verify({ chain, challenge, at, policy }) } : {}),
    requireCtsProfileMatch: true,
    safetynetMaxAgeMs: 60_000,
    maxChainLength: 6,
  };
}

// --- the SimpleWebAuthn registrations ---------------------------------------------------------

function vectorInput(name: string): FormatInput {
  const { object, clientDataHash, verifyAt } = decodedVector(name);
  // The rule for vectors without a verification time: the leaf's notBefore + 1 hour.
  const leaf = parseCertificate((object.attStmt.get('x5c') as Uint8Array[])[0]!);
  const at = verifyAt ? Date.parse(verifyAt) : leaf.notBefore + 3600_000;
  return { attStmt: object.attStmt, authData: object.authData, clientDataHash, at };
}

const googleVerifier = androidVerifier();

describe('android-key: SimpleWebAuthn registrations', () => {
  test('"from a Pixel 8a in January 2025": verified by the Android verifier to Google\'s root', async () => {
    const input = vectorInput('should verify Android Keystore response from a Pixel 8a in January 2025');
    const result = await androidKeyFormat.verify(input, context(googleVerifier));
    expect(result.attestationType).toBe('basic');
    expect(result.trustedBy).toMatch(/^Google hardware attestation root/);
    expect(result.trustPath).toHaveLength(5);
    expect(result.facts).toEqual({
      securityLevel: 'trusted-environment',
      keyStoreSecurityLevel: 'trusted-environment',
      osVersion: '15.0.0',
      osPatchLevel: '2025-01',
      vendorPatchLevel: '2025-01-05',
      bootPatchLevel: '2025-01-05',
      bootState: { locked: true, state: 'verified' },
      app: {
        ids: ['com.google.android.gsf', 'com.google.android.gms'],
        signerDigests: ['f0fd6c5b410f25cb25c3b53346c8972fae30f8ee7411df910480ad6b2d60db83'],
        version: 35,
      },
      rkp: true,
    });
  });

  test('"from a Samsung Galaxy S9+ running Android 10": verified to Google\'s root', async () => {
    const input = vectorInput('should verify Android Keystore response from a Samsung Galaxy S9+ running Android 10');
    const result = await androidKeyFormat.verify(input, context(googleVerifier));
    expect(result.trustedBy).toMatch(/^Google hardware attestation root/);
    expect(result.facts).toMatchObject({ osVersion: '11.0.0', osPatchLevel: '2021-11', rkp: false });
  });

  test.each([
    'should verify Android Keystore response from FIDO Conformance in 2020',
    'should validate Android-Key response',
  ])('"%s": a valid statement whose FAKE root is left to the common trust step', async (name) => {
    const input = vectorInput(name);
    const result = await androidKeyFormat.verify(input, context(googleVerifier));
    expect(result.trustedBy).toBeUndefined();
    expect(result.trustPath.map((certificate) => certificate.subject)[0]).toBe('CN=FAKE Android Keystore Key FAKE');
    expect(result.facts).toEqual({
      securityLevel: 'software',
      keyStoreSecurityLevel: 'software',
      attestationVersion: 2,
    });
  });

  test('without an Android verifier only the statement is verified', async () => {
    const input = vectorInput('should verify Android Keystore response from a Pixel 8a in January 2025');
    const result = await androidKeyFormat.verify(input, context());
    expect(result.trustedBy).toBeUndefined();
    expect(result.facts).toMatchObject({ securityLevel: 'trusted-environment' });
  });

  test("the configured Android policy applies (fido2.androidPolicy): the verifier's refusal propagates", async () => {
    const input = vectorInput('should verify Android Keystore response from a Pixel 8a in January 2025');
    const policy = { ...WEBAUTHN_ANDROID_POLICY, minOsVersion: 160000 };
    expect(await failure(() => androidKeyFormat.verify(input, context(googleVerifier, policy)))).toMatchObject({
      code: 'OS_VERSION_TOO_OLD',
    });
  });

  test('a statement over other client data does not verify', async () => {
    const input = vectorInput('should verify Android Keystore response from a Samsung Galaxy S9+ running Android 10');
    const other = { ...input, clientDataHash: createHash('sha256').update('other').digest() };
    expect(await failure(() => androidKeyFormat.verify(other, context(googleVerifier)))).toMatchObject({
      code: 'ANDROID_KEY_SIGNATURE_INVALID',
    });
  });

  test('WEBAUTHN_ANDROID_POLICY requires nothing of the device', async () => {
    // The Samsung's bootloader is locked, but its patch level (2021-11) is old and it is not RKP: all accepted.
    expect(WEBAUTHN_ANDROID_POLICY).toMatchObject({
      apps: [],
      requireLockedBootloader: false,
      requireStrongBox: false,
      requireRkp: false,
      requireGeneratedKey: false,
      minOsVersion: 0,
      minPatchLevel: '',
      maxPatchAgeMonths: 0,
      maxStatementAgeSeconds: 0,
    });
  });
});

// --- statements made here -------------------------------------------------------------------

const explicit = (tag: number, content: Uint8Array) => der.element(2, true, tag, content);
const PURPOSE = 1;
const ALL_APPLICATIONS = 600;
const ORIGIN = 702;
const GENERATED = 0;
const IMPORTED = 2;

type List = [number, Buffer][];
const purposes = (...values: number[]): [number, Buffer] => [PURPOSE, der.setOf(...values.map(der.integer))];
const origin = (value: number): [number, Buffer] => [ORIGIN, der.integer(value)];
const allApplications: [number, Buffer] = [ALL_APPLICATIONS, der.nullValue()];

function authorizationList(entries: List): Buffer {
  return der.sequence(...[...entries].sort((a, b) => a[0] - b[0]).map(([tag, value]) => explicit(tag, value)));
}

interface RecordOptions {
  level?: 0 | 1 | 2;
  challenge?: Uint8Array;
  software?: List;
  tee?: List;
}

function keyDescription(challenge: Uint8Array, options: RecordOptions): Buffer {
  const level = options.level ?? 1;
  return der.sequence(
    der.integer(300),
    der.enumerated(level),
    der.integer(300),
    der.enumerated(level),
    der.octetString(options.challenge ?? challenge),
    der.octetString(Buffer.alloc(0)),
    authorizationList(options.software ?? [[701, der.integer(NOW - DAY)]]),
    authorizationList(options.tee ?? [purposes(2), origin(GENERATED)]),
  );
}

const ROOT_KEY = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const { signer: ROOT_SIGNER, der: ROOT_DER } = selfSignedRoot('Android Test Root', ROOT_KEY);
const ROOT_NAME = ROOT_SIGNER.subjectDer;
const TEST_ROOT: TrustAnchor = { name: 'Android test root', certificate: parseCertificate(ROOT_DER) };
const testVerifier = androidVerifier({}, [TEST_ROOT]);

const CREDENTIAL = generateKeyPairSync('ec', { namedCurve: 'P-256' });

const authenticatorData = (publicKey: KeyObject) =>
  parsedAuthenticatorData({
    aaguid: Buffer.from('b93fd961f2e6462fb12282002247de78', 'hex'),
    credentialId: Buffer.alloc(16, 9),
    credentialKey: coseKey(publicKey),
  });

interface StatementOptions extends RecordOptions {
  alg?: unknown;
  leafKey?: KeyObject;
  signingKey?: KeyObject;
  noRecord?: boolean;
  /** An attStmt key the format does not define. */
  extra?: boolean;
  x5c?: unknown;
}

function androidKeyInput(options: StatementOptions = {}): FormatInput {
  const authData = authenticatorData(CREDENTIAL.publicKey);
  const clientDataHash = createHash('sha256').update('android client data').digest();
  const leaf = buildCertificate(
    {
      serial: Buffer.of(1),
      subjectDer: encodeName([['2.5.4.3', 'Android Keystore Key']]),
      spki: spkiOf(options.leafKey ?? CREDENTIAL.publicKey),
      notBefore: NOW - DAY,
      notAfter: NOW + 365 * DAY,
      extensions: options.noRecord
        ? []
        : [{ oid: '1.3.6.1.4.1.11129.2.1.17', critical: false, value: keyDescription(clientDataHash, options) }],
    },
    ROOT_SIGNER,
  );
  const sig = sign('sha256', Buffer.concat([authData.raw, clientDataHash]), {
    key: options.signingKey ?? CREDENTIAL.privateKey,
    dsaEncoding: 'der',
  });
  const attStmt = new Map<unknown, unknown>([
    ['alg', options.alg === undefined ? -7 : options.alg],
    ['sig', new Uint8Array(sig)],
    ['x5c', options.x5c === undefined ? [new Uint8Array(leaf), new Uint8Array(ROOT_DER)] : options.x5c],
  ]);
  if (options.extra) attStmt.set('ver', '1');
  return { attStmt, authData, clientDataHash, at: NOW };
}

describe('android-key: statements made here', () => {
  test('a TEE key attested under a configured root is trusted by the Android verifier', async () => {
    const result = await androidKeyFormat.verify(androidKeyInput(), context(testVerifier));
    expect(result).toMatchObject({
      attestationType: 'basic',
      trustedBy: 'Android test root',
      facts: { securityLevel: 'trusted-environment' },
    });
    expect(result.trustPath).toHaveLength(2);
  });

  test.each([
    [
      'allApplications in teeEnforced',
      { tee: [purposes(2), origin(GENERATED), allApplications] },
      'ANDROID_KEY_ALL_APPLICATIONS',
    ],
    ['allApplications in softwareEnforced', { software: [allApplications] }, 'ANDROID_KEY_ALL_APPLICATIONS'],
    ['an imported key', { tee: [purposes(2), origin(IMPORTED)] }, 'ANDROID_KEY_ORIGIN_NOT_GENERATED'],
    ['no origin', { tee: [purposes(2)] }, 'ANDROID_KEY_ORIGIN_NOT_GENERATED'],
    [
      'a TEE key whose origin only softwareEnforced states',
      { tee: [purposes(2)], software: [origin(GENERATED)] },
      'ANDROID_KEY_ORIGIN_NOT_GENERATED',
    ],
    ['a key for signing and decryption', { tee: [purposes(2, 1), origin(GENERATED)] }, 'ANDROID_KEY_PURPOSE_NOT_SIGN'],
    ['a verification key', { tee: [purposes(3), origin(GENERATED)] }, 'ANDROID_KEY_PURPOSE_NOT_SIGN'],
    ['no purpose', { tee: [origin(GENERATED)] }, 'ANDROID_KEY_PURPOSE_NOT_SIGN'],
    ['a record for another challenge', { challenge: Buffer.alloc(32, 1) }, 'ANDROID_KEY_CHALLENGE_MISMATCH'],
    ['a leaf without a record', { noRecord: true }, 'ANDROID_KEY_RECORD_MISSING'],
    [
      'a leaf for another key',
      { leafKey: generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey },
      'ANDROID_KEY_PUBLIC_KEY_MISMATCH',
    ],
    ['a signature by another key', { signingKey: ROOT_KEY.privateKey }, 'ANDROID_KEY_SIGNATURE_INVALID'],
    ['an RS256 alg for an EC key', { alg: -257 }, 'ANDROID_KEY_SIGNATURE_INVALID'],
    ['an unknown alg', { alg: -999 }, 'ANDROID_KEY_ALGORITHM_UNSUPPORTED'],
    ['a text alg', { alg: 'ES256' }, 'ANDROID_KEY_STATEMENT_MALFORMED'],
    ['a key android-key does not define', { extra: true }, 'ANDROID_KEY_STATEMENT_MALFORMED'],
    ['an x5c that is not an array', { x5c: new Uint8Array(4) }, 'ANDROID_KEY_STATEMENT_MALFORMED'],
    ['an x5c of text', { x5c: ['MIIB'] }, 'ANDROID_KEY_STATEMENT_MALFORMED'],
    ['an empty x5c', { x5c: [] }, 'CERTIFICATE_CHAIN_EMPTY'],
  ] as [string, StatementOptions, string][])('%s is refused', async (_name, options, code) => {
    // The statement's own checks hold with or without the Android verifier.
    for (const verifier of [undefined, testVerifier]) {
      expect(await failure(() => androidKeyFormat.verify(androidKeyInput(options), context(verifier)))).toMatchObject({
        code,
      });
    }
  });

  test('a software key may state its origin and purpose in softwareEnforced (when software keys are accepted at all)', async () => {
    const input = androidKeyInput({ level: 0, tee: [], software: [purposes(2), origin(GENERATED)] });
    const result = await androidKeyFormat.verify(input, context());
    expect(result.facts).toMatchObject({ securityLevel: 'software' });
    // The Android verifier, configured without android.allowSoftwareAttestation, refuses it.
    expect(await failure(() => androidKeyFormat.verify(input, context(testVerifier)))).toMatchObject({
      code: 'SOFTWARE_SECURITY_LEVEL',
    });
  });

  test('failures of the Android verifier other than an unknown root propagate', async () => {
    const input = androidKeyInput();
    const policy = { ...WEBAUTHN_ANDROID_POLICY, requireLockedBootloader: true };
    expect(await failure(() => androidKeyFormat.verify(input, context(testVerifier, policy)))).toMatchObject({
      code: 'ROOT_OF_TRUST_MISSING',
    });
    // A chain whose leaf the root did not sign.
    const otherRoot = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const impostor = buildCertificate(
      {
        serial: randomSerial(),
        subjectDer: ROOT_NAME,
        spki: spkiOf(otherRoot.publicKey),
        notBefore: NOW - DAY,
        notAfter: NOW + DAY,
        extensions: [extensions.basicConstraints(true)],
      },
      { key: otherRoot.privateKey, subjectDer: ROOT_NAME, keyIdentifier: keyIdentifier(spkiOf(otherRoot.publicKey)) },
    );
    const x5c = [(input.attStmt.get('x5c') as Uint8Array[])[0]!, new Uint8Array(impostor)];
    const forged = { ...input, attStmt: new Map([...input.attStmt, ['x5c', x5c]]) };
    expect(await failure(() => androidKeyFormat.verify(forged, context(testVerifier)))).toMatchObject({
      code: 'CERTIFICATE_SIGNATURE_INVALID',
    });
    // An unknown root is left to the common trust step.
    const result = await androidKeyFormat.verify(androidKeyInput(), context(googleVerifier));
    expect(result.trustedBy).toBeUndefined();
  });
});
