import { createPrivateKey, generateKeyPairSync } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Tag } from 'cbor2';
import { describe, expect, it } from 'vitest';
import { parseCertificate } from '../../crypto/x509/certificate.js';
import { TrustAnchors } from '../../crypto/x509/chain.js';
import { mdocNamespacesToJson } from './json-values.js';
import { mdocVerificationResult, verifyMdoc, type VerifyMdocOptions } from './verify.js';

/** ISO 18013-5 Annex D (test/vectors/mdoc/README.md): a DeviceResponse with a deviceMac. */
const vectors: Record<string, string> = JSON.parse(
  readFileSync(fileURLToPath(new URL('../../../test/vectors/mdoc/iso18013-5-annex-d.json', import.meta.url)), 'utf8'),
).vectors;
const hex = (name: string) => Buffer.from(vectors[name]!, 'hex');

const anchorsOf = (name: string) =>
  new TrustAnchors([{ name, certificate: parseCertificate(hex(name), 'MALFORMED_TRUST_ANCHOR') }]);
const dsTrusted = anchorsOf('DS_CERT');
const readerKey = createPrivateKey({
  key: {
    kty: 'EC',
    crv: 'P-256',
    x: hex('EPHEMERAL_READER_KEY_X').toString('base64url'),
    y: hex('EPHEMERAL_READER_KEY_Y').toString('base64url'),
    d: hex('EPHEMERAL_READER_KEY_D').toString('base64url'),
  },
  format: 'jwk',
});
/** Inside the DS certificate (2020-10-01T00:00Z..2021-10-01T00:00Z) and the MSO (13:30:02Z..13:30:02Z). */
const AT = Date.parse('2021-01-01T00:00:00Z');
const options: VerifyMdocOptions = {
  anchors: dsTrusted,
  at: AT,
  sessionTranscript: hex('SESSION_TRANSCRIPT_BYTES'),
  readerKey,
};
const response = hex('DEVICE_RESPONSE');

/** The response with the first occurrence of `from` (hex) replaced by `to`. */
function patched(from: string, to: string): Buffer {
  const text = response.toString('hex');
  const index = text.indexOf(from);
  expect(index).toBeGreaterThan(0);
  expect(index % 2).toBe(0);
  return Buffer.from(text.slice(0, index) + to + text.slice(index + from.length), 'hex');
}

const codeOf = (bytes: Uint8Array, overrides: Partial<VerifyMdocOptions> = {}) => {
  const result = mdocVerificationResult(bytes, { ...options, ...overrides });
  return result.verified ? 'verified' : result.code;
};

