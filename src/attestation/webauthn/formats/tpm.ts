import { createHash } from 'node:crypto';
import { DerReader, TagClass, UNIVERSAL } from '../../../crypto/asn1/der.js';
import { oidText } from '../../../crypto/asn1/oid.js';
import { asBuffer, sameBytes } from '../../../crypto/bytes.js';
import { parseCertificate, type ParsedCertificate } from '../../../crypto/x509/certificate.js';
import { assertChainLength } from '../../../crypto/x509/chain.js';
import { readName } from '../../../crypto/x509/names.js';
import { contentError, trustError } from '../../../errors.js';
import { COSE_ALGORITHMS, verifyWithAlgorithm } from '../cose-key.js';
import type { CoseKey, FormatInput, FormatResult, FormatVerifier } from '../types.js';
import {
  TPM_ECC_CURVES,
  TPM_GENERATED_VALUE,
  TPM_HASHES,
  TPM_ST_ATTEST_CERTIFY,
  parseCertInfo,
  parsePubArea,
  type TpmtPublic,
} from './tpm-structures.js';
import { AAGUID_EXTENSION_OID } from './packed.js';

/**
 * The tpm attestation statement format (WebAuthn §8.3): a TPM 2.0 certifies the credential key
 * (TPM2_Certify: certInfo over pubArea) with an attestation identity key (AIK) whose
 * certificate, issued by the TPM maker's or the platform's CA, meets §8.3.1. Trust in the AIK
 * certificate's chain is decided by the common trust step (metadata or configured TPM roots).
 */

/** TCG OIDs of the AIK certificate (TCG EK Credential Profile §3.2.9; WebAuthn §8.3.1). */
export const TCG_AT_TPM_MANUFACTURER = '2.23.133.2.1';
export const TCG_AT_TPM_MODEL = '2.23.133.2.2';
export const TCG_AT_TPM_VERSION = '2.23.133.2.3';
export const TCG_KP_AIK_CERTIFICATE = '2.23.133.8.3';
const SUBJECT_ALT_NAME = '2.5.29.17';
const EXTENDED_KEY_USAGE = '2.5.29.37';

/**
 * TPM manufacturers by the vendor ID the AIK certificate names ("id:" and the four-byte ID in
 * hex), from the TCG TPM Vendor ID Registry, and the ID the FIDO Alliance's conformance tools use.
 */
export const TPM_VENDORS: ReadonlyMap<string, string> = new Map([
  ['414D4400', 'AMD'],
  ['414E5400', 'Ant Group'],
  ['41544D4C', 'Atmel'],
  ['4252434D', 'Broadcom'],
  ['4353434F', 'Cisco'],
  ['464C5953', 'Flyslice Technologies'],
  ['524F4343', 'Fuzhou Rockchip'],
  ['474F4F47', 'Google'],
  ['48504900', 'HPI'],
  ['48504500', 'HPE'],
  ['48495349', 'Huawei'],
  ['49424D00', 'IBM'],
  ['49465800', 'Infineon'],
  ['494E5443', 'Intel'],
  ['4C454E00', 'Lenovo'],
  ['4D534654', 'Microsoft'],
  ['4E534D20', 'National Semiconductor'],
  ['4E545A00', 'Nationz'],
  ['4E534700', 'NSING'],
  ['4E544300', 'Nuvoton Technology'],
  ['51434F4D', 'Qualcomm'],
  ['534D534E', 'Samsung'],
  ['53454345', 'SecEdge'],
  ['534E5300', 'Sinosun'],
  ['534D5343', 'SMSC'],
  ['53544D20', 'STMicroelectronics'],
  ['54584E00', 'Texas Instruments'],
  ['57454300', 'Winbond'],
  ['5345414C', 'Wisekey'],
  ['FFFFF1D0', 'FIDO Alliance (conformance testing)'],
]);

/** What the AIK certificate says about the TPM. */
export interface TpmFacts {
  /** As certified, e.g. "id:49465800". */
  manufacturer: string;
  /** The registry's name for the manufacturer. */
  vendor: string;
  model: string;
  version: string;
}

const malformed = (detail: string) =>
  contentError('TPM_STATEMENT_MALFORMED', 'The tpm attestation statement is malformed.', { detail });

/** The keys of a tpm statement (WebAuthn §8.3's syntax; ecdaaKeyId is recognised only to be refused by name). */
const STATEMENT_KEYS = new Set(['ver', 'alg', 'x5c', 'sig', 'certInfo', 'pubArea', 'ecdaaKeyId']);

function bytesField(attStmt: Map<unknown, unknown>, key: string): Uint8Array {
  const value = attStmt.get(key);
  if (!(value instanceof Uint8Array)) throw malformed(`${key} is not a byte string`);
  return value;
}

