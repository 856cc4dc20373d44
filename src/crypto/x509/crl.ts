import type { ErrorCode } from '../../errors.js';
import { DerReader, TagClass, UNIVERSAL, decodeBoolean, decodeIntegerValue } from '../asn1/der.js';
import { oidText } from '../asn1/oid.js';
import { asBuffer, sameBytes } from '../bytes.js';
import { algorithmOid, readTime, serialText, type ParsedCertificate } from './certificate.js';
import { describeName } from './names.js';
import { signatureAlgorithmName, verifySignature } from './signatures.js';

const CRL_NUMBER = '2.5.29.20';
const AUTHORITY_KEY_IDENTIFIER = '2.5.29.35';
const ISSUING_DISTRIBUTION_POINT = '2.5.29.28';
const REASON_CODE = '2.5.29.21';
const INVALIDITY_DATE = '2.5.29.24';
const CRL_DISTRIBUTION_POINTS = '2.5.29.31';

/**
 * The extensions whose meaning a complete, direct CRL can be used without: RFC 5280 §5.2 and
 * §5.3 forbid using a CRL with a critical extension the reader does not process (a delta CRL's
 * deltaCRLIndicator, an indirect CRL's certificateIssuer).
 */
const UNDERSTOOD_CRL_EXTENSIONS = new Set([CRL_NUMBER, AUTHORITY_KEY_IDENTIFIER, ISSUING_DISTRIBUTION_POINT]);
const UNDERSTOOD_ENTRY_EXTENSIONS = new Set([REASON_CODE, INVALIDITY_DATE]);

/** RFC 5280 §5.3.1 CRLReason names by value. */
const REASONS = [
  'unspecified',
  'keyCompromise',
  'cACompromise',
  'affiliationChanged',
  'superseded',
  'cessationOfOperation',
  'certificateHold',
  undefined,
  'removeFromCRL',
  'privilegeWithdrawn',
  'aACompromise',
] as const;

export interface RevokedCertificate {
  /** Lowercase hex without leading zeros, as `ParsedCertificate.serial`. */
  serial: string;
  /** revocationDate, epoch ms. */
  revokedAt: number;
  /** The reasonCode entry extension's name, when present. */
  reason?: string;
}

/**
 * An X.509 CRL (RFC 5280 §5) as read with the strict DER reader: the exact signed bytes, the
 * issuer Name's DER for comparison with certificates, the update times and the revoked serials.
 */
export class ParsedCrl {
  readonly der: Buffer;
  readonly tbs: Uint8Array;
  readonly signatureAlgorithm: string;
  readonly signature: Uint8Array;
  readonly issuerDer: Uint8Array;
  readonly thisUpdate: number;
  /** Absent when the CRL does not say (RFC 5280 requires it; some issuers omit it). */
  readonly nextUpdate: number | undefined;
  /** The cRLNumber extension, when present. */
  readonly number: bigint | undefined;
  /** Revoked certificates by serial (lowercase hex without leading zeros). */
  readonly revoked = new Map<string, RevokedCertificate>();
  /** OIDs of critical CRL and entry extensions Keyward does not process: such a CRL must not be relied on. */
  readonly unprocessedCritical: string[] = [];

