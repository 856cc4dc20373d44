import { contentError } from '../../errors.js';
import { decodeCbor } from '../cbor.js';

export const ATTESTATION_MALFORMED = 'APPLE_ATTESTATION_MALFORMED';
/** Genuine attestation objects are about 5 KiB (two certificates and a receipt). */
const MAX_ATTESTATION_BYTES = 64 * 1024;

/** {fmt: "apple-appattest", attStmt: {x5c: [credCert, intermediate, …], receipt}, authData}. */
export interface AttestationObject {
  x5c: Uint8Array[];
  /** Absent only in attestations that never came from Apple; required when receipts are checked. */
  receipt?: Uint8Array;
  authData: Uint8Array;
}

const malformed = (detail: string) => contentError(ATTESTATION_MALFORMED, 'The attestation is malformed.', { detail });

function onlyKeys(map: Map<unknown, unknown>, allowed: readonly string[], what: string): void {
  for (const key of map.keys()) {
    if (typeof key !== 'string' || !allowed.includes(key))
      throw malformed(`${what} has an unexpected key ${String(key)}`);
  }
}

export function decodeAttestationObject(bytes: Uint8Array): AttestationObject {
  if (bytes.length > MAX_ATTESTATION_BYTES)
    throw malformed(`${bytes.length} bytes, at most ${MAX_ATTESTATION_BYTES} accepted`);
  const object = decodeCbor(bytes, ATTESTATION_MALFORMED, 'attestation');
  if (!(object instanceof Map)) throw malformed('not a CBOR map');
  onlyKeys(object, ['fmt', 'attStmt', 'authData'], 'the attestation object');
  const format: unknown = object.get('fmt');
  if (format !== 'apple-appattest') {
    throw contentError('ATTESTATION_FORMAT_UNSUPPORTED', 'The attestation is not an Apple App Attest attestation.', {
      detail: `fmt ${String(format)}`,
    });
  }
  const statement: unknown = object.get('attStmt');
  if (!(statement instanceof Map)) throw malformed('attStmt is not a map');
  onlyKeys(statement, ['x5c', 'receipt'], 'attStmt');
  const x5c: unknown = statement.get('x5c');
  if (!Array.isArray(x5c) || !x5c.every((certificate) => certificate instanceof Uint8Array))
    throw malformed('x5c is not an array of byte strings');
  const receipt: unknown = statement.get('receipt');
  if (receipt !== undefined && !(receipt instanceof Uint8Array)) throw malformed('receipt is not a byte string');
  const authData: unknown = object.get('authData');
  if (!(authData instanceof Uint8Array)) throw malformed('authData is not a byte string');
  const decoded: AttestationObject = { x5c, authData };
  if (receipt) decoded.receipt = receipt;
  return decoded;
}
