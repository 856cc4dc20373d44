import { DerReader, TagClass, UNIVERSAL } from '../../crypto/asn1/der.js';
import { type BrainpoolJwsFailure, verifyBrainpoolJws } from '../../crypto/jose/brainpool-jws.js';
import { type ParsedCertificate, parseCertificate } from '../../crypto/x509/certificate.js';
import { type TrustAnchor, TrustAnchors, verifyChain } from '../../crypto/x509/chain.js';
import { attributeValues, NAME_OIDS, readName } from '../../crypto/x509/names.js';
import {
  contentError,
  type ErrorCode,
  isKeywardError,
  type KeywardError,
  timeError,
  trustError,
} from '../../errors.js';

/**
 * The user's health card (eGK) behind a DSR device registration (gematik RFC-01): the BP256R1
 * registration token it signs, the trust in its certificate — a configured card CA, or the
 * certificate itself pinned — and the user id (KVNR) the certificate names.
 */

const KEY_USAGE = '2.5.29.15';
const DEFAULT_MAX_CHAIN_LENGTH = 4;

export interface CardTrustOptions {
  /** Card CA certificates (e.g. GEM.EGK-CA…): a card certificate must be issued under one of them. */
  anchors?: Iterable<TrustAnchor>;
  /**
   * Card certificates trusted as they are (DER), for cards whose CA is not at hand (gematik's
   * published test card): the token's certificate must be byte-identical to one of them.
   */
  pinned?: Iterable<Uint8Array>;
  /** Most certificates a card chain (x5c) may hold. */
  maxChainLength?: number;
}

/** How a card certificate was trusted. */
export type CardTrustPath = { kind: 'pinned'; fingerprint: string } | { kind: 'anchor'; anchor: string };

/** The card CAs and pinned card certificates one deployment trusts. */
export class CardTrust {
  readonly anchors: TrustAnchors;
  readonly maxChainLength: number;
  /** Pinned certificates by SHA-256 of their DER. */
  private readonly pinned = new Map<string, ParsedCertificate>();

  constructor(options: CardTrustOptions = {}) {
    this.anchors = new TrustAnchors(options.anchors ?? []);
    this.maxChainLength = options.maxChainLength ?? DEFAULT_MAX_CHAIN_LENGTH;
    for (const der of options.pinned ?? []) {
      const certificate = parseCertificate(der, 'MALFORMED_TRUST_ANCHOR');
      this.pinned.set(certificate.fingerprint, certificate);
    }
  }

  /** Nothing is trusted: every card is refused. */
  get empty(): boolean {
    return this.anchors.size === 0 && this.pinned.size === 0;
  }

  get pinnedCount(): number {
    return this.pinned.size;
  }

  /**
   * Whether the card certificate `chain[0]` (x5c, leaf first) is trusted at `at` (epoch ms):
   * byte-identical to a pinned certificate and within its validity, or chaining to a card CA
   * with every certificate valid (chain.ts's rules). Throws DSR_CARD_UNTRUSTED, DSR_CARD_EXPIRED
   * or DSR_CARD_NOT_YET_VALID; a TRUST failure wins over a TIME one, as in verifyChain.
   */
  verify(chain: readonly ParsedCertificate[], at: number): CardTrustPath {
    const leaf = chain[0];
    if (!leaf) throw contentError('DSR_CARD_TOKEN_MALFORMED', 'The registration token carries no card certificate.');
    const pinned = this.pinned.get(leaf.fingerprint);
    if (pinned?.der.equals(leaf.der)) {
      assertCardValid(leaf, at);
      return { kind: 'pinned', fingerprint: leaf.fingerprint };
    }
    if (this.anchors.size === 0) {
      throw untrusted(
        this.empty
          ? 'no card CA and no pinned card certificate configured'
          : `card certificate ${leaf.subject} (SHA-256 ${leaf.fingerprint}) is not pinned and no card CA is configured`,
      );
    }
    try {
      const { anchor } = verifyChain(chain, { anchors: this.anchors, at, maxLength: this.maxChainLength });
      return { kind: 'anchor', anchor: anchor.name };
    } catch (error) {
      throw cardChainError(error);
    }
  }
}

const untrusted = (detail: string, cause?: unknown) =>
  trustError('DSR_CARD_UNTRUSTED', 'The health card is not trusted.', { detail, cause });

/** verifyChain's failures as card codes (time and trust); content failures (chain too long) pass as they are. */
function cardChainError(error: unknown): unknown {
  if (!isKeywardError(error)) return error;
  const detail = `${error.code}: ${error.detail ?? error.message}`;
  if (error.code === 'CERTIFICATE_EXPIRED') return expired(detail, error);
  if (error.code === 'CERTIFICATE_NOT_YET_VALID') return notYetValid(detail, error);
  if (error.category === 'TRUST') return untrusted(detail, error);
  return error;
}

const expired = (detail: string, cause?: KeywardError) =>
  timeError('DSR_CARD_EXPIRED', 'The health card certificate has expired.', { detail, cause });
