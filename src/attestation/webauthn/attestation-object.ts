import { contentError } from '../../errors.js';
import { decodeCbor } from '../cbor.js';
import { parseAuthenticatorData } from './authenticator-data.js';
import type { AttestationObject, AttestedCredential, AuthenticatorData } from './types.js';

/** An attestation object whose authenticator data carries the new credential. */
export type RegistrationAttestationObject = AttestationObject & {
  authData: AuthenticatorData & { attested: AttestedCredential };
};

const malformed = (detail: string) =>
  contentError('ATTESTATION_OBJECT_MALFORMED', 'The attestation object is malformed.', { detail });

/**
 * The attestation object of a registration (WebAuthn §6.5.4): a CBOR map with a text `fmt`, a map
 * `attStmt` and byte string `authData` (other keys are ignored), its authenticator data parsed and
 * required to carry attested credential data (AT).
 */
export function decodeAttestationObject(bytes: Uint8Array): RegistrationAttestationObject {
  const object = decodeCbor(bytes, 'ATTESTATION_OBJECT_MALFORMED', 'attestation object');
  if (!(object instanceof Map)) throw malformed('not a map');
  const fmt: unknown = object.get('fmt');
  const attStmt: unknown = object.get('attStmt');
  const authDataBytes: unknown = object.get('authData');
  if (typeof fmt !== 'string' || fmt.length === 0) throw malformed('fmt missing or not a text string');
  if (!(attStmt instanceof Map)) throw malformed('attStmt missing or not a map');
  if (!(authDataBytes instanceof Uint8Array)) throw malformed('authData missing or not a byte string');
  const authData = parseAuthenticatorData(authDataBytes);
  if (!authData.attested) {
    throw contentError('ATTESTED_CREDENTIAL_MISSING', 'The registration carries no credential.', {
      detail: "AT flag clear in the attestation object's authenticator data",
    });
  }
  return { fmt, attStmt, authData: authData as RegistrationAttestationObject['authData'] };
}
