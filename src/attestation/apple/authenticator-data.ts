import { contentError, type ErrorCode } from '../../errors.js';
import { cborItemLength, decodeCbor } from '../cbor.js';

/** Flag bit: extension data follows the attested credential data. */
const FLAG_EXTENSION_DATA = 0x80;

/** rpIdHash (32) ‖ flags (1) ‖ signCount (4): what assertions carry. */
const HEADER_LENGTH = 37;
const AAGUID_LENGTH = 16;

export interface AuthenticatorData {
  rpIdHash: Uint8Array;
  flags: number;
  counter: number;
}

export interface AttestedAuthenticatorData extends AuthenticatorData {
  aaguid: Uint8Array;
  credentialId: Uint8Array;
  /** The COSE_Key, as the CBOR bytes received. */
  credentialPublicKey: Uint8Array;
  /** Decoded extension data, present when the extension flag is set. */
  extensions?: unknown;
  /** Bytes after the credential although the extension flag is clear (Apple's own sample has them): ignored, counted. */
  ignoredTrailingBytes: number;
}

const malformed = (code: ErrorCode, detail: string) =>
  contentError(code, 'The authenticator data is malformed.', { detail });

/** The fixed header; bytes after it are left to the caller (assertions carry none). */
export function parseAuthenticatorData(bytes: Uint8Array, code: ErrorCode): AuthenticatorData {
  if (bytes.length < HEADER_LENGTH)
    throw malformed(code, `authenticator data has ${bytes.length} bytes, at least ${HEADER_LENGTH} needed`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return { rpIdHash: bytes.subarray(0, 32), flags: bytes[32]!, counter: view.getUint32(33) };
}

/**
 * Authenticator data with attested credential data (docs/protocols/apple-app-attest.md step 4): header, aaguid,
 * credentialId, COSE key. Extension data is decoded when flagged; unflagged trailing bytes are
 * tolerated because genuine Apple attestations have carried them.
 */
export function parseAttestedAuthenticatorData(bytes: Uint8Array, code: ErrorCode): AttestedAuthenticatorData {
  const header = parseAuthenticatorData(bytes, code);
  let offset = HEADER_LENGTH;
  if (bytes.length < offset + AAGUID_LENGTH + 2) throw malformed(code, 'attested credential data is truncated');
  const aaguid = bytes.subarray(offset, offset + AAGUID_LENGTH);
  offset += AAGUID_LENGTH;
  const credentialIdLength = (bytes[offset]! << 8) | bytes[offset + 1]!;
  offset += 2;
  if (bytes.length < offset + credentialIdLength) throw malformed(code, 'credentialId runs past the end');
  const credentialId = bytes.subarray(offset, offset + credentialIdLength);
  offset += credentialIdLength;
  const keyLength = cborItemLength(bytes, offset, code);
  const credentialPublicKey = bytes.subarray(offset, offset + keyLength);
  offset += keyLength;

  const rest = bytes.subarray(offset);
  // Fields spelled out: object spread is a slow path in V8 and this runs per request.
  const parsed: AttestedAuthenticatorData = {
    rpIdHash: header.rpIdHash,
    flags: header.flags,
    counter: header.counter,
    aaguid,
    credentialId,
    credentialPublicKey,
    ignoredTrailingBytes: 0,
  };
  if (header.flags & FLAG_EXTENSION_DATA) {
    if (rest.length === 0) throw malformed(code, 'extension flag set but no extension data');
    parsed.extensions = decodeCbor(rest, code, 'authenticator data');
  } else {
    parsed.ignoredTrailingBytes = rest.length;
  }
  return parsed;
}