  constructor(der: Uint8Array, code: ErrorCode) {
    this.der = asBuffer(der);
    const outer = new DerReader(this.der, code);
    const list = outer.sequence('CertificateList');
    outer.end('CertificateList');
    const tbsElement = list.expect(TagClass.Universal, UNIVERSAL.SEQUENCE, 'tbsCertList');
    this.tbs = tbsElement.bytes;
    const outerAlgorithm = list.expect(TagClass.Universal, UNIVERSAL.SEQUENCE, 'signatureAlgorithm');
    this.signatureAlgorithm = algorithmOid(list, outerAlgorithm, 'signatureAlgorithm');
    this.signature = list.bitString('signatureValue');
    list.end('CertificateList');

    const tbs = list.enter(tbsElement, 'tbsCertList');
    if (tbs.peek()?.tag === UNIVERSAL.INTEGER) {
      const version = tbs.integer('version');
      if (version !== 1n) throw tbs.fail(`CRL version ${version}: only v2 (1) is written with a version`);
    }
    const innerAlgorithm = tbs.expect(TagClass.Universal, UNIVERSAL.SEQUENCE, 'signature');
    if (!sameBytes(innerAlgorithm.bytes, outerAlgorithm.bytes))
      throw tbs.fail('signature algorithm in tbsCertList differs from the outer one');
    this.issuerDer = tbs.expect(TagClass.Universal, UNIVERSAL.SEQUENCE, 'issuer').bytes;
    this.thisUpdate = readTime(tbs, 'thisUpdate');
    const next = tbs.peek();
    this.nextUpdate =
      next?.tagClass === TagClass.Universal &&
      (next.tag === UNIVERSAL.UTC_TIME || next.tag === UNIVERSAL.GENERALIZED_TIME)
        ? readTime(tbs, 'nextUpdate')
        : undefined;
    const revoked = tbs.peek();
    if (revoked?.tagClass === TagClass.Universal && revoked.tag === UNIVERSAL.SEQUENCE)
      this.readRevoked(tbs.sequence('revokedCertificates'), code);
    let number: bigint | undefined;
    if (!tbs.done) {
      const wrapper = tbs.enter(tbs.expect(TagClass.Context, 0, 'crlExtensions'), 'crlExtensions');
      const extensions = readExtensions(wrapper, 'crlExtensions');
      wrapper.end('crlExtensions');
      for (const [oid, { critical, value }] of extensions) {
        if (oid === CRL_NUMBER) {
          const reader = new DerReader(value, code, 1);
          number = reader.integer('cRLNumber');
          reader.end('cRLNumber');
        }
        if (critical && !UNDERSTOOD_CRL_EXTENSIONS.has(oid)) this.unprocessedCritical.push(oid);
      }
    }
    tbs.end('tbsCertList');
    this.number = number;
  }

  private readRevoked(entries: DerReader, code: ErrorCode): void {
    while (!entries.done) {
      const entry = entries.sequence('revokedCertificate');
      const serialElement = entry.expect(TagClass.Universal, UNIVERSAL.INTEGER, 'userCertificate');
      decodeIntegerValue(serialElement, entry, 'userCertificate');
      const serial = serialText(serialElement.content);
      const revoked: RevokedCertificate = { serial, revokedAt: readTime(entry, 'revocationDate') };
      if (!entry.done) {
        for (const [oid, { critical, value }] of readExtensions(entry, 'crlEntryExtensions')) {
          if (oid === REASON_CODE) {
            const reader = new DerReader(value, code, 1);
            const reason = REASONS[reader.enumerated('reasonCode')];
            reader.end('reasonCode');
            if (reason) revoked.reason = reason;
          }
          if (critical && !UNDERSTOOD_ENTRY_EXTENSIONS.has(oid)) this.unprocessedCritical.push(oid);
        }
      }
      entry.end('revokedCertificate');
      this.revoked.set(serial, revoked);
    }
  }

  /** For logs; never throws. */
  get issuer(): string {
    return describeName(this.issuerDer);
  }

  /** The entry revoking `certificate`, when the CRL lists its serial. */
  revocationOf(certificate: ParsedCertificate): RevokedCertificate | undefined {
    return this.revoked.get(certificate.serial);
  }
}

/** Extensions ::= SEQUENCE OF Extension, as a map by OID (a repeated OID is malformed). */
function readExtensions(reader: DerReader, what: string): Map<string, { critical: boolean; value: Uint8Array }> {
  const list = reader.sequence(what);
  reader.end(what);
  const extensions = new Map<string, { critical: boolean; value: Uint8Array }>();
  while (!list.done) {
    const extension = list.sequence('Extension');
    const oid = oidText(extension, extension.expect(TagClass.Universal, UNIVERSAL.OID, 'extnID'));
    const critical =
      extension.peek()?.tag === UNIVERSAL.BOOLEAN ? decodeBoolean(extension.next(), extension, 'critical') : false;
    const value = extension.octetString('extnValue');
    extension.end('Extension');
    if (extensions.has(oid)) throw list.fail(`${what}: duplicate extension ${oid}`);
    extensions.set(oid, { critical, value });
  }
  return extensions;
}

const PEM_CRL = /-----BEGIN X509 CRL-----([A-Za-z0-9+/=\s]+?)-----END X509 CRL-----/;

/**
 * Parses a CRL given as DER or as PEM ("X509 CRL" block, in bytes or text). Malformed input is
 * a CONTENT error with `code`.
 */
