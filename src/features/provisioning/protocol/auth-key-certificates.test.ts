import { createHash, generateKeyPairSync, type KeyObject, randomBytes } from 'node:crypto';
import { encode } from 'cbor2';
import { describe, expect, it } from 'vitest';
import { outcome } from '../../../../test/helpers/outcome.js';
import * as der from '../../../crypto/asn1/der-writer.js';
import { coseKeyToPublicKey } from '../../../crypto/cose/cose-key.js';
import { spkiOf } from '../../../crypto/keys.js';
import {
  buildCertificate,
  encodeName,
  type Extension,
  keyIdentifier,
} from '../../../crypto/x509/certificate-builder.js';
import { PROOF_OF_BINDING_OID, verifyAuthKeyCertificate, verifyAuthKeyCertificates } from './auth-key-certificates.js';

const AT = Date.UTC(2026, 11, 3);
const DAY = 86_400_000;
const credentialKey = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const proofOfProvisioning = encode(['ProofOfProvisioning', 'org.iso.18013.5.1.mDL', [], new Map(), false]);
const popSha256 = createHash('sha256').update(proofOfProvisioning).digest();

/** ProofOfBinding as the Identity Credential HAL writes it: a DER OCTET STRING around the CBOR. */
const halExtension = (cbor: Uint8Array): Extension => ({
  oid: PROOF_OF_BINDING_OID,
  critical: false,
  value: der.octetString(cbor),
});
/** ProofOfBinding as the reference server's early tests wrote it: the CBOR directly in extnValue. */
const bareExtension = (cbor: Uint8Array): Extension => ({ oid: PROOF_OF_BINDING_OID, critical: false, value: cbor });
const proofOfBinding = (hash: Uint8Array = popSha256) => encode(['ProofOfBinding', new Uint8Array(hash)]);

/** An auth-key certificate as the device makes it: the auth key's, signed by `signer` (the CredentialKey). */
function authKeyCertificate(
  options: { extensions?: Extension[]; signer?: KeyObject; authKey?: KeyObject; notAfter?: number } = {},
): { der: Buffer; authKey: KeyObject } {
  const authKey = options.authKey ?? generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey;
  const signer = options.signer ?? credentialKey.privateKey;
  const certificate = buildCertificate(
    {
      serial: Buffer.of(1),
      subjectDer: encodeName([['2.5.4.3', 'Android Identity Credential Authentication Key']]),
      spki: spkiOf(authKey),
      notBefore: AT - DAY,
      notAfter: options.notAfter ?? AT + 365 * DAY,
      extensions: options.extensions ?? [halExtension(proofOfBinding())],
    },
    {
      key: signer,
      subjectDer: encodeName([['2.5.4.3', 'Android Identity Credential Key']]),
      keyIdentifier: keyIdentifier(spkiOf(credentialKey.publicKey)),
    },
  );
  return { der: certificate, authKey };
}

const verify = (certificate: Uint8Array) =>
  outcome(() => verifyAuthKeyCertificate(certificate, credentialKey.publicKey, popSha256, AT));