export const tpmFormat: FormatVerifier = {
  fmt: 'tpm',
  verify(input: FormatInput, context): FormatResult {
    const { attStmt, authData, clientDataHash } = input;
    for (const key of attStmt.keys())
      if (typeof key !== 'string' || !STATEMENT_KEYS.has(key)) throw malformed(`unexpected attStmt key ${String(key)}`);
    const ver = attStmt.get('ver');
    if (typeof ver !== 'string') throw malformed('ver is not a text string');
    if (ver !== '2.0') {
      throw contentError('TPM_VERSION_UNSUPPORTED', 'The tpm attestation statement is not of TPM version 2.0.', {
        detail: `ver ${JSON.stringify(ver.slice(0, 16))}`,
      });
    }
    if (attStmt.has('ecdaaKeyId')) {
      throw contentError('TPM_ECDAA_UNSUPPORTED', 'ECDAA attestation is not supported.', {
        detail: 'attStmt carries ecdaaKeyId',
      });
    }
    const alg = attStmt.get('alg');
    if (typeof alg !== 'number' || !Number.isInteger(alg)) throw malformed('alg is not an integer');
    const hash = COSE_ALGORITHMS.get(alg)?.hash;
    if (!hash) {
      throw contentError('TPM_ALGORITHM_UNSUPPORTED', 'The tpm attestation statement uses an unsupported algorithm.', {
        detail: `alg ${alg}`,
      });
    }
    const sig = bytesField(attStmt, 'sig');
    const certInfoBytes = bytesField(attStmt, 'certInfo');
    const pubAreaBytes = bytesField(attStmt, 'pubArea');
    const x5c = attStmt.get('x5c');
    if (!Array.isArray(x5c)) throw malformed('x5c is not an array');
    assertChainLength(x5c.length, context.maxChainLength);
    if (!x5c.every((der) => der instanceof Uint8Array)) throw malformed('x5c holds an item that is not a byte string');

    // The credential key in pubArea is the one in the authenticator data.
    const pubArea = parsePubArea(pubAreaBytes);
    assertSameKey(pubArea, authData.attested.publicKey);

    // certInfo: made by the TPM, by TPM2_Certify, over this registration, certifying pubArea.
    const certInfo = parseCertInfo(certInfoBytes);
    if (certInfo.magic !== TPM_GENERATED_VALUE) {
      throw trustError('TPM_NOT_TPM_GENERATED', 'The TPM attestation was not generated by a TPM.', {
        detail: `certInfo magic 0x${certInfo.magic.toString(16)}`,
      });
    }
    if (certInfo.type !== TPM_ST_ATTEST_CERTIFY || !certInfo.certified) {
      throw contentError('TPM_CERTINFO_TYPE_INVALID', 'The TPM attestation is not a key certification.', {
        detail: `certInfo type 0x${certInfo.type.toString(16)}`,
      });
    }
    const expectedExtraData = createHash(hash).update(authData.raw).update(clientDataHash).digest();
    if (!expectedExtraData.equals(certInfo.extraData)) {
      throw trustError('TPM_EXTRA_DATA_MISMATCH', 'The TPM attestation was not made for this registration.', {
        detail: `certInfo extraData is not the ${hash} of authenticatorData ‖ clientDataHash`,
      });
    }
    const nameHash = TPM_HASHES[pubArea.nameAlg];
    if (!nameHash) {
      throw contentError('TPM_KEY_TYPE_UNSUPPORTED', 'The TPM key names an unsupported hash algorithm.', {
        detail: `pubArea nameAlg 0x${pubArea.nameAlg.toString(16)}`,
      });
    }
    const name = certInfo.certified.name;
    if (
      name.length < 2 ||
      ((name[0]! << 8) | name[1]!) !== pubArea.nameAlg ||
      !createHash(nameHash).update(pubAreaBytes).digest().equals(name.subarray(2))
    ) {
      throw trustError('TPM_NAME_MISMATCH', 'The TPM attestation certifies another key.', {
        detail: `certInfo attested.name is not nameAlg ‖ ${nameHash}(pubArea)`,
      });
    }

    // The AIK certificate meets §8.3.1 (cheap checks first) and signed certInfo.
    const chain = x5c.map((der: Uint8Array, index) =>
      parseCertificate(der, 'MALFORMED_CERTIFICATE', { cache: index > 0 }),
    );
    const aik = chain[0]!;
    const facts = checkAikCertificate(aik);
    checkAaguid(aik, authData.attested.aaguid);
    if (!verifyWithAlgorithm(alg, aik.publicKey(), certInfoBytes, sig)) {
      throw trustError('TPM_SIGNATURE_INVALID', 'The TPM attestation signature is invalid.', {
        detail: `sig does not verify over certInfo with alg ${alg} and ${aik.keyAlgorithm} key of the AIK certificate`,
      });
    }

    return { attestationType: 'attca', trustPath: chain, facts: { ...facts } };
  },
};

