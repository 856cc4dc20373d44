import { contentError } from '../../errors.js';
import { cborItemLength, decodeCbor } from '../cbor.js';
import { parseCoseKey } from './cose-key.js';
import { type AttestedCredential, type AuthenticatorData, FLAGS } from './types.js';

/** rpIdHash (32) ‖ flags (1) ‖ signCount (4). */
const HEADER_LENGTH = 37;
const AAGUID_LENGTH = 16;
/** WebAuthn §6.5.1: credential ids are at most 1023 bytes. */
const MAX_CREDENTIAL_ID_LENGTH = 1023;

const CODE = 'AUTHENTICATOR_DATA_MALFORMED';
const malformed = (detail: string) => contentError(CODE, 'The authenticator data is malformed.', { detail });

/**
 * Authenticator data (WebAuthn §6.1): rpIdHash, flags, signCount, then attested credential data
 * when AT is set (aaguid, credentialId, COSE credential public key) and an extensions map when ED
 * is set. Every byte must be accounted for by the flags: trailing bytes, truncation and data the
 * flags do not announce are refused. `raw` is `bytes` itself (signatures are over it); the other
 * byte fields are views of it.
 */
export function parseAuthenticatorData(bytes: Uint8Array): AuthenticatorData {
  if (bytes.length < HEADER_LENGTH) throw malformed(`${bytes.length} bytes, at least ${HEADER_LENGTH} needed`);
  const flags = bytes[32]!;
  const parsed: AuthenticatorData = {
    raw: bytes,
    rpIdHash: bytes.subarray(0, 32),
    flags,
    counter: ((bytes[33]! << 24) | (bytes[34]! << 16) | (bytes[35]! << 8) | bytes[36]!) >>> 0,
  };
  let offset = HEADER_LENGTH;
  if (flags & FLAGS.AT) {
    const { attested, end } = parseAttestedCredential(bytes, offset);
    parsed.attested = attested;
    offset = end;
  }
  if (flags & FLAGS.ED) {
    if (offset === bytes.length) throw malformed('ED flag set but no extension data');
    const length = cborItemLength(bytes, offset, CODE);
    if (offset + length !== bytes.length)
      throw malformed(`${bytes.length - offset - length} bytes after the extension data`);
    const extensions = decodeCbor(bytes.subarray(offset), CODE, 'authenticator data');
    if (!(extensions instanceof Map)) throw malformed('extension data is not a map');
    parsed.extensions = extensions;
  } else if (offset !== bytes.length) {
    throw malformed(
      `${bytes.length - offset} bytes after the ${flags & FLAGS.AT ? 'attested credential data' : 'header'} the flags do not announce`,
    );
  }
  return parsed;
}

function parseAttestedCredential(bytes: Uint8Array, start: number): { attested: AttestedCredential; end: number } {
  let offset = start;
  if (bytes.length < offset + AAGUID_LENGTH + 2)
    throw malformed('AT flag set but attested credential data is truncated');
  const aaguid = bytes.subarray(offset, offset + AAGUID_LENGTH);
  offset += AAGUID_LENGTH;
  const credentialIdLength = (bytes[offset]! << 8) | bytes[offset + 1]!;
  offset += 2;
  if (credentialIdLength === 0) throw malformed('credentialId is empty');
  if (credentialIdLength > MAX_CREDENTIAL_ID_LENGTH) {
    throw contentError('CREDENTIAL_ID_TOO_LONG', 'The credential id is too long.', {
      detail: `credentialIdLength ${credentialIdLength}, at most ${MAX_CREDENTIAL_ID_LENGTH}`,
    });
  }
  if (bytes.length < offset + credentialIdLength) throw malformed('credentialId runs past the end');
  const credentialId = bytes.subarray(offset, offset + credentialIdLength);
  offset += credentialIdLength;
  const keyLength = cborItemLength(bytes, offset, CODE);
  const publicKeyBytes = bytes.subarray(offset, offset + keyLength);
  const publicKey = parseCoseKey(publicKeyBytes);
  return { attested: { aaguid, credentialId, publicKeyBytes, publicKey }, end: offset + keyLength };
}
