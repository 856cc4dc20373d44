import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import * as der from '../../../crypto/asn1/der-writer.js';
import { spkiOf } from '../../../crypto/keys.js';
import { encodeName, extensions, randomSerial, signed } from '../../../crypto/x509/certificate-builder.js';
import {
  AAGUID,
  NOW,
  PACKED_SUBJECT,
  aaguidExtension,
  ecKey,
  formatTester,
  leafCertificate,
  packedFull,
  packedSelf,
  registration,
  statementOf,
  testCa,
  withStatement,
  type KeyPair,
} from '../../../../test/webauthn/build-registration.js';
import { packedFormat } from './packed.js';

const root = testCa('Packed Test Root');
const leafKey = ecKey();

const { verify, refusal } = formatTester(packedFormat);

/** A packed full attestation whose leaf has the given options. */
function full(options: Parameters<typeof leafCertificate>[2] = {}, key: KeyPair = leafKey, alg = -7) {
  const leaf = leafCertificate(root, key, options);
  return registration('packed', packedFull(key, [leaf, root.der], alg), { aaguid: AAGUID });
}

/** A v1 certificate (no version field, no extensions) with the packed subject. */
function v1Certificate(key: KeyPair): Buffer {
  const tbs = der.sequence(
    der.integer(BigInt(`0x${randomSerial().toString('hex')}`)),
    der.sequence(der.oid('1.2.840.10045.4.3.2')),
    root.signer.subjectDer,
    der.sequence(der.time(NOW - 1000), der.time(NOW + 1000)),
    encodeName(PACKED_SUBJECT),
    spkiOf(key.publicKey),
  );
  return signed(tbs, root.key.privateKey);
}

describe('packed self attestation (WebAuthn §8.2)', () => {
  it('verifies a signature by the credential key with its algorithm', async () => {
    const credential = ecKey();
    const result = await verify(registration('packed', packedSelf(credential), { credential }));
    expect(result).toEqual({ attestationType: 'self', trustPath: [] });
  });

  it('verifies RSA and Ed25519 credential keys', async () => {
    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
    expect((await verify(registration('packed', packedSelf(rsa, -257), { credential: rsa }))).attestationType).toBe(
      'self',
    );
    const ed = generateKeyPairSync('ed25519');
    expect((await verify(registration('packed', packedSelf(ed, -8), { credential: ed }))).attestationType).toBe('self');
  });

  it("refuses an alg other than the credential key's", async () => {
    const credential = ecKey();
    expect(await refusal(registration('packed', packedSelf(credential, -35), { credential }))).toEqual({
      category: 'CONTENT',
      code: 'ATTESTATION_ALGORITHM_MISMATCH',
    });
  });

  it('refuses a signature by another key', async () => {
    expect(await refusal(registration('packed', packedSelf(ecKey()), { credential: ecKey() }))).toEqual({
      category: 'TRUST',
      code: 'ATTESTATION_SIGNATURE_INVALID',
    });
  });

  it('refuses a signature over other client data', async () => {
    const credential = ecKey();
    const made = registration('packed', packedSelf(credential), { credential });
    const other = registration('packed', packedSelf(credential), { credential, counter: 1 });
    expect(await refusal(withStatement(made, statementOf(other)))).toEqual({
      category: 'TRUST',
      code: 'ATTESTATION_SIGNATURE_INVALID',
    });
  });
});

