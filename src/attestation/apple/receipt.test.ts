import { X509Certificate } from 'node:crypto';
import { AsnConvert } from '@peculiar/asn1-schema';
import { ContentInfo, SignedData } from '@peculiar/asn1-cms';
import { describe, expect, it } from 'vitest';
import { verifyAppAttestReceipt } from './receipt.js';
import { appleAppAttestationRoot, appleRootG3 } from '../../config/trust-anchors.js';
import { TrustAnchors } from '../../crypto/x509/chain.js';
import { expectRejection } from '../../../test/helpers/outcome.js';
import { decodeAttestation } from '../../../test/helpers/apple.js';
import { DEVICECHECK_APP_ID, devicecheckVectors } from '../../../test/helpers/apple-vectors.js';

const vectors = devicecheckVectors();
const anchors = new TrustAnchors(appleRootG3());
const verify = (receipt: Uint8Array, at: number, with_ = anchors) =>
  verifyAppAttestReceipt(receipt, { anchors: with_, at, maxChainLength: 3 });

/** The receipt's signing certificate, found with @peculiar/asn1-cms (an oracle independent of the verifier's BER walk). */
function signerCertificate(receipt: Uint8Array): X509Certificate {
  const signedData = AsnConvert.parse(AsnConvert.parse(receipt, ContentInfo).content, SignedData);
  const certificates = (signedData.certificates ?? []).map(
    (choice) => new X509Certificate(Buffer.from(AsnConvert.serialize(choice.certificate!))),
  );
  return certificates.find((certificate) => certificate.subject.includes('Receipt Signing'))!;
}

describe('App Attest receipts (devicecheck-appattest)', () => {
  const all = vectors.flatMap((vector) => vector.receipts.map((receipt, index) => ({ vector, receipt, index })));

  it('has both receipt types, BER (indefinite lengths) and DER encoded', () => {
    expect(new Set(all.map(({ receipt }) => receipt.type))).toEqual(new Set(['ATTEST', 'RECEIPT']));
    expect(all.some(({ receipt }) => receipt.receipt[1] === 0x80)).toBe(true);
    expect(all.some(({ receipt }) => receipt.receipt[1] !== 0x80)).toBe(true);
  });

  for (const { vector, receipt, index } of all) {
    it(`verifies ${vector.name} receipt ${index} (${receipt.type}) at its recorded time`, () => {
      const verified = verify(receipt.receipt, receipt.timestamp);
      expect(verified.type).toBe(receipt.type);
      expect(verified.appId).toBe(DEVICECHECK_APP_ID);
      expect(verified.riskMetric ?? null).toBe(receipt.riskMetric);
      expect(Buffer.from(verified.attestedCertificate).equals(decodeAttestation(vector.attestation).x5c[0]!)).toBe(
        true,
      );
      expect(verified.anchor).toMatch(/^Apple Root CA - G3: /);
    });
  }

  it('rejects a receipt whose signing certificate has expired', () => {
    const { receipt } = vectors[0]!.receipts[0]!;
    const signerExpiry = Date.parse(signerCertificate(receipt).validTo);
    expect(verify(receipt, signerExpiry).type).toBe('ATTEST');
    expectRejection(() => verify(receipt, signerExpiry + 1000), 'TIME', 'RECEIPT_CERTIFICATE_NOT_VALID');
  });

  it('rejects a receipt that does not chain to the receipt anchors', () => {
    expectRejection(
      () =>
        verify(vectors[0]!.receipts[0]!.receipt, vectors[0]!.timestamp, new TrustAnchors(appleAppAttestationRoot())),
      'TRUST',
      'RECEIPT_UNTRUSTED',
    );
  });

  it('rejects a changed signature', () => {
    const receipt = Buffer.from(vectors[0]!.receipts[1]!.receipt); // DER: the signature is the last element
    receipt[receipt.length - 3]! ^= 0x01;
    expectRejection(() => verify(receipt, vectors[0]!.receipts[1]!.timestamp), 'TRUST', 'RECEIPT_SIGNATURE_INVALID');
  });

  it('rejects what is not a CMS SignedData', () => {
    expectRejection(
      () => verify(Buffer.from('3003020101', 'hex'), vectors[0]!.timestamp),
      'CONTENT',
      'RECEIPT_MALFORMED',
    );
    expectRejection(
      () => verify(vectors[0]!.receipts[0]!.receipt.subarray(0, 200), vectors[0]!.timestamp),
      'CONTENT',
      'RECEIPT_MALFORMED',
    );
  });
});