describe('ISO 18013-5 Annex D DeviceResponse', () => {
  it('verifies the issuer signature, every digest, the validity and the deviceMac', () => {
    const result = verifyMdoc(response, options);
    expect(result.verified).toBe(true);
    expect(result.documents).toHaveLength(1);
    const [document] = result.documents;
    expect(document).toMatchObject({
      docType: 'org.iso.18013.5.1.mDL',
      issuer: 'CN=utopia ds, C=US',
      digestAlgorithm: 'SHA-256',
      deviceAuth: 'mac',
      validity: {
        signed: '2020-10-01T13:30:02.000Z',
        validFrom: '2020-10-01T13:30:02.000Z',
        validUntil: '2021-10-01T13:30:02.000Z',
      },
    });
    const mdl = document!.namespaces['org.iso.18013.5.1']!;
    expect(Object.keys(mdl)).toEqual([
      'family_name',
      'issue_date',
      'expiry_date',
      'document_number',
      'portrait',
      'driving_privileges',
    ]);
    expect(mdl.family_name).toBe('Doe');
    expect(mdl.document_number).toBe('123456789');
    expect(mdl.issue_date).toEqual(new Tag(1004, '2019-10-20'));
    expect(Buffer.from(mdl.portrait as Uint8Array)).toEqual(hex('DEVICE_RESPONSE_PORTRAIT_DATA'));
    expect(document!.deviceNamespaces).toBeUndefined();
  });

  it('accepts the SessionTranscript without its tag-24 wrapping', () => {
    const wrapped = hex('SESSION_TRANSCRIPT_BYTES');
    // d8 18 59 02 41: tag 24 and a two-byte bstr head around the 0x241-byte SessionTranscript.
    expect(wrapped.subarray(0, 5).toString('hex')).toBe('d818590241');
    expect(codeOf(response, { sessionTranscript: wrapped.subarray(5) })).toBe('verified');
  });

  it('leaves deviceAuth unchecked without the session transcript or the reader key', () => {
    expect(verifyMdoc(response, { ...options, sessionTranscript: undefined }).documents[0]!.deviceAuth).toBe(
      'not-checked',
    );
    expect(verifyMdoc(response, { ...options, readerKey: undefined }).documents[0]!.deviceAuth).toBe('not-checked');
  });

  it('refuses an altered data element (family_name "Doe" → "Dod")', () => {
    expect(codeOf(patched('6c656c656d656e7456616c756563446f65', '6c656c656d656e7456616c756563446f64'))).toBe(
      'MDOC_DIGEST_MISMATCH',
    );
  });

  it('refuses a flipped MSO digest (the issuer signature no longer verifies)', () => {
    // valueDigests org.iso.18013.5.1 digestID 0 starts 75167333…
    expect(codeOf(patched('582075167333b47b', '582075167333b47c'))).toBe('MDOC_ISSUER_SIGNATURE_INVALID');
  });

  it('refuses an item whose digestID the MSO does not sign', () => {
    // family_name claims digestID 0; the MSO has no digestID 23.
    expect(codeOf(patched('686469676573744944006672616e646f6d', '686469676573744944176672616e646f6d'))).toBe(
      'MDOC_DIGEST_MISSING',
    );
  });

  it('refuses a document signer chained to another trust anchor', () => {
    expect(codeOf(response, { anchors: anchorsOf('READER_CERT') })).toBe('MDOC_ISSUER_UNTRUSTED');
  });

  it('refuses a time outside the validity', () => {
    // After the DS certificate's notBefore, before the MSO validFrom.
    expect(codeOf(response, { at: Date.parse('2020-10-01T12:00:00Z') })).toBe('MDOC_NOT_YET_VALID');
    // The DS certificate expires before the MSO: its validity fails first.
    expect(codeOf(response, { at: Date.parse('2021-10-01T06:00:00Z') })).toBe('MDOC_ISSUER_CERTIFICATE_EXPIRED');
    expect(codeOf(response, { at: Date.parse('2019-01-01T00:00:00Z') })).toBe('MDOC_ISSUER_CERTIFICATE_EXPIRED');
  });

  it('refuses a wrong reader key or another session transcript', () => {
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    expect(codeOf(response, { readerKey: privateKey })).toBe('MDOC_DEVICE_MAC_INVALID');
    const { privateKey: p384 } = generateKeyPairSync('ec', { namedCurve: 'P-384' });
    expect(codeOf(response, { readerKey: p384 })).toBe('MDOC_DEVICE_MAC_INVALID');
    const transcript = hex('SESSION_TRANSCRIPT_BYTES');
    transcript[transcript.length - 1]! ^= 1;
    expect(codeOf(response, { sessionTranscript: transcript })).toBe('MDOC_DEVICE_MAC_INVALID');
  });

  it('refuses a flipped deviceMac tag', () => {
    expect(codeOf(patched('e99521a85ad7891b', 'e99521a85ad7891c'))).toBe('MDOC_DEVICE_MAC_INVALID');
  });

  it('refuses truncated and oversized input', () => {
    expect(codeOf(response.subarray(0, response.length - 1))).toBe('MDOC_MALFORMED');
    expect(codeOf(response, { limits: { maxBytes: 1000 } })).toBe('MDOC_TOO_LARGE');
    expect(codeOf(response, { limits: { maxItems: 5 } })).toBe('MDOC_TOO_LARGE');
    expect(codeOf(response, { limits: { maxDepth: 4 } })).toBe('MDOC_TOO_LARGE');
  });
});

describe('mdocNamespacesToJson', () => {
  it('turns the Annex D elements into JSON values', () => {
    const [document] = verifyMdoc(response, options).documents;
    const json = mdocNamespacesToJson(document!.namespaces)['org.iso.18013.5.1']!;
    expect(json.issue_date).toBe('2019-10-20');
    expect(json.portrait).toBe(hex('DEVICE_RESPONSE_PORTRAIT_DATA').toString('base64url'));
    expect(json.driving_privileges).toEqual([
      { vehicle_category_code: 'A', issue_date: '2018-08-09', expiry_date: '2024-10-20' },
      { vehicle_category_code: 'B', issue_date: '2017-02-23', expiry_date: '2024-10-20' },
    ]);
    expect(JSON.parse(JSON.stringify(json))).toEqual(json);
  });
});
