import { constants, verify } from 'node:crypto';
import { parseStrictJson } from '../../../crypto/strict-json.js';
import { parseCertificate, type ParsedCertificate } from '../../../crypto/x509/certificate.js';
import { assertChainLength, verifyChain, type TrustAnchors, type VerifiedChain } from '../../../crypto/x509/chain.js';
import { crlDistributionPoints, crlProblem, parseCrl, type ParsedCrl } from '../../../crypto/x509/crl.js';
import { contentError, internalError, isKeywardError, timeError, trustError } from '../../../errors.js';
import type { MetadataEntry } from '../types.js';
import { entryFromStatement, parseDate, strictBase64 } from './statement.js';

/** The JWS algorithms Keyward accepts on an MDS3 BLOB (the FIDO Alliance signs with RS256; its conformance tools with ES256). */
export const BLOB_ALGORITHMS = ['RS256', 'ES256', 'PS256', 'EdDSA'] as const;
export type BlobAlgorithm = (typeof BLOB_ALGORITHMS)[number];

/**
 * Fetches (or reads from configured files) the CRL at `url`, a distribution point of
 * `certificate`; undefined (or a rejection) when it cannot be obtained. Sources that hold CRLs by
 * issuer rather than by URL answer from `certificate.issuerId`.
 */
export type CrlSource = (url: string, certificate: ParsedCertificate) => Promise<Uint8Array | undefined>;

/** fido2.mds.crlCheck: `ifAvailable` checks the CRLs that can be obtained, `required` refuses without them, `off` checks none. */
export type CrlCheck = 'ifAvailable' | 'required' | 'off';

export interface VerifyBlobOptions {
  /** Roots the signing chain must reach (GlobalSign Root CA – R3 or configured ones). */
  anchors: TrustAnchors;
  /** Verification time, epoch ms. */
  at: number;
  crls: CrlSource;
  crlCheck: CrlCheck;
  /** The `no` of the BLOB already held: a BLOB must be newer. */
  previousNo?: number;
  /** Days past nextUpdate a BLOB is still trusted. */
  graceDays: number;
  /** Largest BLOB accepted, in characters (default 64 MiB). */
  maxLength?: number;
}

/** A BLOB's content: what decoding it gives, verified or not. */
export interface DecodedBlob {
  no: number;
  /** YYYY-MM-DD. */
  nextUpdate: string;
  legalHeader: string;
  /** Every entry that converts, UAF ones included (the index leaves those out). */
  entries: MetadataEntry[];
  /** The signing certificate's subject. */
  signer: string;
  /** Entries left out (a statement Keyward cannot use) and, when verifying, CRLs skipped. */
  warnings: string[];
}

export interface VerifiedBlob extends DecodedBlob {
  /** The trust anchor the signing chain reached. */
  anchor: string;
}

const DAY = 86_400_000;
const MAX_CHAIN_LENGTH = 5;
const DEFAULT_MAX_LENGTH = 64 * 1024 * 1024;

const malformed = (detail: string) =>
  contentError('METADATA_BLOB_MALFORMED', 'The metadata BLOB is malformed.', { detail });

/**
 * Strict unpadded base64url: exactly what re-encoding its bytes gives, which also rules out
 * foreign characters, padding and the standard alphabet (Node's decoder skips or accepts them);
 * cheaper than a regular expression over megabytes.
 */
function segment(text: string, what: string): Buffer {
  const bytes = Buffer.from(text, 'base64url');
  if (bytes.toString('base64url') !== text) throw malformed(`${what} is not base64url`);
  return bytes;
}

function jsonObject(bytes: Buffer, what: string): Record<string, unknown> {
  const value = parseStrictJson(bytes.toString('utf8'), (detail) => malformed(`${what}: ${detail}`));
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw malformed(`${what} is not an object`);
  return value as Record<string, unknown>;
}

interface Parts {
  header: Record<string, unknown>;
  payloadSegment: string;
  signingInput: Buffer;
  signature: Buffer;
  chain: ParsedCertificate[];
}

