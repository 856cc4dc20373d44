import { sha256 } from '../../../crypto/keys.js';
import { sameBytes } from '../../../crypto/bytes.js';
import { contentError } from '../../../errors.js';
import { readNonce } from '../../apple/credential-certificate.js';
import type { FormatInput, FormatResult, FormatVerifier } from '../types.js';
import { algField, assertStatementKeys, parseTrustPath, signedData, x5cField } from './attestation-statement.js';

const FMT = 'apple';

/**
 * Apple anonymous attestation (WebAuthn §8.8): the credential certificate, issued per credential
 * by Apple's anonymization CA, carries SHA-256(authenticatorData ‖ clientDataHash) in extension
 * 1.2.840.113635.100.8.2 and certifies the credential key itself. There is no signature over the
 * statement: the certificate is the attestation, so its chain to the Apple WebAuthn Root CA is
 * what makes it trustworthy (checked with the format's roots).
 */
export const appleFormat: FormatVerifier = {
  fmt: FMT,
  verify(input: FormatInput, context): FormatResult {
    const { attStmt } = input;
    // §8.8 defines x5c only; Apple's authenticators also send the credential key's alg, which nothing depends on.
    assertStatementKeys(attStmt, FMT, { required: ['x5c'], optional: ['alg'] });
    if (attStmt.has('alg')) algField(attStmt, FMT);
    const trustPath = parseTrustPath(x5cField(attStmt, FMT, context.maxChainLength));
    const certificate = trustPath[0]!;
    const nonce = sha256(signedData(input.authData.raw, input.clientDataHash));
    if (!sameBytes(nonce, readNonce({ certificate, point: certificate.publicKeyBits }))) {
      throw contentError('ATTESTATION_NONCE_MISMATCH', 'The attestation was not made for this registration.', {
        detail: `${FMT}: the credential certificate's nonce is not SHA-256(authenticatorData ‖ clientDataHash)`,
      });
    }
    const key = input.authData.attested.publicKey;
    if (!sameBytes(certificate.spki, key.spki) && !certificate.publicKey().equals(key.key)) {
      throw contentError(
        'ATTESTATION_KEY_MISMATCH',
        'The credential public key is not the key the attestation certificate certifies.',
        { detail: `${FMT}: credential certificate ${certificate.subject}` },
      );
    }
    return { attestationType: 'anonca', trustPath };
  },
};