const notYetValid = (detail: string, cause?: KeywardError) =>
  timeError('DSR_CARD_NOT_YET_VALID', 'The health card certificate is not valid yet.', { detail, cause });

/** The card certificate is within its validity at `at` (epoch ms, both ends inclusive as in chain.ts). */
export function assertCardValid(certificate: ParsedCertificate, at: number): void {
  if (at < certificate.notBefore)
    throw notYetValid(
      `card certificate ${certificate.subject} valid from ${new Date(certificate.notBefore).toISOString()}`,
    );
  if (at > certificate.notAfter)
    throw expired(`card certificate ${certificate.subject} expired ${new Date(certificate.notAfter).toISOString()}`);
}

/**
 * Whether keyUsage, where present, allows digitalSignature (bit 0): a card's encryption or CA
 * certificate must not stand for a signature. Malformed keyUsage is a malformed token.
 */
export function assertSigningCertificate(certificate: ParsedCertificate): void {
  const extension = certificate.extension(KEY_USAGE);
  if (!extension) return;
  const reader = new DerReader(extension.value, 'DSR_CARD_TOKEN_MALFORMED');
  const element = reader.expect(TagClass.Universal, UNIVERSAL.BIT_STRING, 'keyUsage');
  reader.end('keyUsage');
  const content = element.content;
  if (element.constructed || content.length === 0 || content[0]! > 7)
    throw reader.fail('keyUsage: malformed BIT STRING');
  if (content.length < 2 || (content[1]! & 0x80) === 0) {
    throw trustError('DSR_CARD_KEY_USAGE_INVALID', 'The health card certificate is not a signature certificate.', {
      detail: `card certificate ${certificate.subject} has keyUsage without digitalSignature`,
    });
  }
}

const LETTER = /^\p{L}/u;

/**
 * The user id of a card certificate: the KVNR, which gematik's reference GMS takes as the first
 * organizationalUnit of the subject, in certificate order, that starts with a letter (the other
 * OU of an eGK certificate is the insurer's number, all digits). Throws DSR_CARD_USER_ID_MISSING.
 */
export function cardUserId(certificate: ParsedCertificate): string {
  const units = attributeValues(readName(certificate.subjectDer, 'DSR_CARD_TOKEN_MALFORMED'), NAME_OIDS.OU);
  const userId = units.find((unit) => LETTER.test(unit));
  if (userId === undefined) {
    throw contentError('DSR_CARD_USER_ID_MISSING', 'The health card certificate names no user.', {
      detail: `no organizationalUnit starting with a letter in ${certificate.subject}`,
    });
  }
  return userId;
}

const FAILURE_CODES: Record<BrainpoolJwsFailure, { code: ErrorCode; category: 'CONTENT' | 'TRUST'; message: string }> =
  {
    malformed: {
      code: 'DSR_CARD_TOKEN_MALFORMED',
      category: 'CONTENT',
      message: 'The registration token is malformed.',
    },
    algorithm: {
      code: 'DSR_CARD_TOKEN_ALGORITHM_UNSUPPORTED',
      category: 'CONTENT',
      message: 'The registration token must be signed with BP256R1.',
    },
    key: {
      code: 'DSR_CARD_KEY_UNSUPPORTED',
      category: 'CONTENT',
      message: 'The registration token is not signed by a brainpoolP256r1 health card key.',
    },
    signature: {
      code: 'DSR_CARD_SIGNATURE_INVALID',
      category: 'TRUST',
      message: 'The registration token signature is invalid.',
    },
  };

function cardTokenError(reason: BrainpoolJwsFailure, detail: string): KeywardError {
  const { code, category, message } = FAILURE_CODES[reason];
  return category === 'TRUST' ? trustError(code, message, { detail }) : contentError(code, message, { detail });
}

export interface VerifiedCardToken {
  /** The token's claims (strict JSON, duplicates refused); not checked here. */
  claims: Record<string, unknown>;
  header: Record<string, unknown>;
  /** The card certificate (x5c leaf). */
  certificate: ParsedCertificate;
  /** The KVNR. */
  userId: string;
  trustedBy: CardTrustPath;
}

/**
 * Verifies a registration token as signed by a trusted health card at `at` (epoch ms): the
 * BP256R1 signature with the x5c leaf's key, the leaf a signature certificate, trusted by
 * `trust` and valid at `at`, naming a user. Its claims (nonce, iat, iss, the platform's) are the
 * caller's to check. Throws the DSR_CARD_* codes (CERTIFICATE_CHAIN_TOO_LONG for an overlong
 * chain under a card CA).
 */
export function verifyCardToken(token: string, trust: CardTrust, at: number): VerifiedCardToken {
  const jws = verifyBrainpoolJws(token, cardTokenError, { maxCertificates: trust.maxChainLength });
  assertSigningCertificate(jws.leaf);
  const trustedBy = trust.verify(jws.certificates, at);
  return {
    claims: jws.payload,
    header: jws.header,
    certificate: jws.leaf,
    userId: cardUserId(jws.leaf),
    trustedBy,
  };
}