export function parseCrl(input: Uint8Array | string, code: ErrorCode): ParsedCrl {
  const bytes = typeof input === 'string' ? Buffer.from(input, 'latin1') : asBuffer(input);
  // DER starts with a SEQUENCE tag (0x30); anything else may be PEM.
  if (bytes[0] !== 0x30) {
    const match = PEM_CRL.exec(bytes.toString('latin1'));
    if (match) return new ParsedCrl(Buffer.from(match[1]!.replace(/\s+/g, ''), 'base64'), code);
  }
  return new ParsedCrl(bytes, code);
}

/** Why a CRL cannot vouch for the certificates `issuer` signed. */
export interface CrlProblem {
  /** `issuer`: another CA's CRL; `signature`: not signed by the issuer's key; `unsupported`: a critical extension Keyward does not process; `notYetValid`/`expired`: outside thisUpdate … nextUpdate. */
  kind: 'issuer' | 'signature' | 'unsupported' | 'notYetValid' | 'expired';
  detail: string;
}

/**
 * Checks that `crl` is `issuer`'s complete CRL in force at `at`: its issuer Name is byte for byte
 * the issuer certificate's subject, its signature verifies with the issuer's key, it carries no
 * critical extension Keyward does not process (delta and indirect CRLs), and `at` lies within
 * thisUpdate … nextUpdate. Returns the first problem, or undefined when the CRL can be relied on.
 */
export function crlProblem(crl: ParsedCrl, issuer: ParsedCertificate, at: number): CrlProblem | undefined {
  if (!sameBytes(crl.issuerDer, issuer.subjectDer))
    return { kind: 'issuer', detail: `CRL issued by ${crl.issuer}, expected ${issuer.subject}` };
  let verified: boolean;
  try {
    verified = verifySignature(crl.signatureAlgorithm, crl.tbs, crl.signature, issuer.publicKey());
  } catch (error) {
    return { kind: 'signature', detail: `CRL of ${crl.issuer}: ${(error as { detail?: string }).detail ?? error}` };
  }
  if (!verified)
    return {
      kind: 'signature',
      detail: `CRL of ${crl.issuer} (${signatureAlgorithmName(crl.signatureAlgorithm)}) does not verify with the issuer's key`,
    };
  if (crl.unprocessedCritical.length > 0)
    return {
      kind: 'unsupported',
      detail: `CRL of ${crl.issuer} has critical extensions ${crl.unprocessedCritical.join(', ')}`,
    };
  if (at < crl.thisUpdate)
    return {
      kind: 'notYetValid',
      detail: `CRL of ${crl.issuer} issued ${new Date(crl.thisUpdate).toISOString()}, after ${new Date(at).toISOString()}`,
    };
  if (crl.nextUpdate !== undefined && at > crl.nextUpdate)
    return {
      kind: 'expired',
      detail: `CRL of ${crl.issuer} was due for renewal at ${new Date(crl.nextUpdate).toISOString()}`,
    };
  return undefined;
}

/**
 * The URIs of the certificate's cRLDistributionPoints extension (RFC 5280 §4.2.1.13): every
 * uniformResourceIdentifier of every distribution point's fullName, in order. Points named
 * relative to the issuer or by other name forms are not URLs and are left out.
 */
export function crlDistributionPoints(certificate: ParsedCertificate, code: ErrorCode): string[] {
  const extension = certificate.extension(CRL_DISTRIBUTION_POINTS);
  if (!extension) return [];
  const outer = new DerReader(extension.value, code);
  const points = outer.sequence('cRLDistributionPoints');
  outer.end('cRLDistributionPoints');
  const urls: string[] = [];
  while (!points.done) {
    const point = points.sequence('DistributionPoint');
    const first = point.peek();
    if (first?.tagClass === TagClass.Context && first.tag === 0) {
      const name = point.enter(point.next(), 'distributionPoint');
      const choice = name.next();
      name.end('distributionPoint');
      if (choice.tagClass === TagClass.Context && choice.tag === 0) {
        const generalNames = name.enter(choice, 'fullName');
        while (!generalNames.done) {
          const generalName = generalNames.next();
          if (generalName.tagClass === TagClass.Context && generalName.tag === 6 && !generalName.constructed)
            urls.push(asBuffer(generalName.content).toString('latin1'));
        }
      }
    }
    // reasons [1] and cRLIssuer [2] follow; they narrow or redirect the point and are not read.
  }
  return urls;
}
