import { DerReader, TagClass } from '../../../crypto/asn1/der.js';
import { asBuffer, sameBytes } from '../../../crypto/bytes.js';
import type { ParsedCertificate } from '../../../crypto/x509/certificate.js';
import { NAME_OIDS, attributeValues, readName } from '../../../crypto/x509/names.js';
import { contentError, trustError } from '../../../errors.js';
import { verifyCoseSignature, verifyWithAlgorithm } from '../cose-key.js';
import type { FormatInput, FormatResult, FormatVerifier } from '../types.js';
import {
  algField,
  assertAlgorithmFitsCertificate,
  assertStatementKeys,
  bytesField,
  parseTrustPath,
  signedData,
  x5cField,
} from './attestation-statement.js';

const FMT = 'packed';

/** id-fido-gen-ce-aaguid: the AAGUID of the authenticator model an attestation certificate is for. */
export const AAGUID_EXTENSION_OID = '1.3.6.1.4.1.45724.1.1.4';
const BASIC_CONSTRAINTS_OID = '2.5.29.19';

/**
 * basicConstraints { cA FALSE } with the default written out: DER leaves defaults out (X.690
 * §11.5), so this is `30 00` in DER. Chrome's virtual authenticator wrote it in its leaf until
 * Chrome 90; the meaning is unambiguous, so it is accepted with a warning.
 */
const EXPLICIT_CA_FALSE = Buffer.from('3003010100', 'hex');

const certificateInvalid = (detail: string) =>
  contentError(
    'ATTESTATION_CERTIFICATE_INVALID',
    'The attestation certificate does not meet the requirements of its format.',
    { detail: `${FMT}: ${detail}` },
  );

const signatureInvalid = (detail: string) =>
  trustError('ATTESTATION_SIGNATURE_INVALID', 'The attestation signature does not verify.', {
    detail: `${FMT}: ${detail}`,
  });

/**
 * Packed attestation (WebAuthn §8.2): with x5c, full attestation — the leaf signed
 * authenticatorData ‖ clientDataHash with `alg` and meets §8.2.1; without, self attestation —
 * the credential key signed it with its own algorithm.
 */
export const packedFormat: FormatVerifier = {
  fmt: FMT,
  verify(input: FormatInput, context): FormatResult {
    const { attStmt } = input;
    assertStatementKeys(attStmt, FMT, { required: ['alg', 'sig'], optional: ['x5c'] });
    const alg = algField(attStmt, FMT);
    const sig = bytesField(attStmt, FMT, 'sig');
    const data = signedData(input.authData.raw, input.clientDataHash);
    const credential = input.authData.attested;

    if (!attStmt.has('x5c')) {
      if (alg !== credential.publicKey.alg) {
        throw contentError(
          'ATTESTATION_ALGORITHM_MISMATCH',
          "The self attestation's algorithm is not the credential key's.",
          { detail: `${FMT}: alg ${alg}, credential key alg ${credential.publicKey.alg}` },
        );
      }
      if (!verifyCoseSignature(credential.publicKey, data, sig))
        throw signatureInvalid('self attestation signature does not verify with the credential key');
      return { attestationType: 'self', trustPath: [] };
    }

    const trustPath = parseTrustPath(x5cField(attStmt, FMT, context.maxChainLength));
    const leaf = trustPath[0]!;
    assertAlgorithmFitsCertificate(alg, leaf, FMT);
    if (!verifyWithAlgorithm(alg, leaf.publicKey(), data, sig))
      throw signatureInvalid(`signature does not verify with the key of ${leaf.subject}`);
    const warnings = checkAttestationCertificate(leaf, credential.aaguid);
    return warnings.length > 0
      ? { attestationType: 'basic', trustPath, warnings }
      : { attestationType: 'basic', trustPath };
  },
};

/** §8.2.1: what a packed attestation certificate must be. Returns warnings for quirks accepted. */
function checkAttestationCertificate(leaf: ParsedCertificate, aaguid: Uint8Array): string[] {
  const warnings: string[] = [];
  if (!isVersion3(leaf)) throw certificateInvalid('attestation certificate is not X.509 version 3');

  const subject = readName(leaf.subjectDer);
  const one = (type: string, name: string) => {
    const values = attributeValues(subject, type);
    if (values.length !== 1 || values[0]!.length === 0)
      throw certificateInvalid(`subject must hold exactly one non-empty ${name}, has ${values.length}`);
    return values[0]!;
  };
  const country = one(NAME_OIDS.C, 'C');
  if (!/^[A-Za-z]{2}$/.test(country)) throw certificateInvalid(`subject C "${country}" is not an ISO 3166 code`);
  one(NAME_OIDS.O, 'O');
  const unit = one(NAME_OIDS.OU, 'OU');
  if (unit !== 'Authenticator Attestation')
    throw certificateInvalid(`subject OU is "${unit}", not "Authenticator Attestation"`);
  one(NAME_OIDS.CN, 'CN');

  if (leaf.isCa) throw certificateInvalid('attestation certificate has basicConstraints cA true');
  const constraints = leaf.extension(BASIC_CONSTRAINTS_OID);
  if (constraints && EXPLICIT_CA_FALSE.equals(constraints.value)) {
    warnings.push(
      'The attestation certificate encodes basicConstraints cA FALSE explicitly, which DER forbids ' +
        "(a bug of Chrome's virtual authenticator before Chrome 90); read as cA false.",
    );
  }

  const extension = leaf.extension(AAGUID_EXTENSION_OID);
  if (extension) {
    if (extension.critical) throw certificateInvalid('id-fido-gen-ce-aaguid is marked critical');
    const reader = new DerReader(extension.value, 'ATTESTATION_CERTIFICATE_INVALID');
    const value = reader.octetString('id-fido-gen-ce-aaguid');
    reader.end('id-fido-gen-ce-aaguid');
    if (!sameBytes(value, aaguid)) {
      throw contentError(
        'ATTESTATION_AAGUID_MISMATCH',
        "The attestation certificate's AAGUID differs from the authenticator's.",
        {
          detail: `${FMT}: certificate ${asBuffer(value).toString('hex')}, authenticator data ${asBuffer(aaguid).toString('hex')}`,
        },
      );
    }
  }
  return warnings;
}

/** A v3 certificate states its version ([0] EXPLICIT, which the parser accepts only as v3); v1 leaves it out. */
function isVersion3(certificate: ParsedCertificate): boolean {
  const tbs = new DerReader(certificate.tbs, 'MALFORMED_CERTIFICATE').sequence('tbsCertificate');
  const first = tbs.peek();
  return first?.tagClass === TagClass.Context && first.tag === 0;
}
