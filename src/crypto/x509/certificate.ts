import type { JsonWebKey, KeyObject } from 'node:crypto';
import type { ErrorCode } from '../../errors.js';
import { DerReader, TagClass, UNIVERSAL, decodeBoolean, type DerElement } from '../asn1/der.js';
import { CURVES, importSpki, keyAlgorithmName, sha256Hex } from '../keys.js';
import { BoundedCache } from '../bounded-cache.js';
import { asBuffer, sameBytes } from '../bytes.js';
import { publicKeyJwk } from '../jose/jwk.js';
import { describeName } from './names.js';
import { oidText } from '../asn1/oid.js';

export interface CertificateExtension {
  critical: boolean;
  /** The extnValue OCTET STRING's content (the extension's own DER). */
  value: Uint8Array;
}

const BASIC_CONSTRAINTS = '2.5.29.19';
const KEY_USAGE = '2.5.29.15';

/** basicConstraints as RFC 5280 §4.2.1.9 defines it. */
export interface BasicConstraints {
  ca: boolean;
  /** pathLenConstraint, when present. */
  pathLength?: number;
}

/**
 * An X.509 certificate as Keyward uses it: the exact DER of the parts that are signed or
 * compared (never re-encoded), validity in epoch ms, extensions by OID, and — computed only
 * when asked, once — readable names and the imported public key. Decoding uses the strict DER
 * reader throughout: certificates arrive from devices, and this runs on every request.
 */
export class ParsedCertificate {
  readonly der: Buffer;
  readonly tbs: Uint8Array;
  readonly signatureAlgorithm: string;
  readonly signature: Uint8Array;
  readonly spki: Uint8Array;
  readonly keyAlgorithmOid: string;
  /** EC, RSA, Ed25519, ML-DSA-65, … (the OID when unknown). */
  readonly keyAlgorithm: string;
  readonly curve: string | undefined;
  readonly subjectDer: Uint8Array;
  readonly issuerDer: Uint8Array;
  readonly notBefore: number;
  readonly notAfter: number;
  private readonly extensions = new Map<string, CertificateExtension>();
  private key: KeyObject | undefined;
  private names: { subject?: string; issuer?: string; subjectId?: string; issuerId?: string } = {};
  private hashes: { der?: string; spki?: string } = {};
  private readonly serialBytes: Uint8Array;
  /** Where the subjectPublicKey BIT STRING's content lies in `der`. */
  private readonly keyBits: { start: number; end: number };
  private serialHex: string | undefined;
  /** basicConstraints and keyCertSign once read; null until then (undefined is a value: no extension). */
  private constraints: BasicConstraints | undefined | null = null;
  private certSign: boolean | undefined | null = null;

