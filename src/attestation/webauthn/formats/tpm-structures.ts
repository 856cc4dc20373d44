import { contentError } from '../../../errors.js';

/**
 * Readers for the two TPM 2.0 structures a WebAuthn tpm attestation statement carries
 * (TPM 2.0 Library, Part 2 "Structures"): certInfo, a TPMS_ATTEST made by TPM2_Certify, and
 * pubArea, the TPMT_PUBLIC of the credential key. Big-endian, sized buffers (TPM2B_*) as a
 * UINT16 length and the bytes. Readers return views into the input (no copies); anything that
 * runs past the end, or trailing bytes, is a CONTENT error.
 */

/** TPM_GENERATED_VALUE: only the TPM writes it at the start of a structure it signs (Part 2 §6.2). */
export const TPM_GENERATED_VALUE = 0xff544347;

/** TPM_ST_ATTEST_CERTIFY: the structure tag of a TPMS_ATTEST made by TPM2_Certify (Part 2 §6.9). */
export const TPM_ST_ATTEST_CERTIFY = 0x8017;

/** TPM_ALG_ID values used here (Part 2 §6.3). */
export const TPM_ALG = {
  RSA: 0x0001,
  SHA1: 0x0004,
  SHA256: 0x000b,
  SHA384: 0x000c,
  SHA512: 0x000d,
  NULL: 0x0010,
  SM3_256: 0x0012,
  ECDAA: 0x001a,
  ECC: 0x0023,
  SHA3_256: 0x0027,
  SHA3_384: 0x0028,
  SHA3_512: 0x0029,
} as const;

/** Name hash algorithms by TPM_ALG_ID: node:crypto digest names. */
export const TPM_HASHES: Readonly<Record<number, string>> = {
  [TPM_ALG.SHA1]: 'sha1',
  [TPM_ALG.SHA256]: 'sha256',
  [TPM_ALG.SHA384]: 'sha384',
  [TPM_ALG.SHA512]: 'sha512',
  [TPM_ALG.SM3_256]: 'sm3',
  [TPM_ALG.SHA3_256]: 'sha3-256',
  [TPM_ALG.SHA3_384]: 'sha3-384',
  [TPM_ALG.SHA3_512]: 'sha3-512',
};

/** TPM_ECC_CURVE values (Part 2 §6.4) of the curves a WebAuthn credential can use, with their COSE crv and coordinate size. */
export const TPM_ECC_CURVES: Readonly<Record<number, { name: string; crv: number; size: number }>> = {
  3: { name: 'P-256', crv: 1, size: 32 },
  4: { name: 'P-384', crv: 2, size: 48 },
  5: { name: 'P-521', crv: 3, size: 66 },
};

/** TPMS_ATTEST (Part 2 §10.12.12) with the TPMS_CERTIFY_INFO of TPM2_Certify. */
export interface TpmsAttest {
  magic: number;
  type: number;
  qualifiedSigner: Uint8Array;
  extraData: Uint8Array;
  clock: { clock: bigint; resetCount: number; restartCount: number; safe: boolean };
  firmwareVersion: bigint;
  /** Present when `type` is TPM_ST_ATTEST_CERTIFY (the other kinds are not read). */
  certified?: { name: Uint8Array; qualifiedName: Uint8Array };
}

/** The public-key parts of a TPMT_PUBLIC (Part 2 §12.2.4) that identify the key. */
export type TpmtPublic = {
  nameAlg: number;
  objectAttributes: number;
  authPolicy: Uint8Array;
} & (
  | {
      type: 'RSA';
      keyBits: number;
      /** The exponent as stated; 0 means the default 2^16 + 1. */
      exponent: number;
      /** unique: the modulus. */
      modulus: Uint8Array;
    }
  | {
      type: 'ECC';
      curveId: number;
      x: Uint8Array;
      y: Uint8Array;
    }
);

class TpmReader {
  private offset = 0;

  constructor(
    private readonly bytes: Uint8Array,
    private readonly what: string,
  ) {}

  fail(detail: string) {
    return contentError('TPM_STRUCTURE_MALFORMED', `The TPM ${this.what} is malformed.`, {
      detail: `${this.what}: ${detail}`,
    });
  }

  private need(count: number, field: string): number {
    const start = this.offset;
    if (start + count > this.bytes.length) throw this.fail(`${field} runs past the end`);
    this.offset = start + count;
    return start;
  }

  u8(field: string): number {
    return this.bytes[this.need(1, field)]!;
  }

  u16(field: string): number {
    const at = this.need(2, field);
    return (this.bytes[at]! << 8) | this.bytes[at + 1]!;
  }