/** pubArea's key (type, and RSA modulus and exponent, or ECC curve and point) is the credential key. */
function assertSameKey(pubArea: TpmtPublic, credential: CoseKey): void {
  const mismatch = (detail: string) =>
    trustError('TPM_PUBLIC_KEY_MISMATCH', 'The TPM certified another key than the credential key.', { detail });
  if (pubArea.type === 'RSA') {
    if (credential.kty !== 3) throw mismatch(`pubArea holds an RSA key, the credential key has kty ${credential.kty}`);
    const { modulus, exponent } = rsaPublicKey(credential.spki);
    if (!sameBytes(stripZeros(pubArea.modulus), stripZeros(modulus)))
      throw mismatch('pubArea unique is not the RSA modulus');
    const statedExponent = pubArea.exponent === 0 ? 65537 : pubArea.exponent;
    if (statedExponent !== exponent)
      throw mismatch(`pubArea exponent ${statedExponent}, credential key exponent ${exponent}`);
    return;
  }
  const curve = TPM_ECC_CURVES[pubArea.curveId];
  if (!curve) {
    throw contentError('TPM_KEY_TYPE_UNSUPPORTED', 'The TPM key is on an unsupported curve.', {
      detail: `pubArea curveID 0x${pubArea.curveId.toString(16)}`,
    });
  }
  if (credential.kty !== 2) throw mismatch(`pubArea holds an ECC key, the credential key has kty ${credential.kty}`);
  if (credential.crv !== curve.crv) throw mismatch(`pubArea curve ${curve.name}, credential key crv ${credential.crv}`);
  const point = ecPoint(credential.spki);
  const x = leftPad(pubArea.x, curve.size);
  const y = leftPad(pubArea.y, curve.size);
  if (
    !x ||
    !y ||
    point.length !== 1 + 2 * curve.size ||
    point[0] !== 4 ||
    !asBuffer(point).equals(Buffer.concat([Buffer.of(4), x, y]))
  ) {
    throw mismatch('pubArea unique is not the credential key point');
  }
}

const stripZeros = (bytes: Uint8Array): Uint8Array => {
  let start = 0;
  while (start < bytes.length - 1 && bytes[start] === 0) start++;
  return bytes.subarray(start);
};

/** A coordinate as exactly `size` bytes (TPMs may drop leading zeros); undefined when longer. */
function leftPad(bytes: Uint8Array, size: number): Buffer | undefined {
  const value = stripZeros(bytes);
  if (value.length > size) return undefined;
  const padded = Buffer.alloc(size);
  padded.set(value, size - value.length);
  return padded;
}

/** The modulus and exponent of an RSA SubjectPublicKeyInfo. */
function rsaPublicKey(spki: Uint8Array): { modulus: Uint8Array; exponent: number } {
  const outer = new DerReader(spki, 'MALFORMED_PUBLIC_KEY');
  const info = outer.sequence('SubjectPublicKeyInfo');
  info.expect(TagClass.Universal, UNIVERSAL.SEQUENCE, 'algorithm');
  const bits = info.bitStringElement('subjectPublicKey');
  const key = new DerReader(bits.input, 'MALFORMED_PUBLIC_KEY', 1, bits.contentStart + 1, bits.end).sequence(
    'RSAPublicKey',
  );
  const modulus = key.expect(TagClass.Universal, UNIVERSAL.INTEGER, 'modulus').content;
  const exponent = key.integer('publicExponent');
  return { modulus, exponent: exponent > 0xffffffffn ? -1 : Number(exponent) };
}

/** The uncompressed point of an EC SubjectPublicKeyInfo. */
function ecPoint(spki: Uint8Array): Uint8Array {
  const outer = new DerReader(spki, 'MALFORMED_PUBLIC_KEY');
  const info = outer.sequence('SubjectPublicKeyInfo');
  info.expect(TagClass.Universal, UNIVERSAL.SEQUENCE, 'algorithm');
  return info.bitString('subjectPublicKey');
}

const aikInvalid = (detail: string) =>
  trustError('TPM_AIK_CERTIFICATE_INVALID', 'The TPM attestation identity key certificate is not valid for WebAuthn.', {
    detail,
  });