  constructor(der: Uint8Array, code: ErrorCode, options: { copy?: boolean } = {}) {
    // Cached certificates keep their own copy; a request's leaf just views the caller's bytes.
    this.der = options.copy ? Buffer.from(der) : asBuffer(der);
    const outer = new DerReader(this.der, code);
    const certificate = outer.sequence('Certificate');
    outer.end('Certificate');
    const tbsElement = certificate.expect(TagClass.Universal, UNIVERSAL.SEQUENCE, 'tbsCertificate');
    this.tbs = tbsElement.bytes;
    const outerAlgorithm = certificate.expect(TagClass.Universal, UNIVERSAL.SEQUENCE, 'signatureAlgorithm');
    this.signatureAlgorithm = algorithmOid(certificate, outerAlgorithm, 'signatureAlgorithm');
    this.signature = certificate.bitString('signatureValue');
    certificate.end('Certificate');

    const tbs = certificate.enter(tbsElement, 'tbsCertificate');
    const first = tbs.peek();
    if (first?.tagClass === TagClass.Context && first.tag === 0) {
      const version = tbs.enter(tbs.next(), 'version');
      if (version.integer('version') !== 2n) throw tbs.fail('only X.509 v3 certificates are accepted');
      version.end('version');
    }
    const serial = tbs.expect(TagClass.Universal, UNIVERSAL.INTEGER, 'serialNumber').content;
    if (serial.length === 0 || serial.length > 21) throw tbs.fail('serialNumber length');
    this.serialBytes = serial;
    const innerAlgorithm = tbs.expect(TagClass.Universal, UNIVERSAL.SEQUENCE, 'signature');
    if (!sameBytes(innerAlgorithm.bytes, outerAlgorithm.bytes)) {
      throw tbs.fail('signature algorithm in tbsCertificate differs from the outer one');
    }
    this.issuerDer = checkName(tbs, tbs.expect(TagClass.Universal, UNIVERSAL.SEQUENCE, 'issuer'), 'issuer');
    const validity = tbs.sequence('validity');
    this.notBefore = readTime(validity, 'notBefore');
    this.notAfter = readTime(validity, 'notAfter');
    validity.end('validity');
    this.subjectDer = checkName(tbs, tbs.expect(TagClass.Universal, UNIVERSAL.SEQUENCE, 'subject'), 'subject');
    const spkiElement = tbs.expect(TagClass.Universal, UNIVERSAL.SEQUENCE, 'subjectPublicKeyInfo');
    this.spki = spkiElement.bytes;
    const spki = tbs.enter(spkiElement, 'subjectPublicKeyInfo');
    const keyAlgorithm = tbs.enter(spki.expect(TagClass.Universal, UNIVERSAL.SEQUENCE, 'algorithm'), 'algorithm');
    this.keyAlgorithmOid = oidText(keyAlgorithm, keyAlgorithm.expect(TagClass.Universal, UNIVERSAL.OID, 'algorithm'));
    this.keyAlgorithm = keyAlgorithmName(this.keyAlgorithmOid);
    const parameters = keyAlgorithm.peek();
    this.curve =
      this.keyAlgorithm === 'EC' && parameters?.tag === UNIVERSAL.OID
        ? curveName(oidText(keyAlgorithm, keyAlgorithm.next()))
        : undefined;
    const keyBits = spki.bitStringElement('subjectPublicKey');
    this.keyBits = { start: keyBits.contentStart + 1, end: keyBits.end };
    spki.end('subjectPublicKeyInfo');

    while (!tbs.done) {
      const element = tbs.next();
      if (element.tagClass !== TagClass.Context || element.tag < 1 || element.tag > 3)
        throw tbs.fail(`unexpected element [${element.tagClass}:${element.tag}] in tbsCertificate`);
      if (element.tag === 3) this.readExtensions(tbs, element);
    }
  }

  private readExtensions(tbs: DerReader, element: DerElement): void {
    const wrapper = tbs.enter(element, 'extensions');
    const list = wrapper.sequence('extensions');
    wrapper.end('extensions');
    while (!list.done) {
      const extension = list.sequence('Extension');
      const oid = oidText(extension, extension.expect(TagClass.Universal, UNIVERSAL.OID, 'extnID'));
      let critical = false;
      if (extension.peek()?.tag === UNIVERSAL.BOOLEAN)
        critical = decodeBoolean(extension.next(), extension, 'critical');
      const value = extension.octetString('extnValue');
      extension.end('Extension');
      if (this.extensions.has(oid)) throw tbs.fail(`duplicate extension ${oid}`);
      this.extensions.set(oid, { critical, value });
    }
  }

  /** Lowercase hex without leading zeros, as revocation lists write serials (computed on first use). */
  get serial(): string {
    return (this.serialHex ??= serialText(this.serialBytes));
  }

  /** SHA-256 of the DER, lowercase hex (computed on first use). */
  get fingerprint(): string {
    return (this.hashes.der ??= sha256Hex(this.der));
  }

  /** SHA-256 of the SubjectPublicKeyInfo DER, hex: how trust anchors are matched. */
  get spkiFingerprint(): string {
    return (this.hashes.spki ??= sha256Hex(this.spki));
  }

  /** For logs and results; never throws. */
  get subject(): string {
    return (this.names.subject ??= describeName(this.subjectDer));
  }

  /** For logs and results; never throws. */
  get issuer(): string {
    return (this.names.issuer ??= describeName(this.issuerDer));
  }

  /** The subject Name's DER as hex: a map key for matching names exactly. */
  get subjectId(): string {
    return (this.names.subjectId ??= asBuffer(this.subjectDer).toString('hex'));
  }

  /** The issuer Name's DER as hex, comparable with `subjectId`. */
  get issuerId(): string {
    return (this.names.issuerId ??= asBuffer(this.issuerDer).toString('hex'));
  }

  extension(oid: string): CertificateExtension | undefined {
    return this.extensions.get(oid);
  }

