import { parseCertificate, type ParsedCertificate } from '../../crypto/x509/certificate.js';
import { decodeOid } from '../../crypto/asn1/oid.js';
import { verifyChain, type TrustAnchors } from '../../crypto/x509/chain.js';
import { TagClass, UNIVERSAL } from '../../crypto/asn1/der.js';
import { verifySignature } from '../../crypto/x509/signatures.js';
import { KeywardError, contentError, trustError, type ErrorCode } from '../../errors.js';
import { BerReader } from '../../crypto/asn1/ber.js';
import { asBuffer, sameBytes } from '../../crypto/bytes.js';

const CODE = 'RECEIPT_MALFORMED';
const SIGNED_DATA = '1.2.840.113549.1.7.2';
const DATA = '1.2.840.113549.1.7.1';
/**
 * Apple marks its receipt-signing certificates with this extension. Apple Root CA - G3 also
 * certifies other services, some with developer-held keys (Apple Pay), whose certificates must
 * not be able to sign receipts.
 */
export const RECEIPT_SIGNER_OID = '1.2.840.113635.100.12.15';
/** A receipt carries its signer, one intermediate and the root; a few more are tolerated, not dozens. */
const MAX_CERTIFICATES = 8;

/** Receipt field types (Apple, "Assessing fraud risk"). */
const FIELD = {
  appId: 2,
  attestedCertificate: 3,
  clientHash: 4,
  token: 5,
  type: 6,
  creationTime: 12,
  riskMetric: 17,
  notBefore: 19,
  expirationTime: 21,
} as const;

export interface AppAttestReceipt {
  /** ATTEST for the receipt inside an attestation, RECEIPT for one refreshed through Apple's server. */
  type: string;
  appId: string;
  /** The credential certificate (DER) the receipt was issued for. */
  attestedCertificate: Uint8Array;
  clientHash?: Uint8Array;
  token?: string;
  /** Epoch ms. */
  creationTime: number;
  notBefore?: number;
  expirationTime?: number;
  /** Apple's count of attested keys on the device for this app (refreshed receipts only). */
  riskMetric?: number;
  /** Subject of the signing certificate. */
  signer: string;
  anchor: string;
}

export interface ReceiptVerificationOptions {
  anchors: TrustAnchors;
  /** Verification time, epoch ms: the certificates of the receipt must be valid then. */
  at: number;
  maxChainLength: number;
}

interface SignedData {
  content: Uint8Array;
  certificates: Uint8Array[];
  signerIssuer: Uint8Array;
  signerSerial: string;
  signatureAlgorithm: string;
  signature: Uint8Array;
}

/**
 * An App Attest receipt (docs/protocols/apple-app-attest.md step 6): a CMS SignedData whose content is a SET of
 * {type, version, value} fields. Verifies the signer's chain to the receipt anchors (Apple Root
 * CA - G3), the signer's receipt-signing marker and the signature over the content, then
 * decodes the fields.
 */
export function verifyAppAttestReceipt(bytes: Uint8Array, options: ReceiptVerificationOptions): AppAttestReceipt {
  const signedData = readSignedData(bytes);
  const certificates = signedData.certificates.map((der) => parseCertificate(der, CODE));
  const signer = certificates.find(
    (certificate) =>
      certificate.serial === signedData.signerSerial && sameBytes(certificate.issuerDer, signedData.signerIssuer),
  );
  if (!signer)
    throw contentError(CODE, 'The receipt is malformed.', { detail: 'no certificate matches the signer identifier' });

  const anchor = verifySignerChain(signer, certificates, options);
  if (!signer.extension(RECEIPT_SIGNER_OID)) {
    throw trustError('RECEIPT_UNTRUSTED', 'The receipt is not signed by a receipt authority.', {
      detail: `signer ${signer.subject} lacks the receipt-signing extension ${RECEIPT_SIGNER_OID}`,
    });
  }
  if (!verifySignature(signedData.signatureAlgorithm, signedData.content, signedData.signature, signer.publicKey())) {
    throw trustError('RECEIPT_SIGNATURE_INVALID', 'The receipt signature is invalid.', {
      detail: `signer ${signer.subject}`,
    });
  }
  return readFields(signedData.content, signer.subject, anchor);
}