describe('auth-key certificates', () => {
  it('returns the auth key of a certificate signed by the CredentialKey with the right ProofOfBinding', () => {
    const { der: certificate, authKey } = authKeyCertificate();
    const certified = verifyAuthKeyCertificate(certificate, credentialKey.publicKey, popSha256, AT);
    expect(spkiOf(certified.publicKey).equals(spkiOf(authKey))).toBe(true);
    expect(spkiOf(coseKeyToPublicKey(certified.coseKey)).equals(spkiOf(authKey))).toBe(true);
    expect(certified.fingerprint).toBe(createHash('sha256').update(spkiOf(authKey)).digest('hex'));
    expect(certified.notAfter).toBe(AT + 365 * DAY);
  });

  it('reads ProofOfBinding placed directly in extnValue too', () => {
    expect(verify(authKeyCertificate({ extensions: [bareExtension(proofOfBinding())] }).der)).toBe('accepted');
  });

  it('refuses a certificate without ProofOfBinding', () => {
    expect(verify(authKeyCertificate({ extensions: [] }).der)).toBe('TRUST PROVISIONING_PROOF_OF_BINDING_MISSING');
  });

  it('refuses a ProofOfBinding over another ProofOfProvisioning', () => {
    const otherHash = createHash('sha256').update(randomBytes(16)).digest();
    expect(verify(authKeyCertificate({ extensions: [halExtension(proofOfBinding(otherHash))] }).der)).toBe(
      'TRUST PROVISIONING_PROOF_OF_BINDING_MISMATCH',
    );
  });

  it('refuses a certificate not signed by the CredentialKey', () => {
    const stranger = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    expect(verify(authKeyCertificate({ signer: stranger.privateKey }).der)).toBe(
      'TRUST PROVISIONING_AUTH_KEY_CERT_NOT_SIGNED_BY_CREDENTIAL_KEY',
    );
  });

  it('refuses an expired certificate', () => {
    expect(verify(authKeyCertificate({ notAfter: AT - 1000 }).der)).toBe('TIME PROVISIONING_AUTH_KEY_CERT_EXPIRED');
  });

  const malformedBindings: [string, Uint8Array][] = [
    ['another label', encode(['ProofOfProvisioning', new Uint8Array(popSha256)])],
    ['a short hash', encode(['ProofOfBinding', new Uint8Array(popSha256.subarray(1))])],
    ['a text hash', encode(['ProofOfBinding', popSha256.toString('hex')])],
    ['a third element', encode(['ProofOfBinding', new Uint8Array(popSha256), 1])],
    ['no CBOR at all', Uint8Array.of(0xff, 0x00)],
  ];
  for (const [name, cbor] of malformedBindings) {
    it(`refuses a malformed ProofOfBinding: ${name}`, () => {
      expect(verify(authKeyCertificate({ extensions: [halExtension(cbor)] }).der)).toBe(
        'CONTENT PROVISIONING_PROOF_OF_BINDING_MALFORMED',
      );
    });
  }

  it('refuses a ProofOfBinding wrapper with trailing bytes', () => {
    const value = Buffer.concat([der.octetString(proofOfBinding()), Buffer.of(0)]);
    expect(
      verify(authKeyCertificate({ extensions: [{ oid: PROOF_OF_BINDING_OID, critical: false, value }] }).der),
    ).toBe('CONTENT PROVISIONING_PROOF_OF_BINDING_MALFORMED');
  });

  it('refuses bytes that are not a certificate, and auth keys not on P-256', () => {
    expect(verify(Uint8Array.of(0x30, 0x03, 0x02, 0x01, 0x01))).toBe('CONTENT PROVISIONING_AUTH_KEY_CERT_MALFORMED');
    const p384 = generateKeyPairSync('ec', { namedCurve: 'P-384' }).publicKey;
    expect(verify(authKeyCertificate({ authKey: p384 }).der)).toBe('CONTENT PROVISIONING_AUTH_KEY_CERT_MALFORMED');
  });

  it('verifies a request of several certificates, refusing the same auth key twice', () => {
    const first = authKeyCertificate();
    const second = authKeyCertificate();
    const keys = verifyAuthKeyCertificates([first.der, second.der], credentialKey.publicKey, popSha256, AT);
    expect(keys.map((key) => spkiOf(key.publicKey))).toEqual([spkiOf(first.authKey), spkiOf(second.authKey)]);
    const again = authKeyCertificate({ authKey: first.authKey });
    expect(
      outcome(() => verifyAuthKeyCertificates([first.der, again.der], credentialKey.publicKey, popSha256, AT)),
    ).toBe('CONTENT PROVISIONING_AUTH_KEY_CERT_DUPLICATE');
  });
});