  /**
   * basicConstraints, or undefined when the extension is absent. Decoded on first read (CAs are
   * cached and checked on every request); a malformed extension is not remembered, so every
   * read of it throws.
   */
  get basicConstraints(): BasicConstraints | undefined {
    if (this.constraints === null) this.constraints = readBasicConstraints(this.extensions.get(BASIC_CONSTRAINTS));
    return this.constraints;
  }

  /** basicConstraints cA, or undefined when the extension is absent. */
  get isCa(): boolean | undefined {
    return this.basicConstraints?.ca;
  }

  /** Whether keyUsage asserts keyCertSign; undefined when the certificate has no keyUsage extension. */
  get keyCertSign(): boolean | undefined {
    if (this.certSign === null) this.certSign = readKeyCertSign(this.extensions.get(KEY_USAGE));
    return this.certSign;
  }

  /** Subject and issuer names are byte-identical (RFC 5280's self-issued certificates). */
  get selfIssued(): boolean {
    return this.subjectId === this.issuerId;
  }

  /** The subjectPublicKey BIT STRING's bits (for EC keys, the point). */
  get publicKeyBits(): Uint8Array {
    return this.der.subarray(this.keyBits.start, this.keyBits.end);
  }

  /** The public key as a JWK, read from the parsed DER (no import); undefined where `spkiToJwk` would be. */
  publicKeyJwk(): JsonWebKey | undefined {
    return publicKeyJwk(this.keyAlgorithmOid, this.curve, this.publicKeyBits);
  }

  /** The public key (imported once per distinct key, process-wide). */
  publicKey(): KeyObject {
    return (this.key ??= importSpki(this.spki, this.keyAlgorithmOid));
  }

  toPem(): string {
    return certificatePem(this.der);
  }
}

/** Name ::= SEQUENCE OF SET OF SEQUENCE { type OID, value primitive }: the structure is checked here (values are decoded only for display), so later reads cannot fail. */
function checkName(reader: DerReader, element: DerElement, what: string): Uint8Array {
  const rdns = reader.enter(element, what);
  while (!rdns.done) {
    const rdn = rdns.enter(rdns.expect(TagClass.Universal, UNIVERSAL.SET, what), what);
    if (rdn.done) throw reader.fail(`${what}: empty relative distinguished name`);
    while (!rdn.done) {
      const attribute = rdn.sequence(what);
      const type = attribute.expect(TagClass.Universal, UNIVERSAL.OID, what);
      if (type.end === type.contentStart || (type.input[type.end - 1]! & 0x80) !== 0)
        throw reader.fail(`${what}: malformed attribute type`);
      const value = attribute.next();
      if (value.tagClass !== TagClass.Universal || value.constructed)
        throw reader.fail(`${what}: attribute value is not a string`);
      attribute.end(what);
    }
  }
  return element.bytes;
}

function readBasicConstraints(extension: CertificateExtension | undefined): BasicConstraints | undefined {
  if (!extension) return undefined;
  const outer = new DerReader(extension.value, 'MALFORMED_CERTIFICATE');
  const sequence = outer.sequence('basicConstraints');
  outer.end('basicConstraints');
  const ca = sequence.peek()?.tag === UNIVERSAL.BOOLEAN ? decodeBoolean(sequence.next(), sequence, 'cA') : false;
  const constraints: BasicConstraints = { ca };
  if (!sequence.done) {
    const pathLength = sequence.integer('pathLenConstraint');
    if (pathLength < 0n || pathLength > 255n) throw sequence.fail(`pathLenConstraint ${pathLength}`);
    constraints.pathLength = Number(pathLength);
  }
  sequence.end('basicConstraints');
  return constraints;
}

/** keyUsage is a BIT STRING (usually with unused bits); keyCertSign is bit 5, 0x04 of the first byte after the unused-bits count. */
function readKeyCertSign(extension: CertificateExtension | undefined): boolean | undefined {
  if (!extension) return undefined;
  const reader = new DerReader(extension.value, 'MALFORMED_CERTIFICATE');
  const element = reader.expect(TagClass.Universal, UNIVERSAL.BIT_STRING, 'keyUsage');
  reader.end('keyUsage');
  const content = element.content;
  if (element.constructed || content.length === 0 || content[0]! > 7)
    throw reader.fail('keyUsage: malformed BIT STRING');
  return content.length > 1 && (content[1]! & 0x04) !== 0;
}

