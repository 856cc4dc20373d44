import { AsnConvert, OctetString } from '@peculiar/asn1-schema';
import {
  CertificateChoices,
  CertificateSet,
  CMSVersion,
  ContentInfo,
  DigestAlgorithmIdentifier,
  DigestAlgorithmIdentifiers,
  EncapsulatedContent,
  EncapsulatedContentInfo,
  IssuerAndSerialNumber,
  SignatureAlgorithmIdentifier,
  SignedData,
  SignerIdentifier,
  SignerInfo,
  SignerInfos,
  id_data,
  id_signedData,
} from '@peculiar/asn1-cms';
import { Certificate } from '@peculiar/asn1-x509';
import { integer, octetString, sequence, setOf } from '../../crypto/asn1/der-writer.js';

const SHA256 = '2.16.840.1.101.3.4.2.1';
const ECDSA_WITH_SHA256 = '1.2.840.10045.4.3.2';

/** The fields of an App Attest receipt (Apple, "Assessing fraud risk"). */
export interface ReceiptContent {
  type: 'ATTEST' | 'RECEIPT';
  appId: string;
  /** The credential certificate, DER. */
  attestedCertificate: Uint8Array;
  clientHash?: Uint8Array;
  token: string;
  creationTime: number;
  notBefore?: number;
  expirationTime: number;
  riskMetric?: number;
}

/** The receipt's content: a SET of {type, version 1, value}. */
function receiptFields(content: ReceiptContent): Buffer {
  const field = (type: number, value: Uint8Array | string) =>
    sequence(integer(type), integer(1), octetString(typeof value === 'string' ? Buffer.from(value, 'utf8') : value));
  const iso = (time: number) => new Date(time).toISOString();
  const fields = [
    field(2, content.appId),
    field(3, content.attestedCertificate),
    field(5, content.token),
    field(6, content.type),
    field(12, iso(content.creationTime)),
    field(21, iso(content.expirationTime)),
  ];
  if (content.clientHash) fields.push(field(4, content.clientHash));
  if (content.notBefore !== undefined) fields.push(field(19, iso(content.notBefore)));
  if (content.riskMetric !== undefined) fields.push(field(17, String(content.riskMetric)));
  return setOf(...fields);
}

/** CMS SignedData over the receipt fields, signed by the first certificate of `chain` with `sign`. */
export function signedReceipt(
  content: ReceiptContent,
  chain: readonly Buffer[],
  sign: (payload: Buffer) => Buffer,
): Buffer {
  const payload = receiptFields(content);
  const certificates = chain.map((der) => AsnConvert.parse(der, Certificate));
  const signer = certificates[0]!;
  const sha256 = () => new DigestAlgorithmIdentifier({ algorithm: SHA256, parameters: null });
  const signedData = new SignedData({
    version: CMSVersion.v1,
    digestAlgorithms: new DigestAlgorithmIdentifiers([sha256()]),
    encapContentInfo: new EncapsulatedContentInfo({
      eContentType: id_data,
      eContent: new EncapsulatedContent({ single: new OctetString(payload) }),
    }),
    certificates: new CertificateSet(certificates.map((certificate) => new CertificateChoices({ certificate }))),
    signerInfos: new SignerInfos([
      new SignerInfo({
        version: CMSVersion.v1,
        sid: new SignerIdentifier({
          issuerAndSerialNumber: new IssuerAndSerialNumber({
            issuer: signer.tbsCertificate.issuer,
            serialNumber: signer.tbsCertificate.serialNumber,
          }),
        }),
        digestAlgorithm: sha256(),
        signatureAlgorithm: new SignatureAlgorithmIdentifier({ algorithm: ECDSA_WITH_SHA256 }),
        signature: new OctetString(sign(payload)),
      }),
    ]),
  });
  return Buffer.from(
    AsnConvert.serialize(new ContentInfo({ contentType: id_signedData, content: AsnConvert.serialize(signedData) })),
  );
}