/** Splits the compact JWS and reads its header: the algorithm, typ, crit and the x5c chain (parsed, not yet verified). */
function split(jwt: string, maxLength: number): Parts {
  if (typeof jwt !== 'string') throw malformed('not a string');
  const token = jwt.trim();
  if (token.length > maxLength) throw malformed(`${token.length} characters, at most ${maxLength} accepted`);
  const first = token.indexOf('.');
  const second = token.indexOf('.', first + 1);
  if (first < 0 || second < 0 || token.indexOf('.', second + 1) >= 0)
    throw malformed('not three dot-separated segments');
  const header = jsonObject(segment(token.slice(0, first), 'header'), 'header');
  if (typeof header.alg !== 'string' || !(BLOB_ALGORITHMS as readonly string[]).includes(header.alg)) {
    throw contentError(
      'METADATA_BLOB_ALGORITHM_UNSUPPORTED',
      'The metadata BLOB is signed with an unsupported algorithm.',
      {
        detail: `alg ${JSON.stringify(header.alg)}; accepted: ${BLOB_ALGORITHMS.join(', ')}`,
      },
    );
  }
  if (header.crit !== undefined) {
    throw contentError(
      'METADATA_BLOB_ALGORITHM_UNSUPPORTED',
      'The metadata BLOB uses JWS extensions this server does not support.',
      {
        detail: `crit ${JSON.stringify(header.crit)}`,
      },
    );
  }
  if (header.typ !== undefined && header.typ !== 'JWT')
    throw malformed(`typ ${JSON.stringify(header.typ)}, expected JWT`);
  const x5c = header.x5c;
  if (!Array.isArray(x5c)) throw malformed('the header has no x5c certificate chain');
  assertChainLength(x5c.length, MAX_CHAIN_LENGTH);
  const chain = x5c.map((value, index) => {
    const der = typeof value === 'string' ? strictBase64(value) : undefined;
    if (!der) throw malformed(`x5c[${index}] is not base64`);
    return parseCertificate(der);
  });
  return {
    header,
    payloadSegment: token.slice(first + 1, second),
    signingInput: Buffer.from(token.slice(0, second), 'ascii'),
    signature: segment(token.slice(second + 1), 'signature'),
    chain,
  };
}

/** The JWS signature (RFC 7518): RS256 PKCS#1 v1.5, PS256 with a 32-byte salt, ES256 as raw r‖s on P-256, EdDSA Ed25519. */
function signatureVerifies(alg: BlobAlgorithm, parts: Parts): { verified: boolean; detail: string } {
  const leaf = parts.chain[0]!;
  const key = leaf.publicKey();
  const type = key.asymmetricKeyType;
  const details = key.asymmetricKeyDetails;
  const mismatch = (why: string) => ({
    verified: false,
    detail: `${alg} with the signer's ${leaf.keyAlgorithm} key: ${why}`,
  });
  const { signingInput, signature } = parts;
  try {
    switch (alg) {
      case 'RS256':
      case 'PS256': {
        if (type !== 'rsa' && !(alg === 'PS256' && type === 'rsa-pss')) return mismatch('not an RSA key');
        if ((details?.modulusLength ?? 0) < 2048) return mismatch(`RSA modulus of ${details?.modulusLength} bits`);
        const options = alg === 'PS256' ? { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 } : { key };
        return { verified: verify('sha256', signingInput, options, signature), detail: `${alg} signature` };
      }
      case 'ES256':
        if (type !== 'ec' || details?.namedCurve !== 'prime256v1') return mismatch('not a P-256 key');
        if (signature.length !== 64) return mismatch(`signature of ${signature.length} bytes, r‖s has 64`);
        return {
          verified: verify('sha256', signingInput, { key, dsaEncoding: 'ieee-p1363' }, signature),
          detail: 'ES256 signature',
        };
      case 'EdDSA':
        if (type !== 'ed25519') return mismatch('not an Ed25519 key');
        return { verified: verify(null, signingInput, key, signature), detail: 'EdDSA signature' };
    }
  } catch (error) {
    return { verified: false, detail: `${alg}: ${(error as Error).message}` };
  }
}

interface Payload {
  no: number;
  nextUpdate: string;
  legalHeader: string;
  entries: unknown[];
}

/** The payload (strict JSON: no duplicate members) and the MDS3 fields Keyward relies on. */
function readPayload(payloadSegment: string): Payload {
  const payload = jsonObject(segment(payloadSegment, 'payload'), 'payload');
  const { no, nextUpdate, legalHeader = '', entries } = payload;
  if (typeof no !== 'number' || !Number.isSafeInteger(no) || no < 0)
    throw malformed(`no ${JSON.stringify(no)} is not a serial number`);
  if (typeof nextUpdate !== 'string' || parseDate(nextUpdate) === undefined)
    throw malformed(`nextUpdate ${JSON.stringify(nextUpdate)} is not a YYYY-MM-DD date`);
  if (typeof legalHeader !== 'string') throw malformed('legalHeader is not a string');
  if (!Array.isArray(entries)) throw malformed('entries is not an array');
  return { no, nextUpdate, legalHeader, entries };
}

/** Converts each entry; one that does not convert is left out with a warning rather than costing the whole BLOB. */
function convertEntries(payload: Payload, warnings: string[]): MetadataEntry[] {
  const source = `mds:${payload.no}`;
  const entries: MetadataEntry[] = [];
  payload.entries.forEach((raw, index) => {
    try {
      entries.push(entryFromStatement(raw, source));
    } catch (error) {
      if (!isKeywardError(error)) throw error;
      const entry = raw as { aaguid?: unknown; aaid?: unknown; attestationCertificateKeyIdentifiers?: unknown };
      const id = entry?.aaguid ?? entry?.aaid ?? entry?.attestationCertificateKeyIdentifiers;
      warnings.push(
        `entry ${index}${id === undefined ? '' : ` (${JSON.stringify(id)})`} left out: ${error.detail ?? error.message}`,
      );
    }
  });
  return entries;
}