/** A serialNumber INTEGER's content as lowercase hex without leading zeros (certificates and CRL entries). */
export const serialText = (content: Uint8Array): string =>
  asBuffer(content)
    .toString('hex')
    .replace(/^0+(?=.)/, '');

/** An AlgorithmIdentifier's OID (certificates and CRLs). */
export function algorithmOid(reader: DerReader, element: DerElement, what: string): string {
  const algorithm = reader.enter(element, what);
  return oidText(algorithm, algorithm.expect(TagClass.Universal, UNIVERSAL.OID, what));
}

/** UTCTime YYMMDDHHMMSSZ or GeneralizedTime YYYYMMDDHHMMSSZ, read digit by digit (no strings on the hot path); epoch ms. Certificates and CRLs. */
export function readTime(reader: DerReader, what: string): number {
  const { input, contentStart, end, tagClass, tag } = reader.next();
  const length = end - contentStart;
  const utc = tagClass === TagClass.Universal && tag === UNIVERSAL.UTC_TIME && length === 13;
  const generalized = tagClass === TagClass.Universal && tag === UNIVERSAL.GENERALIZED_TIME && length === 15;
  if ((!utc && !generalized) || input[end - 1] !== 0x5a) throw reader.fail(`${what}: malformed time`);
  const digits = (start: number, count: number) => {
    let value = 0;
    for (let i = contentStart + start; i < contentStart + start + count; i++) {
      const digit = input[i]! - 0x30;
      if (digit < 0 || digit > 9) throw reader.fail(`${what}: malformed time`);
      value = value * 10 + digit;
    }
    return value;
  };
  const offset = utc ? 2 : 4;
  let year = digits(0, offset);
  if (utc) year += year < 50 ? 2000 : 1900;
  const month = digits(offset, 2);
  const day = digits(offset + 2, 2);
  const hour = digits(offset + 4, 2);
  const minute = digits(offset + 6, 2);
  const second = digits(offset + 8, 2);
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60)
    throw reader.fail(`${what}: malformed time`);
  return Date.UTC(year, month - 1, day, hour, minute, second);
}

const curveName = (oid: string) => CURVES[oid] ?? oid;

const certificateCache = new BoundedCache<number, ParsedCertificate>(2048);

/**
 * A cheap lookup key, exact as a double: the length's low 12 bits and the last five bytes (of
 * the signature, random per certificate). A hit is confirmed by comparing all bytes; a collision
 * only costs a parse.
 */
function cacheKey(der: Uint8Array): number {
  let key = der.length & 0xfff;
  for (let i = Math.max(0, der.length - 5); i < der.length; i++) key = key * 256 + der[i]!;
  return key;
}

/**
 * Parses DER. With `cache` (the default), an earlier parse of the same bytes is reused:
 * intermediates and roots repeat across millions of devices. Leaves are unique per request and
 * are parsed with `cache: false` so they do not crowd out what repeats. Malformed input is a
 * CONTENT error with `code`.
 */
export function parseCertificate(
  der: Uint8Array,
  code: ErrorCode = 'MALFORMED_CERTIFICATE',
  options: { cache?: boolean } = {},
): ParsedCertificate {
  if (options.cache === false) return new ParsedCertificate(der, code);
  const key = cacheKey(der);
  const cached = certificateCache.get(key);
  if (cached?.der.equals(der)) return cached;
  return certificateCache.set(key, new ParsedCertificate(der, code, { copy: true }));
}

/** A DER certificate as one PEM block (64-character lines). */
export const certificatePem = (der: Uint8Array): string =>
  `-----BEGIN CERTIFICATE-----\n${asBuffer(der).toString('base64').replace(/.{64}/g, '$&\n').replace(/\n?$/, '\n')}-----END CERTIFICATE-----\n`;

const PEM_BLOCK = /-----BEGIN CERTIFICATE-----([A-Za-z0-9+/=\s]+?)-----END CERTIFICATE-----/g;

/** The DER certificates of a PEM bundle, in file order. */
export function pemCertificates(text: string): Buffer[] {
  return [...text.matchAll(PEM_BLOCK)].map((match) => Buffer.from(match[1]!.replace(/\s+/g, ''), 'base64'));
}
