import { createHash, verify } from 'node:crypto';
import { DerReader, TagClass } from '../../../crypto/asn1/der.js';
import { asBuffer } from '../../../crypto/bytes.js';
import { decodeCompactJws, type DecodedJws } from '../../../crypto/jose/compact-jws.js';
import { parseCertificate, type ParsedCertificate } from '../../../crypto/x509/certificate.js';
import { assertChainLength, verifyChain } from '../../../crypto/x509/chain.js';
import { NAME_OIDS, readName } from '../../../crypto/x509/names.js';
import { contentError, isKeywardError, timeError, trustError } from '../../../errors.js';
import type { FormatInput, FormatResult, FormatVerifier } from '../types.js';

/**
 * The android-safetynet attestation statement format (WebAuthn §8.5): a SafetyNet Attestation
 * API response, a compact JWS signed (RS256) by Google's attest.android.com certificate, whose
 * nonce binds it to this registration. Its chain is checked against the format's roots (GTS Root
 * R1 shipped, or configured ones); without a root it is left to the common trust step.
 */

const HOSTNAME = 'attest.android.com';
const SUBJECT_ALT_NAME = '2.5.29.17';

const malformedStatement = (detail: string) =>
  contentError('SAFETYNET_STATEMENT_MALFORMED', 'The android-safetynet attestation statement is malformed.', {
    detail,
  });

/** The keys of an android-safetynet statement (WebAuthn §8.5's syntax). */
const STATEMENT_KEYS = new Set(['ver', 'response']);

const malformedResponse = (detail: string) =>
  contentError('SAFETYNET_RESPONSE_MALFORMED', 'The SafetyNet response is malformed.', { detail });

/** The claims §8.5 and Keyward read from the response payload. */
interface SafetyNetClaims {
  nonce: string;
  timestampMs: number;
  ctsProfileMatch: boolean;
  basicIntegrity?: boolean;
  apkPackageName?: string;
  evaluationType?: string;
}

export const androidSafetynetFormat: FormatVerifier = {
  fmt: 'android-safetynet',
  verify(input: FormatInput, context): FormatResult {
    const { attStmt, authData, clientDataHash, at } = input;
    for (const key of attStmt.keys()) {
      if (typeof key !== 'string' || !STATEMENT_KEYS.has(key))
        throw malformedStatement(`unexpected attStmt key ${String(key)}`);
    }
    const ver = attStmt.get('ver');
    if (typeof ver !== 'string' || ver.length === 0) throw malformedStatement('ver is not a non-empty text string');
    const response = attStmt.get('response');
    if (!(response instanceof Uint8Array) || response.length === 0)
      throw malformedStatement('response is not a non-empty byte string');

    const jws = decodeCompactJws(asBuffer(response).toString('latin1'), (detail) =>
      malformedResponse(`JWS: ${detail}`),
    );
    if (jws.header.alg !== 'RS256') {
      throw contentError('SAFETYNET_ALGORITHM_UNSUPPORTED', 'The SafetyNet response uses an unsupported algorithm.', {
        detail: `alg ${JSON.stringify(jws.header.alg)}`,
      });
    }
    const chain = headerChain(jws.header.x5c, context.maxChainLength);
    const leaf = chain[0]!;
    if (!verifyRs256(jws, leaf)) {
      throw trustError('SAFETYNET_SIGNATURE_INVALID', 'The SafetyNet response signature is invalid.', {
        detail: `JWS does not verify with the ${leaf.keyAlgorithm} key of ${leaf.subject}`,
      });
    }
    const claims = readClaims(jws.payload);

    const expectedNonce = createHash('sha256').update(authData.raw).update(clientDataHash).digest('base64');
    if (claims.nonce !== expectedNonce) {
      throw trustError('SAFETYNET_NONCE_MISMATCH', 'The SafetyNet response was not made for this registration.', {
        detail: 'nonce is not base64(SHA-256(authenticatorData ‖ clientDataHash))',
      });
    }
    if (!issuedTo(leaf, HOSTNAME)) {
      throw trustError('SAFETYNET_HOSTNAME_MISMATCH', 'The SafetyNet response is not signed by Google.', {
        detail: `leaf ${leaf.subject} is not issued to ${HOSTNAME}`,
      });
    }
    const age = at - claims.timestampMs;
    if (age > context.safetynetMaxAgeMs) {
      throw timeError('SAFETYNET_TIMESTAMP_TOO_OLD', 'The SafetyNet response is too old.', {
        detail: `timestampMs ${new Date(claims.timestampMs).toISOString()}, ${age} ms before verification, ${context.safetynetMaxAgeMs} ms allowed`,
      });
    }
    if (-age > context.safetynetMaxAgeMs) {
      throw timeError('SAFETYNET_TIMESTAMP_IN_FUTURE', 'The SafetyNet response is dated in the future.', {
        detail: `timestampMs ${new Date(claims.timestampMs).toISOString()}, ${-age} ms after verification, ${context.safetynetMaxAgeMs} ms allowed`,
      });
    }
    const warnings: string[] = [];
    if (!claims.ctsProfileMatch) {
      if (context.requireCtsProfileMatch) {
        throw trustError(
          'SAFETYNET_CTS_PROFILE_MISMATCH',
          'The device does not pass the SafetyNet CTS profile check.',
          {
            detail: `ctsProfileMatch false, basicIntegrity ${claims.basicIntegrity ?? 'absent'}`,
          },
        );
      }
      warnings.push(
        'SafetyNet reports ctsProfileMatch false (accepted: fido2.safetynet.requireCtsProfileMatch is off).',
      );
    }

    const facts: Record<string, unknown> = {
      ver,
      ctsProfileMatch: claims.ctsProfileMatch,
      timestampMs: claims.timestampMs,
    };
    if (claims.basicIntegrity !== undefined) facts.basicIntegrity = claims.basicIntegrity;
    if (claims.evaluationType !== undefined) facts.evaluationType = claims.evaluationType;
    if (claims.apkPackageName !== undefined) facts.apkPackageName = claims.apkPackageName;
    const result: FormatResult = { attestationType: 'basic', trustPath: chain, facts, warnings };

    const anchors = context.rootsFor('android-safetynet');
    if (anchors.size === 0) return result;
    try {
      const verified = verifyChain(chain, { anchors, at, maxLength: context.maxChainLength });
      return { ...result, trustedBy: verified.anchor.name };
    } catch (error) {
      // Not Google's chain as far as the configured roots know: the common trust step may still find a metadata root.
      if (isKeywardError(error) && error.code === 'UNTRUSTED_ROOT') return result;
      throw error;
    }
  },
};