function readSignedData(bytes: Uint8Array): SignedData {
  const outer = new BerReader(bytes, CODE);
  const contentInfo = outer.sequence('ContentInfo');
  outer.end('ContentInfo');
  if (decodeOid(contentInfo.oid('contentType')) !== SIGNED_DATA) throw contentInfo.fail('not a CMS SignedData');
  const explicit = contentInfo.enter(contentInfo.expect(TagClass.Context, 0, 'content'), 'content');
  const signedData = explicit.sequence('SignedData');
  signedData.smallInteger('version');
  signedData.expect(TagClass.Universal, UNIVERSAL.SET, 'digestAlgorithms');

  const encapsulated = signedData.sequence('encapContentInfo');
  if (decodeOid(encapsulated.oid('eContentType')) !== DATA) throw encapsulated.fail('content type is not id-data');
  const eContent = encapsulated.enter(encapsulated.expect(TagClass.Context, 0, 'eContent'), 'eContent');
  const content = eContent.octetString('eContent');

  const certificates: Uint8Array[] = [];
  const certificateSet = signedData.nextIf(TagClass.Context, 0);
  if (certificateSet) {
    const set = signedData.enter(certificateSet, 'certificates');
    while (!set.done) {
      if (certificates.length === MAX_CERTIFICATES) throw set.fail(`more than ${MAX_CERTIFICATES} certificates`);
      certificates.push(set.expect(TagClass.Universal, UNIVERSAL.SEQUENCE, 'certificate').bytes);
    }
  }
  signedData.nextIf(TagClass.Context, 1); // crls

  const signerInfos = signedData.enter(
    signedData.expect(TagClass.Universal, UNIVERSAL.SET, 'signerInfos'),
    'signerInfos',
  );
  const signerInfo = signerInfos.sequence('SignerInfo');
  signerInfos.end('signerInfos (exactly one signer)');
  signerInfo.smallInteger('SignerInfo version');
  const sid = signerInfo.sequence('issuerAndSerialNumber');
  const signerIssuer = sid.expect(TagClass.Universal, UNIVERSAL.SEQUENCE, 'issuer').bytes;
  const serial = sid.expect(TagClass.Universal, UNIVERSAL.INTEGER, 'serialNumber').content;
  signerInfo.expect(TagClass.Universal, UNIVERSAL.SEQUENCE, 'digestAlgorithm');
  // Apple signs the content itself; signed attributes would need their own digest check, so they are refused, not ignored.
  if (signerInfo.nextIf(TagClass.Context, 0)) throw signerInfo.fail('signed attributes are not supported');
  const algorithm = signerInfo.sequence('signatureAlgorithm');
  const signatureAlgorithm = decodeOid(algorithm.oid('signatureAlgorithm'));
  const signature = signerInfo.octetString('signature');
  return {
    content,
    certificates,
    signerIssuer,
    signerSerial: asBuffer(serial)
      .toString('hex')
      .replace(/^0+(?=.)/, ''),
    signatureAlgorithm,
    signature,
  };
}

/** Signer → issuer → … by name through the receipt's certificates, verified to an anchor; returns the anchor's name. */
function verifySignerChain(
  signer: ParsedCertificate,
  certificates: ParsedCertificate[],
  options: ReceiptVerificationOptions,
): string {
  const path = [signer];
  for (let current = signer; path.length < options.maxChainLength && !current.selfIssued; ) {
    const issuer = certificates.find(
      (candidate) => !path.includes(candidate) && candidate.subjectId === current.issuerId,
    );
    if (!issuer) break;
    path.push(issuer);
    current = issuer;
  }
  try {
    // Apple signs every receipt with the same certificate for about a year, so even the signer's verified signature is worth remembering.
    const { anchor } = verifyChain(path, {
      anchors: options.anchors,
      at: options.at,
      maxLength: options.maxChainLength,
      cacheable: () => true,
    });
    return anchor.name;
  } catch (error) {
    throw asReceiptError(error);
  }
}

/** Chain failures keep their category but get receipt codes, so callers can tell a bad receipt from a bad attestation chain. */
function asReceiptError(error: unknown): unknown {
  if (!(error instanceof KeywardError)) return error;
  const [code, message]: [ErrorCode, string] =
    error.category === 'TIME'
      ? ['RECEIPT_CERTIFICATE_NOT_VALID', 'A certificate of the receipt is outside its validity period.']
      : error.category === 'TRUST'
        ? ['RECEIPT_UNTRUSTED', 'The receipt is not signed by a receipt authority.']
        : [CODE, 'The receipt is malformed.'];
  return new KeywardError(error.category, code, message, {
    detail: `${error.code}: ${error.detail ?? error.message}`,
    cause: error,
  });
}

function readFields(content: Uint8Array, signer: string, anchor: string): AppAttestReceipt {
  const outer = new BerReader(content, CODE);
  const set = outer.enter(outer.expect(TagClass.Universal, UNIVERSAL.SET, 'receipt fields'), 'receipt fields');
  outer.end('receipt fields');
  const fields = new Map<number, Uint8Array>();
  while (!set.done) {
    const field = set.sequence('receipt field');
    const type = field.smallInteger('field type');
    field.smallInteger('field version');
    const value = field.octetString('field value');
    field.end('receipt field');
    if (fields.has(type)) throw set.fail(`duplicate receipt field ${type}`);
    fields.set(type, value);
  }

  const required = (type: number, name: string) => {
    const value = fields.get(type);
    if (!value)
      throw contentError(CODE, 'The receipt is malformed.', { detail: `receipt field ${type} (${name}) is missing` });
    return value;
  };
  const text = (value: Uint8Array) => asBuffer(value).toString('utf8');
  const time = (value: Uint8Array, name: string) => {
    const parsed = Date.parse(text(value));
    if (Number.isNaN(parsed))
      throw contentError(CODE, 'The receipt is malformed.', { detail: `receipt ${name} is not a time` });
    return parsed;
  };

  const receipt: AppAttestReceipt = {
    type: text(required(FIELD.type, 'type')),
    appId: text(required(FIELD.appId, 'app id')),
    attestedCertificate: required(FIELD.attestedCertificate, 'attested public key'),
    creationTime: time(required(FIELD.creationTime, 'creation time'), 'creation time'),
    signer,
    anchor,
  };
  const clientHash = fields.get(FIELD.clientHash);
  if (clientHash) receipt.clientHash = clientHash;
  const token = fields.get(FIELD.token);
  if (token) receipt.token = text(token);
  const notBefore = fields.get(FIELD.notBefore);
  if (notBefore) receipt.notBefore = time(notBefore, 'not-before time');
  const expiration = fields.get(FIELD.expirationTime);
  if (expiration) receipt.expirationTime = time(expiration, 'expiration time');
  const risk = fields.get(FIELD.riskMetric);
  if (risk) {
    if (!/^\d{1,9}$/.test(text(risk)))
      throw contentError(CODE, 'The receipt is malformed.', { detail: 'risk metric is not a number' });
    receipt.riskMetric = Number(text(risk));
  }
  return receipt;
}
