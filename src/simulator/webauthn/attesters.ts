import { generateKeyPairSync, randomBytes, sign, type KeyObject } from 'node:crypto';
import { ecPoint, sha256, spkiOf } from '../../crypto/keys.js';
import type { AndroidDeviceSimulator } from '../android/device.js';
import type { SimulatedRecord } from '../android/key-description-encoder.js';
import type { KeyKind } from '../certificates.js';
import {
  bstr,
  COSE_ALGORITHM_IDS,
  generateCredentialKey,
  signWith,
  type CoseAlgorithmName,
  type CredentialKeyPair,
} from './credential-key.js';
import type { WebAuthnTestAuthority } from './test-authority.js';
import { encodeCertInfo, encodePubArea, tpmName } from './tpm-structures.js';

/** What an attestation statement signs or certifies. */
export interface StatementInput {
  authData: Buffer;
  clientDataHash: Buffer;
  rpIdHash: Buffer;
  credentialId: Buffer;
  key: CredentialKeyPair;
  /** android-key: the chain the simulated TEE made with the key. */
  chain?: Buffer[];
  at: number;
}

/** How one format makes credential keys and attestation statements. */
export interface Attester {
  readonly fmt: string;
  /** A new credential key (android-key: generated and attested in the simulated TEE, challenge = clientDataHash). */
  newKey(
    algorithm: CoseAlgorithmName,
    clientDataHash: Buffer,
    at: number,
  ): Promise<{ key: CredentialKeyPair; chain?: Buffer[] }>;
  /** attStmt, as a CBOR map in CTAP2 canonical key order. */
  statement(input: StatementInput): Map<string, unknown>;
}

const freshKey = async (algorithm: CoseAlgorithmName) => ({ key: generateCredentialKey(algorithm) });
const signedBase = (input: StatementInput) => Buffer.concat([input.authData, input.clientDataHash]);
const certificates = (chain: readonly Buffer[]) => chain.map(bstr);

export const noneAttester: Attester = {
  fmt: 'none',
  newKey: freshKey,
  statement: () => new Map(),
};

/** packed self attestation: signed with the credential key itself. */
export const packedSelfAttester: Attester = {
  fmt: 'packed',
  newKey: freshKey,
  statement: (input) =>
    new Map<string, unknown>([
      ['alg', COSE_ALGORITHM_IDS[input.key.algorithm]],
      ['sig', bstr(signWith(input.key.algorithm, input.key.privateKey, signedBase(input)))],
    ]),
};

/** packed full attestation: an ES256 batch attestation key, its certificate and the attestation CA in x5c. */
export function packedFullAttester(
  authority: WebAuthnTestAuthority,
  aaguid: Uint8Array,
  options: { at: number; withRoot: boolean },
): Attester {
  const attestation = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const leaf = authority.packedCertificate(spkiOf(attestation.publicKey), aaguid, options.at);
  const x5c = [leaf, authority.intermediate, ...(options.withRoot ? [authority.rootDer] : [])];
  return {
    fmt: 'packed',
    newKey: freshKey,
    statement: (input) =>
      new Map<string, unknown>([
        ['alg', COSE_ALGORITHM_IDS.ES256],
        ['sig', bstr(signWith('ES256', attestation.privateKey, signedBase(input)))],
        ['x5c', certificates(x5c)],
      ]),
  };
}

/**
 * tpm: a simulated TPM 2.0 with an RSA-2048 AIK certified by the attestation CA; each credential
 * key's pubArea is certified by TPM2_Certify (certInfo) and the AIK signs certInfo with RS256.
 */
