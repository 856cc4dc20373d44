import { createHash, diffieHellman, hkdfSync, type KeyObject } from 'node:crypto';
import { Tag } from 'cbor2';
import { decodeStrictCbor } from '../../crypto/cose/cbor.js';
import { coseMac0FromCbor, verifyCoseMac0 } from '../../crypto/cose/mac0.js';
import { coseSign1FromCbor, verifyCoseSign1 } from '../../crypto/cose/sign1.js';
import { head } from '../../crypto/cose/structure.js';
import { contentError, isKeywardError, trustError } from '../../errors.js';
import { TAG_EMBEDDED_CBOR } from './cbor-values.js';
import type { ParsedDeviceSigned } from './documents.js';

/**
 * mdoc authentication (ISO 18013-5 §9.1.3): deviceSigned.deviceAuth over
 * DeviceAuthenticationBytes = #6.24(bstr .cbor ["DeviceAuthentication", SessionTranscript,
 * DocType, DeviceNameSpacesBytes]), either a detached COSE_Sign1 by the MSO device key
 * (deviceSignature) or a detached COSE_Mac0 (deviceMac, HMAC 256/256) keyed with
 * EMacKey = HKDF-SHA-256(ECDH(EReader private, device key), salt SHA-256(SessionTranscriptBytes),
 * info "EMacKey", 32 bytes) (§9.1.3.5).
 */

export interface SessionTranscript {
  /** SessionTranscript's exact bytes (the CBOR array). */
  bytes: Uint8Array;
  /** SessionTranscriptBytes = #6.24(bstr .cbor SessionTranscript): what the EMacKey salt hashes. */
  taggedBytes: Uint8Array;
}

const transcriptFail = (detail: string) =>
  contentError('MDOC_SESSION_TRANSCRIPT_MALFORMED', 'The session transcript is malformed.', { detail });

/**
 * A session transcript given as SessionTranscript (a three-element array) or as
 * SessionTranscriptBytes (tag 24 around it). Its bytes are kept as given, never re-encoded.
 */
export function readSessionTranscript(bytes: Uint8Array): SessionTranscript {
  const value = decodeStrictCbor(bytes, 'MDOC_SESSION_TRANSCRIPT_MALFORMED', 'session transcript', { maxDepth: 16 });
  if (value instanceof Tag) {
    if (Number(value.tag) !== TAG_EMBEDDED_CBOR || !(value.contents instanceof Uint8Array)) {
      throw transcriptFail(`tag ${String(value.tag)}, expected 24 around a bstr`);
    }
    const inner = readSessionTranscript(value.contents);
    // Keep the tagged bytes as received (their bstr head, however long).
    return { bytes: inner.bytes, taggedBytes: bytes };
  }
  if (!Array.isArray(value) || value.length !== 3)
    throw transcriptFail('SessionTranscript is not a three-element array');
  return { bytes, taggedBytes: embed(bytes) };
}

/** DeviceAuthenticationBytes, from the exact transcript and DeviceNameSpacesBytes received. */
export function deviceAuthenticationBytes(
  transcript: SessionTranscript,
  docType: string,
  deviceNameSpacesBytes: Uint8Array,
): Buffer {
  const docTypeBytes = Buffer.from(docType, 'utf8');
  const context = Buffer.from('DeviceAuthentication', 'ascii');
  const deviceAuthentication = Buffer.concat([
    Buffer.of(0x84),
    head(3, context.length),
    context,
    transcript.bytes,
    head(3, docTypeBytes.length),
    docTypeBytes,
    deviceNameSpacesBytes,
  ]);
  return embed(deviceAuthentication);
}

/** #6.24(bstr .cbor item) with the shortest heads. */
const embed = (item: Uint8Array): Buffer =>
  Buffer.concat([Buffer.of(0xd8, TAG_EMBEDDED_CBOR), head(2, item.length), item]);

/** EMacKey (§9.1.3.5). */
export function eMacKey(readerPrivateKey: KeyObject, deviceKey: KeyObject, transcript: SessionTranscript): Buffer {
  let shared: Buffer;
  try {
    shared = diffieHellman({ privateKey: readerPrivateKey, publicKey: deviceKey });
  } catch (error) {
    throw trustError('MDOC_DEVICE_MAC_INVALID', 'The device MAC does not verify.', {
      detail: `ECDH with the reader key failed: ${(error as Error).message}`,
    });
  }
  const salt = createHash('sha256').update(transcript.taggedBytes).digest();
  return Buffer.from(hkdfSync('sha256', shared, salt, 'EMacKey', 32));
}

export type DeviceAuthMethod = 'signature' | 'mac';

/**
 * Verifies deviceAuth. Returns the method verified; throws MDOC_DEVICE_SIGNATURE_INVALID or
 * MDOC_DEVICE_MAC_INVALID (TRUST), MDOC_DEVICE_AUTH_MALFORMED or MDOC_DEVICE_AUTH_UNSUPPORTED
 * (CONTENT). A deviceMac needs `readerKey`; the caller decides what happens without one.
 */
export function verifyDeviceAuth(
  deviceSigned: ParsedDeviceSigned,
  docType: string,
  deviceKey: KeyObject,
  transcript: SessionTranscript,
  readerKey: KeyObject | undefined,
): DeviceAuthMethod {
  const detachedPayload = deviceAuthenticationBytes(transcript, docType, deviceSigned.nameSpaces.taggedBytes);
  if (deviceSigned.deviceSignature !== undefined) {
    const sign1 = framing(() => coseSign1FromCbor(deviceSigned.deviceSignature));
    if (!algorithm(() => verifyCoseSign1(sign1, deviceKey, { detachedPayload }))) {
      throw trustError('MDOC_DEVICE_SIGNATURE_INVALID', 'The device signature does not verify.', {
        detail: `deviceSignature of ${docType} does not verify with the MSO device key`,
      });
    }
    return 'signature';
  }
  const mac0 = framing(() => coseMac0FromCbor(deviceSigned.deviceMac));
  if (!readerKey) throw new TypeError('verifying a deviceMac needs the reader ephemeral key');
  if (!algorithm(() => verifyCoseMac0(mac0, eMacKey(readerKey, deviceKey, transcript), { detachedPayload }))) {
    throw trustError('MDOC_DEVICE_MAC_INVALID', 'The device MAC does not verify.', {
      detail: `deviceMac of ${docType} does not verify with the EMacKey of the reader key and the MSO device key`,
    });
  }
  return 'mac';
}

function framing<T>(run: () => T): T {
  try {
    return run();
  } catch (error) {
    if (isKeywardError(error)) {
      throw contentError('MDOC_DEVICE_AUTH_MALFORMED', 'The device authentication is malformed.', {
        detail: error.detail,
        cause: error,
      });
    }
    throw error;
  }
}

function algorithm(run: () => boolean): boolean {
  try {
    return run();
  } catch (error) {
    if (isKeywardError(error) && error.code === 'COSE_ALGORITHM_UNSUPPORTED') {
      throw contentError('MDOC_DEVICE_AUTH_UNSUPPORTED', 'The device authentication algorithm is not supported.', {
        detail: error.detail,
        cause: error,
      });
    }
    if (isKeywardError(error) && error.code === 'COSE_PAYLOAD_MISSING') {
      throw contentError('MDOC_DEVICE_AUTH_MALFORMED', 'The device authentication is malformed.', {
        detail: `deviceAuth carries a payload: ${error.detail ?? ''}`,
        cause: error,
      });
    }
    throw error;
  }
}
