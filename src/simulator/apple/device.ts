import { randomBytes, sign, type KeyObject } from 'node:crypto';
import { encode } from 'cbor2';
import { rpIdHash } from '../../attestation/apple/app-ids.js';
import { aaguidOf, type AppAttestEnvironment } from '../../attestation/apple/environment.js';
import { ecPoint, sha256 } from '../../crypto/keys.js';
import { generateKeys, nodeKey, type CryptoKeyPair } from '../certificates.js';
import type { AppleTestAuthority } from './test-authority.js';

/** cbor2 encodes a Buffer through its toJSON; a plain Uint8Array view encodes as a byte string. */
const bstr = (bytes: Uint8Array) => new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);

const FLAG_ATTESTED_CREDENTIAL = 0x40;
const FLAG_EXTENSION_DATA = 0x80;
const RECEIPT_LIFETIME_MS = 90 * 86_400_000;

/** Deviations from a genuine attestation, for testing each check of the verifier. */
export interface SimulatedAttestationOptions {
  /** Attestation time, epoch ms (the credential certificate is valid around it). */
  at: number;
  /** rpIdHash for another app id than the device's. */
  appId?: string;
  environment?: AppAttestEnvironment;
  /** Replaces the environment's aaguid. */
  aaguid?: Uint8Array;
  /** Non-zero makes the attestation invalid. */
  signCount?: number;
  /** Replaces the key id as credentialId. */
  credentialId?: Uint8Array;
  /** Replaces the COSE key (CBOR bytes). */
  credentialPublicKey?: Uint8Array;
  /** Bytes after the COSE key; with `extensionFlag` they are extension data, without it trailing bytes. */
  authDataSuffix?: Uint8Array;
  extensionFlag?: boolean;
  /** OS facts for extension 1.2.840.113635.100.8.7; null leaves the extension out. */
  os?: { version: string; build: string } | null;
  /** Leave the receipt out of attStmt. */
  withoutReceipt?: boolean;
}

/**
 * A software App Attest device for tests and demos: one Secure Enclave-like P-256 key per
 * instance, attested by an AppleTestAuthority, then signing assertions with a counter. The
 * objects it produces have Apple's shape byte for byte where the verifier looks.
 */
export class SimulatedAppleDevice {
  /** SHA-256 of the key point, as App Attest names keys. */
  readonly keyId: Buffer;
  private counter = 0;

  private constructor(
    private readonly authority: AppleTestAuthority,
    readonly appId: string,
    readonly environment: AppAttestEnvironment,
    private readonly keys: CryptoKeyPair,
    readonly publicKey: KeyObject,
    private readonly privateKey: KeyObject,
  ) {
    this.keyId = sha256(ecPoint(publicKey));
  }

  static async create(
    authority: AppleTestAuthority,
    options: { appId: string; environment?: AppAttestEnvironment },
  ): Promise<SimulatedAppleDevice> {
    const keys = await generateKeys('EC-P256');
    return new SimulatedAppleDevice(
      authority,
      options.appId,
      options.environment ?? 'development',
      keys,
      nodeKey(keys.publicKey),
      nodeKey(keys.privateKey),
    );
  }

  get publicKeyPem(): string {
    return this.publicKey.export({ format: 'pem', type: 'spki' }).toString();
  }

  /** The attestation object (CBOR) for `clientData`, as DCAppAttestService.attestKey returns it. */
  async attest(clientData: Uint8Array, options: SimulatedAttestationOptions): Promise<Buffer> {
    const authData = this.attestedAuthenticatorData(options);
    const clientDataHash = sha256(clientData);
    const x5c = await this.authority.credentialChain({
      publicKey: this.keys.publicKey,
      keyId: this.keyId,
      nonce: sha256(Buffer.concat([authData, clientDataHash])),
      at: options.at,
      ...(options.os === null ? {} : { os: options.os ?? { version: '17.5.1', build: '21F90' } }),
    });
    const statement = new Map<string, unknown>([['x5c', x5c.map(bstr)]]);
    if (!options.withoutReceipt) {
      statement.set(
        'receipt',
        bstr(
          this.authority.receipt({
            type: 'ATTEST',
            appId: options.appId ?? this.appId,
            attestedCertificate: x5c[0]!,
            clientHash: clientDataHash,
            token: randomBytes(48).toString('base64'),
            creationTime: options.at,
            expirationTime: options.at + RECEIPT_LIFETIME_MS,
          }),
        ),
      );
    }
    return Buffer.from(
      encode(
        new Map<string, unknown>([
          ['fmt', 'apple-appattest'],
          ['attStmt', statement],
          ['authData', bstr(authData)],
        ]),
      ),
    );
  }

  /** An assertion (CBOR) over `clientData`, as DCAppAttestService.generateAssertion returns it; the counter advances by one unless given. */
  assert(clientData: Uint8Array, options: { counter?: number; appId?: string } = {}): Buffer {
    const counter = options.counter ?? this.counter + 1;
    this.counter = Math.max(this.counter, counter);
    const authenticatorData = Buffer.concat([
      rpIdHash(options.appId ?? this.appId),
      Buffer.of(FLAG_ATTESTED_CREDENTIAL),
      uint32(counter),
    ]);
    const nonce = sha256(Buffer.concat([authenticatorData, sha256(clientData)]));
    // The Secure Enclave signs SHA256(nonce): ECDSA with SHA-256 over the nonce.
    const signature = sign('sha256', nonce, { key: this.privateKey, dsaEncoding: 'der' });
    return Buffer.from(
      encode(
        new Map<string, unknown>([
          ['signature', bstr(signature)],
          ['authenticatorData', bstr(authenticatorData)],
        ]),
      ),
    );
  }

  private attestedAuthenticatorData(options: SimulatedAttestationOptions): Buffer {
    const point = ecPoint(this.publicKey);
    const coseKey =
      options.credentialPublicKey ??
      encode(
        new Map<number, unknown>([
          [1, 2],
          [3, -7],
          [-1, 1],
          [-2, bstr(point.subarray(1, 33))],
          [-3, bstr(point.subarray(33, 65))],
        ]),
      );
    const credentialId = options.credentialId ?? this.keyId;
    const flags = FLAG_ATTESTED_CREDENTIAL | (options.extensionFlag ? FLAG_EXTENSION_DATA : 0);
    return Buffer.concat([
      rpIdHash(options.appId ?? this.appId),
      Buffer.of(flags),
      uint32(options.signCount ?? 0),
      options.aaguid ?? aaguidOf(options.environment ?? this.environment),
      Buffer.of(credentialId.length >> 8, credentialId.length & 0xff),
      credentialId,
      coseKey,
      options.authDataSuffix ?? Buffer.alloc(0),
    ]);
  }
}

function uint32(value: number): Buffer {
  const bytes = Buffer.alloc(4);
  bytes.writeUInt32BE(value);
  return bytes;
}