export function tpmAttester(
  authority: WebAuthnTestAuthority,
  aaguid: Uint8Array,
  options: { at: number; withRoot: boolean },
): Attester {
  const aik = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const aikCertificate = authority.aikCertificate(spkiOf(aik.publicKey), aaguid, options.at);
  const x5c = [aikCertificate, authority.intermediate, ...(options.withRoot ? [authority.rootDer] : [])];
  const storageRootName = tpmName(randomBytes(64));
  const endorsementName = tpmName(randomBytes(64));
  const bootedAt = options.at - 3_600_000;
  return {
    fmt: 'tpm',
    newKey: freshKey,
    statement: (input) => {
      const pubArea = encodePubArea(input.key);
      const certInfo = encodeCertInfo({
        qualifiedSigner: endorsementName,
        extraData: sha256(signedBase(input)),
        clock: BigInt(Math.max(0, input.at - bootedAt)),
        resetCount: 7,
        restartCount: 0,
        firmwareVersion: 0x0007_0055_0000_0000n,
        pubArea,
        qualifiedName: storageRootName,
      });
      return new Map<string, unknown>([
        ['alg', COSE_ALGORITHM_IDS.RS256],
        ['sig', bstr(sign('sha256', certInfo, aik.privateKey))],
        ['ver', '2.0'],
        ['x5c', certificates(x5c)],
        ['pubArea', bstr(pubArea)],
        ['certInfo', bstr(certInfo)],
      ]);
    },
  };
}

const ANDROID_KEY_KINDS: Partial<Record<CoseAlgorithmName, KeyKind>> = {
  ES256: 'EC-P256',
  ES384: 'EC-P384',
  RS256: 'RSA-2048',
};

/** android-key: a KeyMint key whose attestation record carries attestationChallenge = clientDataHash. */
export function androidKeyAttester(
  device: AndroidDeviceSimulator,
  record: Partial<Omit<SimulatedRecord, 'challenge'>>,
): Attester {
  return {
    fmt: 'android-key',
    async newKey(algorithm, clientDataHash, at) {
      const kind = ANDROID_KEY_KINDS[algorithm];
      if (!kind) throw new TypeError(`android-key cannot make ${algorithm} keys`);
      const attested = await device.attest({ ...record, challenge: clientDataHash }, { key: kind, at });
      return {
        key: { algorithm, privateKey: attested.privateKey, publicKey: attested.publicKey },
        chain: attested.chain,
      };
    },
    statement: (input) =>
      new Map<string, unknown>([
        ['alg', COSE_ALGORITHM_IDS[input.key.algorithm]],
        ['sig', bstr(signWith(input.key.algorithm, input.key.privateKey, signedBase(input)))],
        ['x5c', certificates(input.chain ?? [])],
      ]),
  };
}

/** apple (anonymous): a fresh credential certificate whose nonce extension is SHA-256(authData ‖ clientDataHash). */
export function appleAttester(authority: WebAuthnTestAuthority, options: { withRoot: boolean }): Attester {
  return {
    fmt: 'apple',
    newKey: freshKey,
    statement: (input) => {
      const nonce = sha256(signedBase(input));
      const credential = authority.appleCredentialCertificate(spkiOf(input.key.publicKey), nonce, input.at);
      const x5c = [credential, authority.appleIntermediate, ...(options.withRoot ? [authority.appleRootDer] : [])];
      return new Map<string, unknown>([['x5c', certificates(x5c)]]);
    },
  };
}

/** fido-u2f: the batch attestation key signs 0x00 ‖ rpIdHash ‖ clientDataHash ‖ keyHandle ‖ the 65-byte public key. */
export function u2fAttester(certificate: Buffer, attestationKey: KeyObject): Attester {
  return {
    fmt: 'fido-u2f',
    newKey: freshKey,
    statement: (input) => {
      const signed = Buffer.concat([
        Buffer.of(0),
        input.rpIdHash,
        input.clientDataHash,
        input.credentialId,
        ecPoint(input.key.publicKey),
      ]);
      return new Map<string, unknown>([
        ['sig', bstr(sign('sha256', signed, { key: attestationKey, dsaEncoding: 'der' }))],
        ['x5c', [bstr(certificate)]],
      ]);
    },
  };
}

/** A random credential id: 32 bytes, or a 64-byte U2F key handle. */
export const newCredentialId = (fmt: string) => randomBytes(fmt === 'fido-u2f' ? 64 : 32);