  u32(field: string): number {
    const at = this.need(4, field);
    return (
      ((this.bytes[at]! << 24) | (this.bytes[at + 1]! << 16) | (this.bytes[at + 2]! << 8) | this.bytes[at + 3]!) >>> 0
    );
  }

  u64(field: string): bigint {
    const high = this.u32(field);
    const low = this.u32(field);
    return (BigInt(high) << 32n) | BigInt(low);
  }

  /** A TPM2B_*: UINT16 size, then that many bytes (a view). */
  sized(field: string): Uint8Array {
    const size = this.u16(field);
    const at = this.need(size, field);
    return this.bytes.subarray(at, at + size);
  }

  /** A TPMI_ALG_HASH that a scheme carries unless it is TPM_ALG_NULL (TPMT_*_SCHEME, TPMT_KDF_SCHEME). */
  scheme(field: string): number {
    const scheme = this.u16(field);
    if (scheme !== TPM_ALG.NULL) {
      this.u16(`${field} hashAlg`);
      // TPMS_SCHEME_ECDAA carries a commit count after its hash.
      if (scheme === TPM_ALG.ECDAA) this.u16(`${field} count`);
    }
    return scheme;
  }

  /** TPMT_SYM_DEF_OBJECT: an algorithm, and for a cipher its key size and mode. */
  symmetric(field: string): number {
    const algorithm = this.u16(field);
    if (algorithm !== TPM_ALG.NULL) {
      this.u16(`${field} keyBits`);
      this.u16(`${field} mode`);
    }
    return algorithm;
  }

  end(): void {
    if (this.offset !== this.bytes.length)
      throw this.fail(`${this.bytes.length - this.offset} bytes after the end of the structure`);
  }
}

/** certInfo: a TPMS_ATTEST. Its header is read whatever the type; the attested part only for TPM2_Certify, and then nothing may follow it. */
export function parseCertInfo(bytes: Uint8Array): TpmsAttest {
  const reader = new TpmReader(bytes, 'certInfo');
  const magic = reader.u32('magic');
  const type = reader.u16('type');
  const qualifiedSigner = reader.sized('qualifiedSigner');
  const extraData = reader.sized('extraData');
  const clock = {
    clock: reader.u64('clockInfo.clock'),
    resetCount: reader.u32('clockInfo.resetCount'),
    restartCount: reader.u32('clockInfo.restartCount'),
    safe: reader.u8('clockInfo.safe') !== 0,
  };
  const firmwareVersion = reader.u64('firmwareVersion');
  const attest: TpmsAttest = { magic, type, qualifiedSigner, extraData, clock, firmwareVersion };
  if (type === TPM_ST_ATTEST_CERTIFY) {
    attest.certified = { name: reader.sized('attested.name'), qualifiedName: reader.sized('attested.qualifiedName') };
    reader.end();
  }
  return attest;
}

/** pubArea: a TPMT_PUBLIC of an RSA or ECC key (other key types are refused). */
export function parsePubArea(bytes: Uint8Array): TpmtPublic {
  const reader = new TpmReader(bytes, 'pubArea');
  const type = reader.u16('type');
  const nameAlg = reader.u16('nameAlg');
  const objectAttributes = reader.u32('objectAttributes');
  const authPolicy = reader.sized('authPolicy');
  let area: TpmtPublic;
  if (type === TPM_ALG.RSA) {
    // TPMS_RSA_PARMS
    reader.symmetric('parameters.symmetric');
    reader.scheme('parameters.scheme');
    const keyBits = reader.u16('parameters.keyBits');
    const exponent = reader.u32('parameters.exponent');
    const modulus = reader.sized('unique');
    area = { type: 'RSA', nameAlg, objectAttributes, authPolicy, keyBits, exponent, modulus };
  } else if (type === TPM_ALG.ECC) {
    // TPMS_ECC_PARMS
    reader.symmetric('parameters.symmetric');
    reader.scheme('parameters.scheme');
    const curveId = reader.u16('parameters.curveID');
    reader.scheme('parameters.kdf');
    const x = reader.sized('unique.x');
    const y = reader.sized('unique.y');
    area = { type: 'ECC', nameAlg, objectAttributes, authPolicy, curveId, x, y };
  } else {
    throw contentError('TPM_KEY_TYPE_UNSUPPORTED', 'The TPM key is neither an RSA nor an ECC key.', {
      detail: `pubArea type 0x${type.toString(16).padStart(4, '0')}`,
    });
  }
  reader.end();
  return area;
}