/** WebAuthn §8.3.1: version 3, empty subject, the TPM's identity in a critical subjectAltName, the AIK usage, no CA. */
export function checkAikCertificate(certificate: ParsedCertificate): TpmFacts {
  const tbs = new DerReader(certificate.tbs, 'MALFORMED_CERTIFICATE').sequence('tbsCertificate');
  const first = tbs.peek();
  // The parser accepts an explicit version only when it is v3; without one the certificate is v1.
  if (first?.tagClass !== TagClass.Context || first.tag !== 0) throw aikInvalid('certificate is not version 3');
  if (certificate.subjectDer.length !== 2) throw aikInvalid(`subject is not empty: ${certificate.subject}`);

  const san = certificate.extension(SUBJECT_ALT_NAME);
  if (!san) throw aikInvalid('no subjectAltName extension');
  if (!san.critical) throw aikInvalid('subjectAltName is not critical (the subject is empty)');
  const facts = tpmIdentity(san.value);

  const usage = certificate.extension(EXTENDED_KEY_USAGE);
  if (!usage || !extendedKeyUsages(usage.value).includes(TCG_KP_AIK_CERTIFICATE))
    throw aikInvalid('extendedKeyUsage does not contain tcg-kp-AIKCertificate');

  const constraints = certificate.basicConstraints;
  if (!constraints) throw aikInvalid('no basicConstraints extension');
  if (constraints.ca) throw aikInvalid('basicConstraints cA is true');
  return facts;
}

/**
 * The TPM manufacturer, model and version from the subjectAltName's directoryName. The TCG
 * profile puts each attribute in its own RDN; some TPMs put all three in one multi-valued RDN:
 * both are read, each attribute at most once.
 */
function tpmIdentity(extension: Uint8Array): TpmFacts {
  const reader = new DerReader(extension, 'MALFORMED_CERTIFICATE');
  const names = reader.sequence('subjectAltName');
  reader.end('subjectAltName');
  const values = new Map<string, string>();
  while (!names.done) {
    const name = names.next();
    // directoryName [4] EXPLICIT Name
    if (name.tagClass !== TagClass.Context || name.tag !== 4) continue;
    const inner = names.enter(name, 'directoryName');
    const element = inner.expect(TagClass.Universal, UNIVERSAL.SEQUENCE, 'directoryName');
    inner.end('directoryName');
    for (const rdn of readName(element.bytes)) {
      for (const { type, value } of rdn) {
        if (type !== TCG_AT_TPM_MANUFACTURER && type !== TCG_AT_TPM_MODEL && type !== TCG_AT_TPM_VERSION) continue;
        if (values.has(type)) throw aikInvalid(`subjectAltName states ${type} twice`);
        values.set(type, value);
      }
    }
  }
  const manufacturer = values.get(TCG_AT_TPM_MANUFACTURER);
  const model = values.get(TCG_AT_TPM_MODEL);
  const version = values.get(TCG_AT_TPM_VERSION);
  if (!manufacturer || !model || !version) {
    throw aikInvalid(
      `subjectAltName directoryName lacks ${[
        !manufacturer && 'tcg-at-tpmManufacturer',
        !model && 'tcg-at-tpmModel',
        !version && 'tcg-at-tpmVersion',
      ]
        .filter(Boolean)
        .join(', ')}`,
    );
  }
  const id = /^id:([0-9A-Fa-f]{8})$/.exec(manufacturer)?.[1]?.toUpperCase();
  const vendor = id === undefined ? undefined : TPM_VENDORS.get(id);
  if (!vendor) {
    throw trustError('TPM_MANUFACTURER_UNKNOWN', 'The TPM manufacturer is unknown.', {
      detail: `tcg-at-tpmManufacturer ${JSON.stringify(manufacturer.slice(0, 32))}`,
    });
  }
  return { manufacturer, vendor, model, version };
}

function extendedKeyUsages(extension: Uint8Array): string[] {
  const reader = new DerReader(extension, 'MALFORMED_CERTIFICATE');
  const list = reader.sequence('extendedKeyUsage');
  reader.end('extendedKeyUsage');
  const oids: string[] = [];
  while (!list.done) oids.push(oidText(list, list.expect(TagClass.Universal, UNIVERSAL.OID, 'KeyPurposeId')));
  return oids;
}

/** When the AIK certificate names the authenticator model (id-fido-gen-ce-aaguid), it is the one in the authenticator data. */
function checkAaguid(certificate: ParsedCertificate, aaguid: Uint8Array): void {
  const extension = certificate.extension(AAGUID_EXTENSION_OID);
  if (!extension) return;
  const reader = new DerReader(extension.value, 'MALFORMED_CERTIFICATE');
  const value = reader.octetString('id-fido-gen-ce-aaguid');
  reader.end('id-fido-gen-ce-aaguid');
  if (!sameBytes(value, aaguid)) {
    throw trustError('TPM_AAGUID_MISMATCH', 'The TPM attestation certificate is for another authenticator model.', {
      detail: `certificate AAGUID ${asBuffer(value).toString('hex')}, authenticator data ${asBuffer(aaguid).toString('hex')}`,
    });
  }
}