/** When a BLOB with this nextUpdate stops being trusted: the end of its nextUpdate day (UTC) plus `graceDays` days. */
export function blobTrustedUntil(nextUpdate: string, graceDays: number): number {
  const date = parseDate(nextUpdate);
  return date === undefined ? Number.NEGATIVE_INFINITY : date + (graceDays + 1) * DAY;
}

/** Whether a BLOB (or its nextUpdate) is still trusted at `at`: not past nextUpdate by more than `graceDays` whole days. */
export function blobTrustedAt(blob: { nextUpdate: string } | string, at: number, graceDays: number): boolean {
  return at < blobTrustedUntil(typeof blob === 'string' ? blob : blob.nextUpdate, graceDays);
}

/**
 * Verifies an MDS3 metadata BLOB (FIDO Metadata Service v3) and converts its entries:
 * 1. a compact JWS whose header alg is RS256, ES256, PS256 or EdDSA (`none`, HMAC and anything
 *    else refused), typ JWT when present, no crit, and an x5c chain of at most five certificates;
 * 2. the chain reaches `anchors` at `at` (signatures, CA constraints, validity);
 * 3. the signature over the JWS signing input verifies with the leaf's key;
 * 4. the payload is strict JSON with an integer `no` greater than `previousNo` and a nextUpdate
 *    date not past by more than `graceDays`;
 * 5. unless `crlCheck` is off, each certificate below the anchor is looked up in its issuer's
 *    CRL, fetched through `crls` from its distribution points (after steps 1–4, so a forged or
 *    replayed BLOB causes no fetch). A listed certificate always refuses the BLOB; a CRL that
 *    cannot be obtained, does not verify or is out of date refuses it when `required` and is
 *    skipped with a warning when `ifAvailable`.
 */
export async function verifyMetadataBlob(jwt: string, options: VerifyBlobOptions): Promise<VerifiedBlob> {
  const parts = split(jwt, options.maxLength ?? DEFAULT_MAX_LENGTH);
  const alg = parts.header.alg as BlobAlgorithm;
  const verified = verifyChain(parts.chain, { anchors: options.anchors, at: options.at, maxLength: MAX_CHAIN_LENGTH });
  const leaf = parts.chain[0]!;
  const signature = signatureVerifies(alg, parts);
  if (!signature.verified) {
    throw trustError('METADATA_BLOB_SIGNATURE_INVALID', 'The metadata BLOB signature does not verify.', {
      detail: `${signature.detail} by ${leaf.subject} does not verify`,
    });
  }
  const payload = readPayload(parts.payloadSegment);
  if (options.previousNo !== undefined && payload.no <= options.previousNo) {
    throw trustError('METADATA_BLOB_NOT_NEWER', 'The metadata BLOB is not newer than the one already held.', {
      detail: `BLOB no ${payload.no}, held no ${options.previousNo}`,
    });
  }
  if (!blobTrustedAt(payload.nextUpdate, options.at, options.graceDays)) {
    throw timeError('METADATA_BLOB_STALE', 'The metadata BLOB is out of date.', {
      detail: `nextUpdate ${payload.nextUpdate} plus ${options.graceDays} grace days is before ${new Date(options.at).toISOString()}`,
    });
  }
  const warnings: string[] = [];
  if (options.crlCheck !== 'off') await checkRevocation(parts.chain, verified, options, warnings);
  const entries = convertEntries(payload, warnings);
  return {
    no: payload.no,
    nextUpdate: payload.nextUpdate,
    legalHeader: payload.legalHeader,
    entries,
    signer: leaf.subject,
    anchor: verified.anchor.name,
    warnings,
  };
}

/**
 * Decodes a BLOB without verifying anything but its form: for a BLOB verified when it was
 * obtained and read back from storage. Never use it on a BLOB from the network or a file.
 */
export function decodeMetadataBlobUnverified(jwt: string, options: { maxLength?: number } = {}): DecodedBlob {
  const parts = split(jwt, options.maxLength ?? DEFAULT_MAX_LENGTH);
  const payload = readPayload(parts.payloadSegment);
  const warnings: string[] = [];
  const entries = convertEntries(payload, warnings);
  return {
    no: payload.no,
    nextUpdate: payload.nextUpdate,
    legalHeader: payload.legalHeader,
    entries,
    signer: parts.chain[0]!.subject,
    warnings,
  };
}

