import { createHash, generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  AAGUID,
  RP_ID,
  coseKey,
  ecKey,
  formatTester,
  leafCertificate,
  registration,
  signWith,
  statementOf,
  testCa,
  withStatement,
  type KeyPair,
} from '../../../../test/webauthn/build-registration.js';
import { fidoU2fFormat } from './fido-u2f.js';

const root = testCa('U2F Test Root');
const batchKey = ecKey();
const batch = leafCertificate(root, batchKey, { extensions: [] });
const CREDENTIAL_ID = Buffer.alloc(64, 9);

/** The U2F registration signature: 0x00 ‖ rpIdHash ‖ clientDataHash ‖ credentialId ‖ 04‖x‖y. */
const u2fStatement =
  (signer: KeyPair, credential: KeyPair, certificate: Uint8Array = batch, rpId = RP_ID) =>
  (_authData: Buffer, clientDataHash: Buffer) => {
    const jwk = credential.publicKey.export({ format: 'jwk' });
    const point = Buffer.concat([Buffer.of(4), Buffer.from(jwk.x!, 'base64url'), Buffer.from(jwk.y!, 'base64url')]);
    const data = Buffer.concat([
      Buffer.of(0),
      createHash('sha256').update(rpId).digest(),
      clientDataHash,
      CREDENTIAL_ID,
      point,
    ]);
    return new Map<string, unknown>([
      ['sig', signWith(signer.privateKey, data)],
      ['x5c', [certificate]],
    ]);
  };

function u2f(options: { signer?: KeyPair; certificate?: Uint8Array; rpId?: string; aaguid?: Buffer } = {}) {
  const credential = ecKey();
  return registration(
    'fido-u2f',
    u2fStatement(options.signer ?? batchKey, credential, options.certificate, options.rpId),
    { credential, credentialId: CREDENTIAL_ID, aaguid: options.aaguid },
  );
}

const { verify, refusal } = formatTester(fidoU2fFormat);

describe('fido-u2f attestation (WebAuthn §8.6)', () => {
  it('verifies the U2F registration signature by the attestation certificate', async () => {
    const result = await verify(u2f());
    expect(result.attestationType).toBe('basic');
    expect(result.trustPath.map((certificate) => certificate.der)).toEqual([batch]);
  });

  it('refuses a signature by another key', async () => {
    expect(await refusal(u2f({ signer: ecKey() }))).toEqual({
      category: 'TRUST',
      code: 'ATTESTATION_SIGNATURE_INVALID',
    });
  });

  it('refuses a signature made for another RP ID', async () => {
    expect(await refusal(u2f({ rpId: 'other.example' }))).toEqual({
      category: 'TRUST',
      code: 'ATTESTATION_SIGNATURE_INVALID',
    });
  });

  it('refuses an AAGUID (U2F has none)', async () => {
    expect(await refusal(u2f({ aaguid: AAGUID }))).toEqual({
      category: 'CONTENT',
      code: 'ATTESTATION_AAGUID_NOT_ZERO',
    });
  });

  it('refuses an attestation certificate that is not EC P-256', async () => {
    const p384 = ecKey('P-384');
    const certificate = leafCertificate(root, p384, { extensions: [] });
    expect(await refusal(u2f({ signer: p384, certificate }))).toEqual({
      category: 'CONTENT',
      code: 'ATTESTATION_KEY_UNSUPPORTED',
    });
    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const rsaCertificate = leafCertificate(root, rsa, { extensions: [] });
    expect((await refusal(u2f({ signer: rsa, certificate: rsaCertificate }))).code).toBe('ATTESTATION_KEY_UNSUPPORTED');
  });

  it('refuses a credential key that is not EC P-256', async () => {
    const credential = ecKey('P-384');
    const made = registration(
      'fido-u2f',
      () =>
        new Map<string, unknown>([
          ['sig', new Uint8Array(70)],
          ['x5c', [batch]],
        ]),
      { credential, credentialKey: coseKey(credential.publicKey), credentialId: CREDENTIAL_ID },
    );
    expect(await refusal(made)).toEqual({ category: 'CONTENT', code: 'ATTESTATION_KEY_UNSUPPORTED' });
  });

  it('refuses an x5c of more than one certificate, and statements with other keys', async () => {
    const made = u2f();
    const statement = statementOf(made);
    statement.set('x5c', [batch, root.der]);
    expect(await refusal(withStatement(made, statement))).toEqual({
      category: 'CONTENT',
      code: 'ATTESTATION_STATEMENT_MALFORMED',
    });
    const extra = statementOf(made);
    extra.set('alg', -7);
    expect((await refusal(withStatement(made, extra))).code).toBe('ATTESTATION_STATEMENT_MALFORMED');
    const missing = statementOf(made);
    missing.delete('sig');
    expect((await refusal(withStatement(made, missing))).code).toBe('ATTESTATION_STATEMENT_MALFORMED');
  });
});
