import { createHash } from 'node:crypto';
import { publicKeyParts, type CredentialKeyPair } from './credential-key.js';

/**
 * The TPM 2.0 structures a TPM's WebAuthn attestation carries (TPM 2.0 Library Part 2): the
 * credential key's TPMT_PUBLIC (pubArea) and the TPMS_ATTEST a TPM2_Certify produces (certInfo).
 */
export const TPM_GENERATED_VALUE = 0xff544347;
export const TPM_ST_ATTEST_CERTIFY = 0x8017;
const TPM_ALG_RSA = 0x0001;
const TPM_ALG_SHA256 = 0x000b;
const TPM_ALG_NULL = 0x0010;
const TPM_ALG_ECC = 0x0023;
const TPM_ECC_NIST_P256 = 0x0003;
const TPM_ECC_NIST_P384 = 0x0004;

/** fixedTPM | fixedParent | sensitiveDataOrigin | userWithAuth | noDA | decrypt | sign, as Windows Hello's keys have. */
const OBJECT_ATTRIBUTES = 0x00060472;

const u16 = (value: number) => Buffer.of(value >> 8, value & 0xff);
const u32 = (value: number) => {
  const bytes = Buffer.alloc(4);
  bytes.writeUInt32BE(value);
  return bytes;
};
/** TPM2B_*: a UINT16 size, then the bytes. */
const sized = (bytes: Uint8Array) => Buffer.concat([u16(bytes.length), bytes]);

/** TPMT_PUBLIC of an RSA (exponent field 0 = the default 65537) or ECC (P-256, P-384) credential key, nameAlg SHA-256. */
export function encodePubArea(key: CredentialKeyPair): Buffer {
  const { x, y, n } = publicKeyParts(key);
  const header = Buffer.concat([u16(n ? TPM_ALG_RSA : TPM_ALG_ECC), u16(TPM_ALG_SHA256), u32(OBJECT_ATTRIBUTES)]);
  const authPolicy = sized(Buffer.alloc(0));
  if (n) {
    // TPMS_RSA_PARMS: symmetric NULL, scheme NULL (the key signs with any scheme), keyBits, exponent; unique = modulus.
    const parameters = Buffer.concat([u16(TPM_ALG_NULL), u16(TPM_ALG_NULL), u16(n.length * 8), u32(0)]);
    return Buffer.concat([header, authPolicy, parameters, sized(n)]);
  }
  if (key.algorithm !== 'ES256' && key.algorithm !== 'ES384')
    throw new TypeError(`a TPM cannot hold ${key.algorithm} credential keys`);
  // TPMS_ECC_PARMS: symmetric NULL, scheme NULL, curveID, kdf NULL; unique = TPMS_ECC_POINT.
  const curve = key.algorithm === 'ES384' ? TPM_ECC_NIST_P384 : TPM_ECC_NIST_P256;
  const parameters = Buffer.concat([u16(TPM_ALG_NULL), u16(TPM_ALG_NULL), u16(curve), u16(TPM_ALG_NULL)]);
  return Buffer.concat([header, authPolicy, parameters, sized(x!), sized(y!)]);
}

/** TPM2B_NAME of an object: nameAlg (SHA-256) ‖ SHA-256(its TPMT_PUBLIC). */
export const tpmName = (pubArea: Uint8Array) =>
  Buffer.concat([u16(TPM_ALG_SHA256), createHash('sha256').update(pubArea).digest()]);

export interface CertifyFields {
  /** TPM2B_NAME of the AIK's hierarchy (qualifiedSigner). */
  qualifiedSigner: Uint8Array;
  /** hash(authData ‖ clientDataHash) with the attestation statement's hash. */
  extraData: Uint8Array;
  /** Milliseconds the TPM has been running. */
  clock: bigint;
  resetCount: number;
  restartCount: number;
  firmwareVersion: bigint;
  pubArea: Uint8Array;
  /** TPM2B_NAME of the credential key's parent. */
  qualifiedName: Uint8Array;
}

/** TPMS_ATTEST of TPM2_Certify over the credential key (magic TPM_GENERATED_VALUE, type TPM_ST_ATTEST_CERTIFY). */
export function encodeCertInfo(fields: CertifyFields): Buffer {
  const u64 = (value: bigint) => {
    const bytes = Buffer.alloc(8);
    bytes.writeBigUInt64BE(value);
    return bytes;
  };
  return Buffer.concat([
    u32(TPM_GENERATED_VALUE),
    u16(TPM_ST_ATTEST_CERTIFY),
    sized(fields.qualifiedSigner),
    sized(fields.extraData),
    // TPMS_CLOCK_INFO: clock, resetCount, restartCount, safe
    u64(fields.clock),
    u32(fields.resetCount),
    u32(fields.restartCount),
    Buffer.of(1),
    u64(fields.firmwareVersion),
    // TPMS_CERTIFY_INFO: name, qualifiedName
    sized(tpmName(fields.pubArea)),
    sized(fields.qualifiedName),
  ]);
}
