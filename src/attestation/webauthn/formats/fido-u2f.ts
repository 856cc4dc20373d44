import { DerReader, TagClass, UNIVERSAL } from '../../../crypto/asn1/der.js';
import { asBuffer } from '../../../crypto/bytes.js';
import { contentError, trustError } from '../../../errors.js';
import { verifyWithAlgorithm } from '../cose-key.js';
import type { CoseKey, FormatInput, FormatResult, FormatVerifier } from '../types.js';
import {
  assertStatementKeys,
  bytesField,
  parseTrustPath,
  statementMalformed,
  x5cField,
} from './attestation-statement.js';

const FMT = 'fido-u2f';
const ES256 = -7;
const EC2 = 2;
const P256 = 1;

const keyUnsupported = (detail: string) =>
  contentError('ATTESTATION_KEY_UNSUPPORTED', 'The attestation uses a key its format does not allow.', {
    detail: `${FMT}: ${detail}`,
  });

/**
 * FIDO U2F attestation (WebAuthn §8.6): one EC P-256 attestation certificate whose key signed
 * 0x00 ‖ rpIdHash ‖ clientDataHash ‖ credentialId ‖ the credential key as a raw P-256 point, the
 * U2F registration message. U2F has no AAGUID: it must be all zeros.
 */
export const fidoU2fFormat: FormatVerifier = {
  fmt: FMT,
  verify(input: FormatInput, context): FormatResult {
    const { attStmt, authData } = input;
    const credential = authData.attested;
    assertStatementKeys(attStmt, FMT, { required: ['sig', 'x5c'] });
    const sig = bytesField(attStmt, FMT, 'sig');
    const x5c = x5cField(attStmt, FMT, context.maxChainLength);
    if (x5c.length !== 1) throw statementMalformed(FMT, `x5c holds ${x5c.length} certificates, not exactly one`);
    const trustPath = parseTrustPath(x5c);
    const certificate = trustPath[0]!;
    if (certificate.keyAlgorithm !== 'EC' || certificate.curve !== 'P-256')
      throw keyUnsupported(`attestation certificate key is ${certificate.keyAlgorithm} ${certificate.curve ?? ''}`);
    if (credential.aaguid.some((byte) => byte !== 0)) {
      throw contentError('ATTESTATION_AAGUID_NOT_ZERO', 'A U2F attestation carries an AAGUID.', {
        detail: `${FMT}: aaguid ${asBuffer(credential.aaguid).toString('hex')}`,
      });
    }
    const signed = Buffer.concat([
      Buffer.of(0),
      authData.rpIdHash,
      input.clientDataHash,
      credential.credentialId,
      p256Point(credential.publicKey),
    ]);
    if (!verifyWithAlgorithm(ES256, certificate.publicKey(), signed, sig)) {
      throw trustError('ATTESTATION_SIGNATURE_INVALID', 'The attestation signature does not verify.', {
        detail: `${FMT}: signature does not verify with the key of ${certificate.subject}`,
      });
    }
    return { attestationType: 'basic', trustPath };
  },
};

/** The credential key as the uncompressed point 04 ‖ x ‖ y (RFC 5480's subjectPublicKey for P-256). */
function p256Point(key: CoseKey): Uint8Array {
  if (key.kty !== EC2 || key.crv !== P256)
    throw keyUnsupported(`credential key is kty ${key.kty} crv ${key.crv}, not EC2 P-256`);
  const reader = new DerReader(key.spki, 'ATTESTATION_STATEMENT_MALFORMED');
  const info = reader.sequence('SubjectPublicKeyInfo');
  info.expect(TagClass.Universal, UNIVERSAL.SEQUENCE, 'algorithm');
  const point = info.bitString('subjectPublicKey');
  if (point.length !== 65 || point[0] !== 4)
    throw statementMalformed(FMT, 'credential key is not an uncompressed P-256 point');
  return point;
}