/** The x5c header (RFC 7515 §4.1.6): base64 (not base64url) DER certificates, leaf first. */
function headerChain(x5c: unknown, maxLength: number): ParsedCertificate[] {
  if (!Array.isArray(x5c)) throw malformedResponse('x5c header is not an array');
  assertChainLength(x5c.length, maxLength);
  return x5c.map((item: unknown, index) => {
    if (typeof item !== 'string') throw malformedResponse(`x5c[${index}] is not a string`);
    const der = Buffer.from(item, 'base64');
    if (der.length === 0 || der.toString('base64') !== item) throw malformedResponse(`x5c[${index}] is not base64`);
    return parseCertificate(der, 'MALFORMED_CERTIFICATE', { cache: index > 0 });
  });
}

/** RS256 (RFC 7518 §3.3): RSASSA-PKCS1-v1_5 with SHA-256, by an RSA key. */
function verifyRs256(jws: DecodedJws, certificate: ParsedCertificate): boolean {
  const key = certificate.publicKey();
  if (key.asymmetricKeyType !== 'rsa') return false;
  try {
    return verify('sha256', jws.signingInput, key, jws.signature);
  } catch {
    return false;
  }
}

function readClaims(payload: Record<string, unknown>): SafetyNetClaims {
  const { nonce, timestampMs, ctsProfileMatch, basicIntegrity, apkPackageName, evaluationType } = payload;
  if (typeof nonce !== 'string') throw malformedResponse('nonce is not a string');
  if (typeof timestampMs !== 'number' || !Number.isSafeInteger(timestampMs))
    throw malformedResponse('timestampMs is not an integer');
  if (typeof ctsProfileMatch !== 'boolean') throw malformedResponse('ctsProfileMatch is not a boolean');
  if (basicIntegrity !== undefined && typeof basicIntegrity !== 'boolean')
    throw malformedResponse('basicIntegrity is not a boolean');
  const claims: SafetyNetClaims = { nonce, timestampMs, ctsProfileMatch };
  if (basicIntegrity !== undefined) claims.basicIntegrity = basicIntegrity;
  if (typeof apkPackageName === 'string') claims.apkPackageName = apkPackageName;
  if (typeof evaluationType === 'string') claims.evaluationType = evaluationType;
  return claims;
}

/**
 * TLS server identity (RFC 6125 §6.4): the subjectAltName's dNSName entries when it has any,
 * else the subject's common name; exact, case-insensitive, no wildcards.
 */
export function issuedTo(certificate: ParsedCertificate, hostname: string): boolean {
  const wanted = hostname.toLowerCase();
  const dnsNames = subjectDnsNames(certificate);
  if (dnsNames.length > 0) return dnsNames.some((name) => name.toLowerCase() === wanted);
  return readName(certificate.subjectDer).some((rdn) =>
    rdn.some(({ type, value }) => type === NAME_OIDS.CN && value.toLowerCase() === wanted),
  );
}

function subjectDnsNames(certificate: ParsedCertificate): string[] {
  const extension = certificate.extension(SUBJECT_ALT_NAME);
  if (!extension) return [];
  const reader = new DerReader(extension.value, 'MALFORMED_CERTIFICATE');
  const names = reader.sequence('subjectAltName');
  reader.end('subjectAltName');
  const dnsNames: string[] = [];
  while (!names.done) {
    const name = names.next();
    // dNSName [2] IA5String
    if (name.tagClass === TagClass.Context && name.tag === 2 && !name.constructed)
      dnsNames.push(asBuffer(name.content).toString('latin1'));
  }
  return dnsNames;
}
