import { asBuffer } from '../../crypto/bytes.js';
import { parseCertificate, type ParsedCertificate } from '../../crypto/x509/certificate.js';
import {
  DerReader,
  TagClass,
  UNIVERSAL,
  decodeIntegerValue,
  integerValue,
  type DerElement,
} from '../../crypto/asn1/der.js';
import { EC_OID } from '../../crypto/keys.js';
import { contentError } from '../../errors.js';

const CODE = 'MALFORMED_CERTIFICATE';

/** credCert extension holding SEQUENCE { [1] OCTET STRING nonce }. */
export const NONCE_OID = '1.2.840.113635.100.8.2';
/** credCert extension holding tagged OS facts: [1400] OS version, [1403] build, … (absent on old OSes). */
export const OS_INFO_OID = '1.2.840.113635.100.8.7';
const OS_VERSION_TAG = 1400;
const BUILD_TAG = 1403;

/**
 * The App Attest credential certificate: the certificate (parsed without caching — it is unique
 * to each attestation) and its attested key as the uncompressed P-256 point.
 */
export interface CredentialCertificate {
  certificate: ParsedCertificate;
  /** The attested key as the uncompressed point 04‖X‖Y. */
  point: Uint8Array;
}

export function readCredentialCertificate(der: Uint8Array): CredentialCertificate {
  const certificate = parseCertificate(der, CODE, { cache: false });
  return { certificate, point: readP256Point(certificate) };
}

/** The certificate's EC P-256 key as 04‖X‖Y (the parse has read the key); App Attest keys are always Secure Enclave P-256 keys. */
function readP256Point(certificate: ParsedCertificate): Uint8Array {
  const malformed = (detail: string) => contentError(CODE, 'The attestation data is malformed.', { detail });
  if (certificate.keyAlgorithmOid !== EC_OID || certificate.curve !== 'P-256') {
    throw malformed(`credential key is ${certificate.keyAlgorithmOid} ${certificate.curve ?? ''}, not EC P-256`);
  }
  const bits = certificate.publicKeyBits;
  if (bits.length !== 65 || bits[0] !== 4) throw malformed('credential key is not an uncompressed P-256 point');
  return bits;
}

/** The nonce the device bound into credCert (docs/protocols/apple-app-attest.md step 2): the single OCTET STRING of extension 1.2.840.113635.100.8.2. */
export function readNonce({ certificate }: CredentialCertificate): Uint8Array {
  const value = certificate.extension(NONCE_OID)?.value;
  if (!value) throw contentError('NONCE_EXTENSION_MISSING', 'The credential certificate carries no nonce.');
  const reader = new DerReader(value, 'NONCE_EXTENSION_MALFORMED');
  const sequence = reader.sequence('nonce extension');
  reader.end('nonce extension');
  const tagged = sequence.expect(TagClass.Context, 1, 'nonce');
  sequence.end('nonce extension');
  const inner = sequence.enter(tagged, 'nonce');
  const nonce = inner.octetString('nonce');
  inner.end('nonce');
  return nonce;
}

export interface OsInfo {
  osVersion?: string;
  build?: string;
  /** Every tagged field: text for printable OCTET STRINGs, numbers for INTEGERs, hex otherwise. */
  fields: Record<string, string | number>;
}

/**
 * The OS facts of extension 1.2.840.113635.100.8.7 (docs/protocols/apple-app-attest.md step 5), or undefined when the
 * certificate has none. Informational only: a layout this reader does not know is reported as
 * empty fields rather than failing a certificate Apple signed.
 */
export function readOsInfo({ certificate }: CredentialCertificate): OsInfo | undefined {
  const value = certificate.extension(OS_INFO_OID)?.value;
  if (!value) return undefined;
  const info: OsInfo = { fields: {} };
  try {
    const outer = new DerReader(value, CODE);
    const fields = outer.sequence('OS information');
    while (!fields.done) {
      const field = fields.next();
      if (field.tagClass !== TagClass.Context || !field.constructed) continue;
      const inner = fields.enter(field, 'OS field').next();
      info.fields[String(field.tag)] = fieldValue(inner, fields);
    }
  } catch {
    return { fields: {} };
  }
  const text = (tag: number) => (typeof info.fields[tag] === 'string' ? (info.fields[tag] as string) : undefined);
  const osVersion = text(OS_VERSION_TAG);
  const build = text(BUILD_TAG);
  if (osVersion) info.osVersion = osVersion;
  if (build) info.build = build;
  return info;
}

function fieldValue(element: DerElement, reader: DerReader): string | number {
  if (element.tagClass === TagClass.Universal && element.tag === UNIVERSAL.INTEGER) {
    return integerValue(decodeIntegerValue(element, reader, 'OS field'));
  }
  const content = asBuffer(element.content);
  const text = content.toString('utf8');
  return element.tag === UNIVERSAL.OCTET_STRING && /^[\x20-\x7e]*$/.test(text) ? text : content.toString('hex');
}
