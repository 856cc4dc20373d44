import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { shippedAnchors } from '../../../assets.js';
import * as der from '../../../crypto/asn1/der-writer.js';
import { isKeywardError } from '../../../errors.js';
import { TrustAnchors } from '../../../crypto/x509/chain.js';
import { extensions } from '../../../crypto/x509/certificate-builder.js';
import {
  NOW,
  ecKey,
  formatTester,
  leafCertificate,
  registration,
  testCa,
  type KeyPair,
} from '../../../../test/webauthn/build-registration.js';
import { assessTrust } from '../trust.js';
import { appleFormat } from './apple.js';

/** An Apple-shaped chain made here: a P-384 root, a "WebAuthn CA 1" and per-credential certificates. */
const root = testCa('Test WebAuthn Root CA', undefined, ecKey('P-384'));
const ca = testCa('Test WebAuthn CA 1', root, ecKey('P-384'));

/** Apple's nonce extension: SEQUENCE { [1] EXPLICIT OCTET STRING nonce }. */
const nonceExtension = (nonce: Uint8Array) => ({
  oid: '1.2.840.113635.100.8.2',
  critical: false,
  value: der.sequence(der.explicit(1, der.octetString(nonce))),
});

const APPLE_SUBJECT = [
  ['2.5.4.3', 'credential certificate'],
  ['2.5.4.11', 'AAA Certification'],
  ['2.5.4.10', 'Apple Inc.'],
  ['2.5.4.8', 'California'],
] as const;

/** The credential certificate for `certified`, with the nonce of `nonceOf(authData, clientDataHash)`. */
const appleStatement =
  (
    certified: KeyPair,
    options: { nonce?: (authData: Buffer, clientDataHash: Buffer) => Buffer; noNonce?: boolean; alg?: number } = {},
  ) =>
  (authData: Buffer, clientDataHash: Buffer) => {
    const nonce =
      options.nonce?.(authData, clientDataHash) ??
      createHash('sha256')
        .update(Buffer.concat([authData, clientDataHash]))
        .digest();
    const credCert = leafCertificate(ca, certified, {
      subject: APPLE_SUBJECT,
      extensions: [extensions.basicConstraints(false), ...(options.noNonce ? [] : [nonceExtension(nonce)])],
    });
    return new Map<string, unknown>([
      ...(options.alg === undefined ? [] : [['alg', options.alg] as [string, unknown]]),
      ['x5c', [credCert, ca.der]],
    ]);
  };

function apple(options: Parameters<typeof appleStatement>[1] & { certified?: KeyPair } = {}) {
  const credential = ecKey();
  return registration('apple', appleStatement(options.certified ?? credential, options), { credential });
}

const { verify, refusal } = formatTester(appleFormat);

describe('apple anonymous attestation (WebAuthn §8.8)', () => {
  it('accepts a credential certificate carrying the nonce and certifying the credential key', async () => {
    const result = await verify(apple());
    expect(result.attestationType).toBe('anonca');
    expect(result.trustPath).toHaveLength(2);
  });

  it("accepts the alg Apple's authenticators add to the statement", async () => {
    expect((await verify(apple({ alg: -7 }))).attestationType).toBe('anonca');
  });

  it('refuses a nonce made for other client data', async () => {
    const nonce = () => createHash('sha256').update('another registration').digest();
    expect(await refusal(apple({ nonce }))).toEqual({ category: 'CONTENT', code: 'ATTESTATION_NONCE_MISMATCH' });
  });

  it('refuses a nonce over authenticator data alone', async () => {
    const nonce = (authData: Buffer) => createHash('sha256').update(authData).digest();
    expect((await refusal(apple({ nonce }))).code).toBe('ATTESTATION_NONCE_MISMATCH');
  });

  it('refuses a certificate for another key than the credential key', async () => {
    expect(await refusal(apple({ certified: ecKey() }))).toEqual({
      category: 'CONTENT',
      code: 'ATTESTATION_KEY_MISMATCH',
    });
  });

  it('refuses a credential certificate without the nonce extension', async () => {
    expect(await refusal(apple({ noNonce: true }))).toEqual({ category: 'CONTENT', code: 'NONCE_EXTENSION_MISSING' });
  });

  it('refuses statements without x5c or with an alg that is not an integer', async () => {
    const credential = ecKey();
    expect((await refusal(registration('apple', () => new Map(), { credential }))).code).toBe(
      'ATTESTATION_STATEMENT_MALFORMED',
    );
    expect((await refusal(apple({ alg: 'ES256' as unknown as number }))).code).toBe('ATTESTATION_STATEMENT_MALFORMED');
  });

  it('is trusted through its own root only: this chain does not reach the Apple WebAuthn Root CA', async () => {
    const result = await verify(apple());
    const options = { entry: undefined, at: NOW, maxChainLength: 5 };
    expect(
      assessTrust(result, {
        ...options,
        roots: new TrustAnchors([{ name: 'test root', certificate: root.certificate }]),
      }),
    ).toEqual({
      trust: 'root',
      anchor: 'test root',
    });
    const appleRoot = new TrustAnchors(shippedAnchors('roots/apple-webauthn-root-ca.pem', 'Apple WebAuthn Root CA'));
    const untrusted = assessTrust(result, { ...options, roots: appleRoot });
    expect(untrusted.trust).toBe('none');
    expect(isKeywardError(untrusted.failure) && untrusted.failure.code).toBe('UNTRUSTED_ROOT');
  });
});