describe('packed full attestation (WebAuthn §8.2, §8.2.1)', () => {
  it('verifies the leaf signature and returns x5c as the trust path', async () => {
    const result = await verify(full({ extensions: [extensions.basicConstraints(false), aaguidExtension(AAGUID)] }));
    expect(result.attestationType).toBe('basic');
    expect(result.trustPath.map((certificate) => certificate.subject)).toEqual([
      'C=US, O=Keyward Tests, OU=Authenticator Attestation, CN=Keyward Test Authenticator',
      'C=US, O=Keyward Tests, CN=Packed Test Root',
    ]);
    expect(result.warnings).toBeUndefined();
  });

  it('accepts a leaf without the AAGUID extension or basicConstraints', async () => {
    expect((await verify(full({ extensions: [] }))).attestationType).toBe('basic');
  });

  it('refuses a signature by a key other than the leaf', async () => {
    const leaf = leafCertificate(root, leafKey);
    const made = registration('packed', packedFull(ecKey(), [leaf]), { aaguid: AAGUID });
    expect(await refusal(made)).toEqual({ category: 'TRUST', code: 'ATTESTATION_SIGNATURE_INVALID' });
  });

  it("refuses an alg the leaf's key cannot sign with", async () => {
    expect(await refusal(full({}, leafKey, -257))).toEqual({
      category: 'CONTENT',
      code: 'ATTESTATION_ALGORITHM_MISMATCH',
    });
  });

  it('refuses an alg Keyward does not know', async () => {
    expect(await refusal(full({}, leafKey, -47))).toEqual({ category: 'CONTENT', code: 'COSE_ALGORITHM_UNSUPPORTED' });
  });

  it('verifies an RSA leaf with RS256', async () => {
    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
    expect((await verify(full({}, rsa, -257))).attestationType).toBe('basic');
  });

  const subjects: [string, [string, string][]][] = [
    [
      'OU is not "Authenticator Attestation"',
      [
        ['2.5.4.6', 'US'],
        ['2.5.4.10', 'Vendor'],
        ['2.5.4.11', 'Attestation'],
        ['2.5.4.3', 'Key'],
      ],
    ],
    [
      'C is missing',
      [
        ['2.5.4.10', 'Vendor'],
        ['2.5.4.11', 'Authenticator Attestation'],
        ['2.5.4.3', 'Key'],
      ],
    ],
    [
      'C is not a two-letter code',
      [
        ['2.5.4.6', 'USA'],
        ['2.5.4.10', 'Vendor'],
        ['2.5.4.11', 'Authenticator Attestation'],
        ['2.5.4.3', 'Key'],
      ],
    ],
    [
      'O is missing',
      [
        ['2.5.4.6', 'US'],
        ['2.5.4.11', 'Authenticator Attestation'],
        ['2.5.4.3', 'Key'],
      ],
    ],
    [
      'CN is missing',
      [
        ['2.5.4.6', 'US'],
        ['2.5.4.10', 'Vendor'],
        ['2.5.4.11', 'Authenticator Attestation'],
      ],
    ],
    [
      'OU appears twice',
      [
        ['2.5.4.6', 'US'],
        ['2.5.4.10', 'Vendor'],
        ['2.5.4.11', 'Authenticator Attestation'],
        ['2.5.4.11', 'Other'],
        ['2.5.4.3', 'Key'],
      ],
    ],
  ];
  for (const [why, subject] of subjects) {
    it(`refuses a leaf whose subject ${why}`, async () => {
      expect(await refusal(full({ subject }))).toEqual({
        category: 'CONTENT',
        code: 'ATTESTATION_CERTIFICATE_INVALID',
      });
    });
  }

  it('refuses a CA as attestation certificate', async () => {
    expect(await refusal(full({ extensions: [extensions.basicConstraints(true)] }))).toEqual({
      category: 'CONTENT',
      code: 'ATTESTATION_CERTIFICATE_INVALID',
    });
  });

  it('refuses a version 1 certificate', async () => {
    const made = registration('packed', packedFull(leafKey, [v1Certificate(leafKey)]), { aaguid: AAGUID });
    expect(await refusal(made)).toEqual({ category: 'CONTENT', code: 'ATTESTATION_CERTIFICATE_INVALID' });
  });

  it("refuses an AAGUID extension naming another model than the authenticator data's", async () => {
    const other = Buffer.alloc(16, 0x42);
    expect(await refusal(full({ extensions: [aaguidExtension(other)] }))).toEqual({
      category: 'CONTENT',
      code: 'ATTESTATION_AAGUID_MISMATCH',
    });
  });

  it('refuses a critical AAGUID extension', async () => {
    expect(await refusal(full({ extensions: [aaguidExtension(AAGUID, true)] }))).toEqual({
      category: 'CONTENT',
      code: 'ATTESTATION_CERTIFICATE_INVALID',
    });
  });

  it('refuses a malformed AAGUID extension', async () => {
    const malformed = { oid: '1.3.6.1.4.1.45724.1.1.4', critical: false, value: AAGUID };
    expect((await refusal(full({ extensions: [malformed] }))).code).toBe('ATTESTATION_CERTIFICATE_INVALID');
  });

  it("accepts basicConstraints with cA FALSE written out (Chrome's virtual authenticator) with a warning", async () => {
    const explicit = { oid: '2.5.29.19', critical: true, value: Buffer.from('3003010100', 'hex') };
    const result = await verify(full({ extensions: [explicit] }));
    expect(result.attestationType).toBe('basic');
    expect(result.warnings).toEqual([expect.stringContaining('basicConstraints cA FALSE explicitly')]);
  });
});

describe('packed statement syntax', () => {
  const valid = () => full();

  it('refuses keys the format does not define (ECDAA is gone from WebAuthn Level 3)', async () => {
    const statement = statementOf(valid());
    statement.set('ecdaaKeyId', new Uint8Array(32));
    expect(await refusal(withStatement(valid(), statement))).toEqual({
      category: 'CONTENT',
      code: 'ATTESTATION_STATEMENT_MALFORMED',
    });
  });

  const broken: [string, (statement: Map<string, unknown>) => void][] = [
    ['no sig', (statement) => statement.delete('sig')],
    ['no alg', (statement) => statement.delete('alg')],
    ['a text alg', (statement) => statement.set('alg', 'ES256')],
    ['an empty sig', (statement) => statement.set('sig', new Uint8Array())],
    ['an x5c that is not an array', (statement) => statement.set('x5c', new Uint8Array(10))],
    ['an x5c holding a number', (statement) => statement.set('x5c', [1])],
  ];
  for (const [why, tamper] of broken) {
    it(`refuses a statement with ${why}`, async () => {
      const made = valid();
      const statement = statementOf(made);
      tamper(statement);
      expect(await refusal(withStatement(made, statement))).toEqual({
        category: 'CONTENT',
        code: 'ATTESTATION_STATEMENT_MALFORMED',
      });
    });
  }

  it('refuses an empty x5c and one longer than the configured maximum', async () => {
    const made = valid();
    const statement = statementOf(made);
    statement.set('x5c', []);
    expect((await refusal(withStatement(made, statement))).code).toBe('CERTIFICATE_CHAIN_EMPTY');
    const x5c = statementOf(made).get('x5c') as Uint8Array[];
    statement.set('x5c', [...x5c, ...x5c, ...x5c]);
    expect((await refusal(withStatement(made, statement))).code).toBe('CERTIFICATE_CHAIN_TOO_LONG');
  });

  it('refuses a leaf that is not a certificate', async () => {
    const made = valid();
    const statement = statementOf(made);
    statement.set('x5c', [new Uint8Array([0x30, 0x03, 0x02, 0x01, 0x01])]);
    expect(await refusal(withStatement(made, statement))).toEqual({
      category: 'CONTENT',
      code: 'MALFORMED_CERTIFICATE',
    });
  });
});