/** What one certificate's CRL lookup found. */
type CrlOutcome =
  | { kind: 'checked'; crl: ParsedCrl }
  | { kind: 'stale'; crl: ParsedCrl; detail: string }
  | { kind: 'invalid'; detail: string }
  | { kind: 'unavailable'; detail: string };

/**
 * The certificates of the verified path below the anchor, each with its issuer: the anchor's
 * own certificate, when the chain carries it, is trusted as configured and not looked up.
 */
function checkedCertificates(chain: readonly ParsedCertificate[], verified: VerifiedChain) {
  const path = chain.slice(0, verified.length);
  const top = path.at(-1)!;
  const count = verified.anchor.certificate.der.equals(top.der) ? path.length - 1 : path.length;
  return path.slice(0, count).map((certificate, index) => ({
    certificate,
    issuer: index + 1 < path.length ? path[index + 1]! : verified.anchor.certificate,
  }));
}

async function checkRevocation(
  chain: readonly ParsedCertificate[],
  verified: VerifiedChain,
  options: VerifyBlobOptions,
  warnings: string[],
): Promise<void> {
  const fetched = new Map<string, Promise<Uint8Array | undefined>>();
  const obtain = (url: string, certificate: ParsedCertificate) => {
    let pending = fetched.get(url);
    if (!pending) {
      pending = Promise.resolve()
        .then(() => options.crls(url, certificate))
        .catch(() => undefined);
      fetched.set(url, pending);
    }
    return pending;
  };
  const checked = checkedCertificates(chain, verified);
  const outcomes = await Promise.all(
    checked.map(({ certificate, issuer }) => lookUp(certificate, issuer, options.at, obtain)),
  );
  checked.forEach(({ certificate }, index) => {
    const outcome = outcomes[index]!;
    const which = `certificate ${index} (${certificate.subject})`;
    if (outcome.kind === 'checked' || outcome.kind === 'stale') {
      const revocation = outcome.crl.revocationOf(certificate);
      if (revocation) {
        throw trustError(
          'METADATA_CERTIFICATE_REVOKED',
          'A certificate of the metadata BLOB signing chain is revoked.',
          {
            detail: `${which}, serial ${revocation.serial}, revoked ${new Date(revocation.revokedAt).toISOString()}${revocation.reason ? ` (${revocation.reason})` : ''} by ${outcome.crl.issuer}`,
          },
        );
      }
      if (outcome.kind === 'checked') return;
    }
    const detail = `${which}: ${outcome.detail}`;
    if (options.crlCheck === 'required') {
      if (outcome.kind === 'unavailable')
        throw internalError('METADATA_CRL_UNAVAILABLE', 'A CRL of the metadata BLOB signing chain is unavailable.', {
          detail,
          status: 503,
        });
      if (outcome.kind === 'stale')
        throw timeError('METADATA_CRL_STALE', 'A CRL of the metadata BLOB signing chain is out of date.', { detail });
      throw trustError('METADATA_CRL_INVALID', 'A CRL of the metadata BLOB signing chain is invalid.', { detail });
    }
    warnings.push(`revocation not checked for ${detail}`);
  });
}

/**
 * Tries the certificate's http(s) distribution points in order until one gives a CRL of its
 * issuer that is in force; failing that, the best found (an out-of-date CRL still says what it
 * revoked), else why none could be used.
 */
async function lookUp(
  certificate: ParsedCertificate,
  issuer: ParsedCertificate,
  at: number,
  obtain: (url: string, certificate: ParsedCertificate) => Promise<Uint8Array | undefined>,
): Promise<CrlOutcome> {
  const urls = crlDistributionPoints(certificate, 'MALFORMED_CERTIFICATE').filter((url) => /^https?:\/\//i.test(url));
  if (urls.length === 0) return { kind: 'unavailable', detail: 'no http(s) CRL distribution point' };
  let best: CrlOutcome = { kind: 'unavailable', detail: `no CRL obtained from ${urls.join(', ')}` };
  for (const url of urls) {
    const bytes = await obtain(url, certificate);
    if (bytes === undefined) continue;
    let crl: ParsedCrl;
    try {
      crl = parseCrl(bytes, 'METADATA_CRL_INVALID');
    } catch (error) {
      if (!isKeywardError(error)) throw error;
      if (best.kind === 'unavailable') best = { kind: 'invalid', detail: `${url}: ${error.detail ?? error.message}` };
      continue;
    }
    const problem = crlProblem(crl, issuer, at);
    if (!problem) return { kind: 'checked', crl };
    if (problem.kind === 'notYetValid' || problem.kind === 'expired') {
      if (best.kind !== 'stale') best = { kind: 'stale', crl, detail: `${url}: ${problem.detail}` };
    } else if (best.kind === 'unavailable') best = { kind: 'invalid', detail: `${url}: ${problem.detail}` };
  }
  return best;
}
